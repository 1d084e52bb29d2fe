package seckill.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import seckill.Api;
import seckill.BuyerSwarm;
import seckill.BuyerSwarm.Retry;
import seckill.NodeProcess;
import seckill.TestPorts;

/**
 * The embedded default (H2 file) in a process of its own, killed with SIGKILL in the middle of a
 * burst of concurrent reserves, several times over the same data folder: no 201 is ever lost.
 */
class EmbeddedCrashIT {

  private static final int ROUNDS = 3;
  private static final int STOCK = 1_000_000;

  @Test
  void killingTheProcessMidBurstLosesNoAcknowledgedReservation() throws Exception {
    Path data = Files.createTempDirectory("seckill-crash-h2-");
    NodeProcess node = NodeProcess.create("embedded-crash", TestPorts.reserve(), Map.of(
        "seckill.db.url", "jdbc:h2:file:" + data.resolve("seckill") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0"
            // -Dcrash.h2.write-delay=500 shows what this test catches: H2's own lazy write loses 201s
            .replace("WRITE_DELAY=0", "WRITE_DELAY=" + System.getProperty("crash.h2.write-delay", "0")),
        "seckill.db.allow-unsafe-commits", System.getProperty("crash.h2.write-delay", "0").equals("0") ? "off" : "on",
        // snapshots all the time, written behind the sale in parts of 512 bytes: the kills land among them
        "seckill.sale.snapshot-every", "5",
        "seckill-snapshot-store.part-size", "512"));
    Set<String> attempted = new HashSet<>();
    Map<String, String> acknowledged = new ConcurrentHashMap<>();
    try {
      node.start();
      assertEquals(List.of(), node.errorsSinceStart(), "a clean start logs no ERROR");
      Api api = node.api();
      api.defineSale("crash", Api.sale(STOCK, 1, "ON_ORDER", null));
      String path = api.reservePath("crash");
      for (int round = 1; round <= ROUNDS; round++) {
        BuyerSwarm buyers = BuyerSwarm.keepReserving("r" + round + "-b", BuyerSwarm.roundRobin(List.of(api)), path, 48, Retry.NONE);
        // mid-burst: after the first 201s, at a random moment while they keep coming
        buyers.awaitAcknowledged(20, Duration.ofSeconds(60));
        Thread.sleep(ThreadLocalRandom.current().nextLong(100, 1200)); // the kill's random moment is the point
        int beforeKill = buyers.acknowledged.size();
        node.kill();
        buyers.close();
        assertEquals(List.of(), buyers.unexpected);
        System.out.printf("CRASH round %d: killed with %d 201s seen at the kill, %d in all, %d requests sent%n", round,
            beforeKill, buyers.acknowledged.size(), buyers.attempted.size());
        attempted.addAll(buyers.attempted);
        acknowledged.putAll(buyers.acknowledged);

        node.start();
        assertEquals(List.of(), node.errorsSinceStart(), "a restart after a crash logs no ERROR");
        api.awaitState("crash", "OPEN");
        NothingLostOrDoubled.verify(api, "crash", STOCK, attempted, acknowledged);
      }
      assertTrue(acknowledged.size() >= ROUNDS * 20);
    } finally {
      node.close();
    }
  }
}
