package seckill.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import seckill.Await;
import seckill.partition.History.Exchange;
import seckill.partition.HistoryChecker.FinalState;
import seckill.partition.HistoryChecker.Timings;

/**
 * Real network partitions between node processes (see {@link Netns}; needs root): three nodes on one
 * PostgreSQL, a sale under steady load from a client on every node, and a cut. The run's history is
 * judged by {@link HistoryChecker}: no violation, and the losing side stops selling before the
 * winning side starts (measured, not assumed). Prints the timings.
 */
class PartitionIT {

  private static final int PER_NODE_PER_SECOND = 10;

  @Test
  void theSalesHostCutOffFromBothPeersKeepingTheDatabaseStopsSellingBeforeTheMajoritySellsAndNothingIsLostOrDoubled()
      throws Exception {
    String scenario = "host-cut-from-peers";
    try (PartitionRun run = PartitionRun.start("partition-host-cut", 1_000_000, Map.of());
        History history = new History(Path.of("target", "partition", scenario + ".tsv"))) {
      String path = run.api(0).reservePath(PartitionRun.SALE);
      SteadyBuyers buyers = new SteadyBuyers(run.baseUrls(), path, PER_NODE_PER_SECOND, history);
      Await.until(Duration.ofSeconds(60), "no load before the cut", () -> acknowledged(history, 0, Set.of()) >= 60);
      int host = run.hostOf(0);
      run.net.cutFromPeers(host);
      // the cut counts from when its rules are in place: a request sent while nft was still writing
      // them could cross to the host and come back as a 201 on the majority side
      long cutAt = System.currentTimeMillis();
      // the resolver downs the minority (the host alone); a downed node's process exits
      int exit = run.nodes.get(host).awaitExit(Duration.ofSeconds(90));
      double exitedAfter = (System.currentTimeMillis() - cutAt) / 1000.0;
      Set<Integer> losing = Set.of(host);
      Await.until(Duration.ofSeconds(90), "the majority never sold after the cut",
          () -> acknowledged(history, cutAt, losing) >= 30);
      run.net.healAll();
      buyers.close();
      history.close();

      List<Exchange> recorded = History.read(history.path());
      int winner = (host + 1) % 3;
      FinalState end = run.finalState(winner);
      List<String> violations = HistoryChecker.violations(recorded, end);
      Timings t = HistoryChecker.timings(recorded, cutAt, losing);
      long answered201 = recorded.stream().filter(e -> e.status() == 201).count();
      System.out.printf("PARTITION %s: node %d (the sale's host) cut from both peers; it exited with %d %.1f s after"
              + " the cut; %d buyers, %d requests, %d 201s, %d 503s, %d without answer, %d reservations in the journal,"
              + " %d violations; history %s%n%s%n", scenario, host + 1, exit, exitedAfter, buyers.started(),
          recorded.size(), answered201, recorded.stream().filter(e -> e.status() == 503).count(),
          recorded.stream().filter(e -> e.status() == History.NO_ANSWER).count(), end.journal().size(),
          violations.size(), history.path(), t.table(scenario));
      System.out.printf("PARTITION %s where the time went after the cut: the host marks its peers unreachable %+.1f s,"
              + " the majority marks it unreachable %+.1f s, the host downs itself %+.1f s, the majority downs it"
              + " %+.1f s, the sale recovered on the majority %+.1f s%n", scenario,
          run.loggedAfter(host, cutAt, "Marking node as UNREACHABLE"),
          run.loggedAfter(winner, cutAt, "Marking node as UNREACHABLE"),
          run.loggedAfter(host, cutAt, "SBR took decision"),
          earlier(run.loggedAfter(winner, cutAt, "SBR took decision"),
              run.loggedAfter((host + 2) % 3, cutAt, "SBR took decision")),
          earlier(run.loggedAfter(winner, cutAt, "sale " + PartitionRun.SALE + " recovered in"),
              run.loggedAfter((host + 2) % 3, cutAt, "sale " + PartitionRun.SALE + " recovered in")));
      assertEquals(List.of(), violations, "the history agrees with the journal and the counters");
      assertTrue(t.noOverlap(), "the losing side's last 201 comes before the winning side's first: " + t);
      assertNotEquals(host, run.hostOf(winner), "the sale moved to the majority");
    }
  }

  /** The earlier of two times, either of which may be NaN (never logged). */
  private static double earlier(double a, double b) {
    return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.min(a, b);
  }

  /** 201s answered by nodes not in {@code except} to requests sent after {@code since}. */
  private static long acknowledged(History history, long since, Set<Integer> except) {
    return history.exchanges().stream()
        .filter(e -> e.status() == 201 && e.sentAt() > since && !except.contains(e.node())).count();
  }
}
