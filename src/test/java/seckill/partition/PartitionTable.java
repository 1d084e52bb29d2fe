package seckill.partition;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import seckill.partition.PartitionScenario.Outcome;

/**
 * Runs {@link PartitionScenario}s N times each and prints one table: per scenario the runs, the
 * violations, the overlaps and the range of each timing, and which nodes were downed
 * ({@code load-tests/partitions.sh}, on the test classpath; needs root). Arguments: {@code [N]
 * [scenario...]}, N 5 by default, scenarios by number (1–6) or label, all by default. Exits 0 only
 * when every run finished with no violation and no overlap.
 */
public final class PartitionTable {

  private PartitionTable() {}

  public static void main(String[] args) throws Exception {
    if (!"root".equals(System.getProperty("user.name"))) {
      System.err.println("the partition scenarios need root: network namespaces, veth pairs and nftables rules");
      System.exit(2);
    }
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    int runs = !rest.isEmpty() && rest.get(0).matches("\\d+") ? Integer.parseInt(rest.remove(0)) : 5;
    List<PartitionScenario> chosen = rest.isEmpty() ? List.of(PartitionScenario.values())
        : rest.stream().map(PartitionScenario::named).toList();
    Map<PartitionScenario, List<Outcome>> outcomes = new LinkedHashMap<>();
    Map<PartitionScenario, List<String>> failures = new LinkedHashMap<>();
    for (PartitionScenario s : chosen) {
      for (int k = 1; k <= runs; k++) {
        System.out.printf("== %s, run %d of %d%n", s.label, k, runs);
        try {
          Outcome o = s.run(Path.of("target", "partition", s.label + "-" + k + ".tsv"));
          System.out.print(o.report());
          outcomes.computeIfAbsent(s, x -> new ArrayList<>()).add(o);
        } catch (Exception | AssertionError e) {
          System.out.println("PARTITION " + s.label + " run " + k + " failed: " + e);
          failures.computeIfAbsent(s, x -> new ArrayList<>()).add(String.valueOf(e.getMessage()));
        }
        System.out.flush();
      }
    }
    System.out.println();
    System.out.println(table(chosen, runs, outcomes, failures));
    boolean clean = failures.isEmpty() && outcomes.values().stream().flatMap(List::stream)
        .allMatch(o -> o.violations().isEmpty() && !o.overlap());
    System.exit(clean ? 0 : 1);
  }

  static String table(List<PartitionScenario> chosen, int runs, Map<PartitionScenario, List<Outcome>> outcomes,
      Map<PartitionScenario, List<String>> failures) {
    StringBuilder t = new StringBuilder("| scenario | runs | failed | violations | overlaps | last 201, old copy"
        + " | first 201, new copy | no 201 between | longest gap after the cut | back to normal after the heal"
        + " | downed (exit code) |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (PartitionScenario s : chosen) {
      List<Outcome> done = outcomes.getOrDefault(s, List.of());
      t.append(String.format("| %d %s | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s |%n", s.ordinal() + 1, s.label,
          runs, failures.getOrDefault(s, List.of()).size(), done.stream().mapToInt(o -> o.violations().size()).sum(),
          done.stream().filter(Outcome::overlap).count(), range(done, o -> o.timings().lastLosing201(), "+"),
          range(done, o -> o.timings().firstWinning201(), "+"), range(done, o -> o.timings().no201Window(), ""),
          range(done, o -> o.timings().longestGap(), ""), range(done, Outcome::backToNormal, ""), downed(done)));
    }
    return t.toString();
  }

  /** "+11.7–12.5 s" over the runs that had the figure, and in how many it was missing. */
  static String range(List<Outcome> done, ToDoubleFunction<Outcome> figure, String sign) {
    double[] values = done.stream().mapToDouble(figure).filter(v -> !Double.isNaN(v)).sorted().toArray();
    int missing = done.size() - values.length;
    if (values.length == 0) return done.isEmpty() ? "" : "none";
    String span = values[0] == values[values.length - 1] ? String.format("%s%.1f s", sign, values[0])
        : String.format("%s%.1f–%.1f s", sign, values[0], values[values.length - 1]);
    return missing == 0 ? span : span + " (none in " + missing + ")";
  }

  /** How often each set of downed nodes came up: "host 255 ×5", "none ×3, host 255, partner 255 ×2". */
  static String downed(List<Outcome> done) {
    Map<String, Long> seen = new TreeMap<>(done.stream().collect(Collectors.groupingBy(Outcome::downed,
        Collectors.counting())));
    return seen.entrySet().stream().map(e -> e.getKey() + " ×" + e.getValue()).collect(Collectors.joining("; "));
  }
}
