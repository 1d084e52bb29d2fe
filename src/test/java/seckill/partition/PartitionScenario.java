package seckill.partition;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import seckill.Await;
import seckill.partition.History.Exchange;
import seckill.partition.HistoryChecker.FinalState;
import seckill.partition.HistoryChecker.Timings;

/**
 * Issue 32's partition scenarios, each run on a fresh {@link PartitionRun}: a client on every node
 * starting buyers, a fault around the sale's host (the {@code partner} is the node at the other end
 * of it), the fault healed, the cluster left to settle, then the history judged by
 * {@link HistoryChecker} and the timings measured: per copy of the sale (the old one at the fault, a
 * new one if the sale moved or restarted), and after the heal; the nodes the resolver downed are those
 * whose process exited. {@link PartitionIT} runs the first in the build, {@link PartitionTable}
 * ({@code load-tests/partitions.sh}) any of them many times. Waits follow the nodes' own settings and
 * what their logs say, so a change of the failover timings needs no change here.
 */
public enum PartitionScenario {

  /** The host cut from both peers, keeping the database, until it is downed and the majority sells. */
  HOST_CUT_FROM_PEERS("host-cut-from-peers", 3),
  /** Five nodes split 2–3, the host and its partner on the side of two, until both are downed. */
  HOST_IN_MINORITY_OF_TWO("host-in-minority-of-two", 5),
  /** The link between the host and its partner down and up in turn, every 1–2 s, for 30 s. */
  FLAPPING_LINK("flapping-link", 3),
  /** What the host sends its partner is lost (the other way works) until the resolver decides. */
  ONE_WAY_LOSS("one-way-loss", 3),
  /** The host's JVM stopped (SIGSTOP) until the others sell without it, then resumed (SIGCONT). */
  PAUSED_HOST("paused-host", 3),
  /** The host cut from both peers, healed half of stable-after after they were seen unreachable. */
  HEALED_BEFORE_DECISION("healed-before-decision", 3);

  private static final int PER_NODE_PER_SECOND = 10;
  private static final Duration DECISION = Duration.ofSeconds(90);
  private static final String UNREACHABLE = "Marking node as UNREACHABLE";
  private static final String RECOVERED = "sale " + PartitionRun.SALE + " recovered in";

  public final String label;
  public final int size;

  PartitionScenario(String label, int size) {
    this.label = label;
    this.size = size;
  }

  /** When the fault began and when it was healed (ms since the epoch, once its rules were in place). */
  private record Fault(long cutAt, long healAt) {}

  /**
   * What a run showed: the host and partner (indexes), every violation, the timings around the fault
   * (by copy of the sale), whether the sale left its host, the time after the heal
   * until every running node sold again (NaN: some never did), each exited node's exit code, and lines
   * telling the run (counts and where the time went).
   */
  public record Outcome(PartitionScenario scenario, int host, int partner, List<String> violations, Timings timings,
      boolean saleMoved, double backToNormal, Map<Integer, Integer> exits, String report) {

    /** The copy of the sale at the fault sold after a new copy began to: two copies answered at once. */
    public boolean overlap() {
      return timings.overlap();
    }

    /** The nodes downed, by role, with exit codes: "host 255, partner 255", or "none". */
    public String downed() {
      return PartitionScenario.downed(exits, host, partner);
    }
  }

  private static String downed(Map<Integer, Integer> exits, int host, int partner) {
    if (exits.isEmpty()) return "none";
    return exits.entrySet().stream().map(e -> role(e.getKey(), host, partner) + " " + e.getValue())
        .collect(Collectors.joining(", "));
  }

  private static String role(int i, int host, int partner) {
    return i == host ? "host" : i == partner ? "partner" : "other";
  }

  /** Runs the scenario once; its history goes to {@code historyFile}. */
  public Outcome run(Path historyFile) throws Exception {
    try (PartitionRun run = PartitionRun.start("partition-" + label, size, 1_000_000, Map.of());
        History history = new History(historyFile)) {
      String path = run.api(0).reservePath(PartitionRun.SALE);
      SteadyBuyers buyers = new SteadyBuyers(run.baseUrls(), path, PER_NODE_PER_SECOND, history);
      try {
        Await.until(Duration.ofSeconds(60), "no load before the fault", () -> sold(history, 0, Set.of()) >= 60);
        int host = run.hostOf(0);
        int partner = (host + 1) % size;
        Fault fault = inflict(run, history, host, partner);
        run.awaitSettled(Duration.ofSeconds(120));
        Set<Integer> running = running(run);
        if (running.isEmpty()) {
          throw new IllegalStateException(label + ": the resolver downed every node; exit codes " + exitCodes(run));
        }
        Await.until(Duration.ofSeconds(60), "a running node never sold again after the heal",
            () -> !Double.isNaN(HistoryChecker.backToNormal(history.exchanges(), fault.healAt(), running)));
        buyers.close();
        history.close();
        return judge(run, history, host, partner, fault, buyers.started());
      } finally {
        buyers.halt();
      }
    }
  }

