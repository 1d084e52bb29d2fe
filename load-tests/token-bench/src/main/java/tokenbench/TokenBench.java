package tokenbench;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Holds every candidate to the service's checks, measures the ones that pass with JMH and prints
 * the table: CPU ns, wall ns and bytes allocated per verification of a fresh token, per library and
 * algorithm, each the median of every measured iteration. The candidates take turns in rounds (one
 * fork each per round), so a busy spell of the shared machine does not fall on one of them alone.
 * Settings from the environment: TOKEN_BENCH_CANDIDATES (comma-separated, default all),
 * TOKEN_BENCH_ROUNDS (2), TOKEN_BENCH_WARMUP (8 × 1 s), TOKEN_BENCH_ITERATIONS (5 × 1 s).
 */
public final class TokenBench {

  private TokenBench() {}

  public static void main(String[] args) throws Exception {
    Properties versions = new Properties();
    try (InputStream in = TokenBench.class.getResourceAsStream("/versions.properties")) {
      versions.load(in);
    }
    System.out.println("Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + "), "
        + Runtime.getRuntime().availableProcessors() + " cores; " + versions);

    List<String> names = Arrays.asList(System.getenv().getOrDefault("TOKEN_BENCH_CANDIDATES", String.join(",", Candidate.NAMES)).split(","));
    List<String> measured = new ArrayList<>();
    Keys keys = Keys.generate();
    int checks = Conformance.cases(Alg.HS256, keys).size() + Conformance.cases(Alg.RS256, keys).size();
    for (String name : names) {
      List<String> failed = new ArrayList<>();
      for (Alg alg : Alg.values()) {
        for (String c : Conformance.failures(Candidate.of(name, alg, keys), alg, keys)) failed.add(alg + ": " + c);
      }
      System.out.println(failed.isEmpty() ? name + ": all " + checks + " checks held" : name + ": NOT MEASURED, fails " + failed);
      if (failed.isEmpty()) measured.add(name);
    }
    if (measured.isEmpty()) return;

    Map<String, Samples> samples = new LinkedHashMap<>();
    int rounds = setting("TOKEN_BENCH_ROUNDS", 2);
    for (int round = 1; round <= rounds; round++) {
      System.out.println("== round " + round + " of " + rounds);
      ChainedOptionsBuilder options = new OptionsBuilder()
          .include(VerifyBench.class.getName())
          .param("candidate", measured.toArray(String[]::new))
          .forks(1)
          .warmupIterations(setting("TOKEN_BENCH_WARMUP", 8))
          .warmupTime(TimeValue.seconds(1))
          .measurementIterations(setting("TOKEN_BENCH_ITERATIONS", 5))
          .measurementTime(TimeValue.seconds(1))
          .jvmArgsAppend("-Xms1g", "-Xmx1g")
          .addProfiler(GCProfiler.class)
          .addProfiler(CpuTimeProfiler.class);
      for (RunResult r : new Runner(options.build()).run()) {
        Samples s = samples.computeIfAbsent(r.getParams().getParam("candidate") + "/" + r.getParams().getParam("alg"), k -> new Samples());
        for (BenchmarkResult fork : r.getBenchmarkResults()) {
          for (IterationResult i : fork.getIterationResults()) s.add(i);
        }
      }
    }
    printTable(measured, samples);
  }

  /** Every measured iteration of one candidate and algorithm. */
  private record Samples(List<Double> cpu, List<Double> wall, List<Double> bytes) {
    Samples() {
      this(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    }

    void add(IterationResult i) {
      cpu.add(i.getSecondaryResults().get("cpu.ns/op").getScore());
      wall.add(i.getPrimaryResult().getScore());
      bytes.add(i.getSecondaryResults().get("gc.alloc.rate.norm").getScore());
    }
  }

  private static int setting(String name, int fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
  }

  private static void printTable(List<String> measured, Map<String, Samples> samples) {
    Map<Alg, Double> fastest = new LinkedHashMap<>();
    for (Alg alg : Alg.values()) {
      double best = Double.MAX_VALUE;
      for (String name : measured) {
        Samples s = samples.get(name + "/" + alg);
        if (s != null) best = Math.min(best, median(s.cpu()));
      }
      fastest.put(alg, best);
    }
    System.out.println();
    System.out.println("| candidate | HS256 CPU ns | HS256 wall ns | HS256 B | HS256 vs fastest | RS256 CPU ns | RS256 wall ns | RS256 B | RS256 vs fastest |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (String name : measured) {
      StringBuilder row = new StringBuilder("| " + name + " |");
      for (Alg alg : Alg.values()) {
        Samples s = samples.get(name + "/" + alg);
        if (s == null) {
          row.append("  |  |  |  |");
          continue;
        }
        double cpu = median(s.cpu());
        row.append(String.format(" %,.0f | %,.0f | %,.0f | %.2f× |", cpu, median(s.wall()), median(s.bytes()), cpu / fastest.get(alg)));
      }
      System.out.println(row);
    }
    System.out.println();
    System.out.println("Each figure the median of every measured iteration (rounds × iterations of 1 s). CPU ns: the"
        + " benchmark thread's CPU time per verification; wall ns: JMH's average time; B: bytes allocated"
        + " per verification; vs fastest: CPU ns against the fastest candidate's.");
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().filter(v -> !v.isNaN()).sorted().toList();
    if (sorted.isEmpty()) return Double.NaN;
    int mid = sorted.size() / 2;
    return sorted.size() % 2 == 1 ? sorted.get(mid) : (sorted.get(mid - 1) + sorted.get(mid)) / 2;
  }
}
