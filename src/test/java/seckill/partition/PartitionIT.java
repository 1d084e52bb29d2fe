package seckill.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import seckill.partition.PartitionScenario.Outcome;

/**
 * Real network partitions between node processes (see {@link Netns}; needs root): scenario 1 of
 * {@link PartitionScenario}, three nodes on one PostgreSQL, a sale under steady load from a client on
 * every node, and its host cut from both peers. The run's history is judged by {@link HistoryChecker}:
 * no violation, and the losing side stops selling before the winning side starts (measured, not
 * assumed). Prints the timings. The other scenarios run from {@code load-tests/partitions.sh}.
 */
class PartitionIT {

  @Test
  void theSalesHostCutOffFromBothPeersKeepingTheDatabaseStopsSellingBeforeTheMajoritySellsAndNothingIsLostOrDoubled()
      throws Exception {
    PartitionScenario scenario = PartitionScenario.HOST_CUT_FROM_PEERS;
    Outcome o = scenario.run(Path.of("target", "partition", scenario.label + ".tsv"));
    System.out.print(o.report());
    assertEquals(List.of(), o.violations(), "the history agrees with the journal and the counters");
    assertEquals(Map.of(o.host(), 255), o.exits(), "the host alone was downed and its process exited with 255");
    assertTrue(o.saleMoved(), "the sale moved to the majority");
    assertTrue(o.timings().noOverlap(), "the losing side's last 201 comes before the winning side's first: "
        + o.timings());
  }
}