  /** The fault itself, healed before this returns. */
  private Fault inflict(PartitionRun run, History history, int host, int partner) throws Exception {
    Netns net = run.net;
    long cutAt;
    switch (this) {
      case HOST_CUT_FROM_PEERS, HOST_IN_MINORITY_OF_TWO -> {
        Set<Integer> minority = this == HOST_CUT_FROM_PEERS ? Set.of(host) : Set.of(host, partner);
        net.split(minority);
        // the cut counts from when its rules are in place: a request sent while nft was still writing
        // them could cross to the host and come back as a 201 on the majority side
        cutAt = System.currentTimeMillis();
        for (int i : minority) run.nodes.get(i).awaitExit(DECISION); // downed by the resolver, the process exits
        Await.until(DECISION, "the majority never sold after the cut", () -> sold(history, cutAt, minority) >= 30);
      }
      case FLAPPING_LINK -> {
        Thread flapping = net.flap(host, partner, Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(30));
        cutAt = System.currentTimeMillis();
        flapping.join(Duration.ofSeconds(60).toMillis());
        if (flapping.isAlive()) throw new IllegalStateException("the flapping did not end");
      }
      case ONE_WAY_LOSS -> {
        net.cutOneWay(host, partner);
        cutAt = System.currentTimeMillis();
        // until the resolver has downed a node and the others sell, or long enough to say it never will
        long until = System.nanoTime() + DECISION.toNanos();
        while (System.nanoTime() < until && running(run).size() == size) Thread.sleep(200); // poll of the exits
        Set<Integer> downed = exited(run);
        if (!downed.isEmpty() && downed.size() < size) {
          Await.until(DECISION, "the survivors never sold", () -> sold(history, cutAt, downed) >= 30);
        }
      }
      case PAUSED_HOST -> {
        run.pause(host);
        cutAt = System.currentTimeMillis();
        Set<Integer> others = new TreeSet<>(running(run));
        others.remove(host);
        // paused until the others sell, which takes longer than detection, stable-after and the removal
        // margin; or, if their copy cannot sell (a host paused inside a journal transaction holds its
        // locks until it goes on), until stable-after has passed since they started the sale
        double patience = run.setting("pekko.cluster.split-brain-resolver.stable-after").toMillis() / 1000.0;
        try {
          Await.until(DECISION, "the others never took the sale over while the host was paused", () -> {
            if (sold(history, cutAt, Set.of(host)) >= 1) return true;
            double started = firstLogged(run, others, cutAt, RECOVERED);
            return started >= 0 && (System.currentTimeMillis() - cutAt) / 1000.0 > started + patience;
          });
        } finally {
          run.resume(host);
        }
        return new Fault(cutAt, System.currentTimeMillis());
      }
      case HEALED_BEFORE_DECISION -> {
        net.cutFromPeers(host);
        cutAt = System.currentTimeMillis();
        Await.until(DECISION, "no node saw the cut", () -> firstLogged(run, running(run), cutAt, UNREACHABLE) >= 0);
        long stableAfter = run.setting("pekko.cluster.split-brain-resolver.stable-after").toMillis();
        // the resolver decides once reachability has not changed for stable-after: healing half of it
        // after the first node saw the cut is what this scenario tests
        Thread.sleep(stableAfter / 2);
      }
      default -> throw new IllegalStateException(name());
    }
    net.healAll();
    return new Fault(cutAt, System.currentTimeMillis());
  }

  private Outcome judge(PartitionRun run, History history, int host, int partner, Fault fault, int buyersStarted)
      throws Exception {
    List<Exchange> recorded = History.read(history.path());
    Set<Integer> running = running(run);
    Map<Integer, Integer> exits = exitCodes(run);
    int asked = running.iterator().next();
    FinalState end = run.finalState(asked);
    List<String> violations = HistoryChecker.violations(recorded, end);
    Timings t = HistoryChecker.timings(recorded, end.journal(), fault.cutAt());
    boolean moved = run.hostOf(asked) != host;
    double back = HistoryChecker.backToNormal(recorded, fault.healAt(), running);
    double faultSeconds = (fault.healAt() - fault.cutAt()) / 1000.0;
    StringBuilder report = new StringBuilder(String.format(
        "PARTITION %s: %d nodes, host node %d, partner node %d; fault %.1f s; %d buyers, %d requests, %d 201s, %d 503s,"
            + " %d without answer, %d reservations in the journal, %d violations%s; history %s%n", label, size,
        host + 1, partner + 1, faultSeconds, buyersStarted, recorded.size(),
        count(recorded, 201), count(recorded, 503), count(recorded, History.NO_ANSWER), end.journal().size(),
        violations.size(), violations.isEmpty() ? "" : " " + violations, history.path()));
    report.append(String.format("PARTITION %s: downed %s; the sale %s%s; back to normal %s after the heal%n", label,
        downed(exits, host, partner), moved ? "moved" : "stayed on its host",
        t.firstWinning201() > faultSeconds ? ", its new copy sold only after the heal" : "",
        Double.isNaN(back) ? "never" : String.format("%.1f s", back)));
    report.append(t.table(label)).append('\n');
    report.append(timeline(run, host, partner, fault.cutAt()));
    return new Outcome(this, host, partner, violations, t, moved, back, exits, report.toString());
  }

  /** Each exited node's exit code, by index. */
  private static Map<Integer, Integer> exitCodes(PartitionRun run) throws InterruptedException {
    Map<Integer, Integer> exits = new LinkedHashMap<>();
    for (int i : exited(run)) exits.put(i, run.nodes.get(i).awaitExit(Duration.ZERO));
    return exits;
  }

  /** Per node, when after the cut it first marked a node unreachable, its resolver decided, it recovered the sale. */
  private String timeline(PartitionRun run, int host, int partner, long cutAt) throws IOException {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      parts.add(String.format("node %d (%s): unreachable seen %s, resolver decided %s, sale recovered %s",
          i + 1, role(i, host, partner), after(run.loggedAfter(i, cutAt, UNREACHABLE)),
          after(run.loggedAfter(i, cutAt, "SBR took decision")),
          after(run.loggedAfter(i, cutAt, RECOVERED))));
    }
    return "PARTITION " + label + " where the time went after the fault: " + String.join("; ", parts) + "\n";
  }

  private static String after(double seconds) {
    return Double.isNaN(seconds) ? "-" : String.format("%+.1f s", seconds);
  }

  /** The earliest time after the cut at which one of {@code nodes} logged {@code text}, or -1 (none yet). */
  private static double firstLogged(PartitionRun run, Set<Integer> nodes, long cutAt, String text) {
    double first = -1;
    for (int i : nodes) {
      try {
        double t = run.loggedAfter(i, cutAt, text);
        if (!Double.isNaN(t) && (first < 0 || t < first)) first = t;
      } catch (IOException unreadable) {
        // the log appears with the process; read it on the next poll
      }
    }
    return first;
  }

  private static Set<Integer> running(PartitionRun run) {
    Set<Integer> up = new TreeSet<>();
    for (int i = 0; i < run.nodes.size(); i++) if (run.nodes.get(i).isAlive()) up.add(i);
    return up;
  }

  private static Set<Integer> exited(PartitionRun run) {
    Set<Integer> gone = new TreeSet<>();
    for (int i = 0; i < run.nodes.size(); i++) if (!run.nodes.get(i).isAlive()) gone.add(i);
    return gone;
  }

  private static long count(List<Exchange> recorded, int status) {
    return recorded.stream().filter(e -> e.status() == status).count();
  }

  /** 201s answered by nodes not in {@code except} to requests sent after {@code since}. */
  private static long sold(History history, long since, Set<Integer> except) {
    return history.exchanges().stream()
        .filter(e -> e.status() == 201 && e.sentAt() > since && !except.contains(e.node())).count();
  }

  /** The scenario named by its label or its number (1–6). */
  public static PartitionScenario named(String name) {
    for (PartitionScenario s : values()) {
      if (s.label.equals(name) || String.valueOf(s.ordinal() + 1).equals(name)) return s;
    }
    throw new IllegalArgumentException("no scenario " + name + "; one of 1–6 or "
        + Arrays.stream(values()).map(s -> s.label).collect(Collectors.joining(", ")));
  }
}
