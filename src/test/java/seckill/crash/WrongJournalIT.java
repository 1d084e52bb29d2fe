package seckill.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import seckill.TestPorts;
import seckill.Api;
import seckill.NodeProcess;
import seckill.TestDatabases;

/**
 * A node started against another journal (its own H2 file) joins a cluster on PostgreSQL: it is
 * never ready, is given no shard, stops with exit code 1 and says why, and the sales keep answering.
 */
class WrongJournalIT {

  @Test
  void aNodeOnAnotherJournalIsNeverReadyTakesNoShardAndStops() throws Exception {
    List<NodeProcess> nodes = ClusterCrashIT.cluster("wrong-journal", TestDatabases.postgres(), Map.of());
    NodeProcess stranger = null;
    try {
      ClusterCrashIT.startAll(nodes);
      Api first = nodes.get(0).api();
      List<String> sales = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        first.defineSale("kept-" + i, Api.sale(100, 1, "ON_ORDER", null));
        sales.add("kept-" + i);
      }

      Path data = Files.createTempDirectory("seckill-stranger-");
      Map<String, String> settings = new HashMap<>(Map.of(
          "seckill.db.url", "jdbc:h2:file:" + data.resolve("seckill") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0",
          "seckill.cluster.join-self", "off",
          "pekko.cluster.seed-nodes.0", nodes.get(0).address(),
          "pekko.cluster.seed-nodes.1", nodes.get(1).address()));
      stranger = NodeProcess.create("wrong-journal-stranger", seckill.TestPorts.reserve(), settings);
      stranger.launch();
      Api mgmt = new Api(stranger.managementUrl());
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (stranger.isAlive()) {
        assertTrue(System.nanoTime() < deadline, "the stranger never stopped; log: " + stranger.log());
        try {
          assertNotEquals(200, mgmt.get("/ready", null).status(), "a node on another journal is never ready");
        } catch (IllegalStateException notListening) {
          // not bound yet, or gone
        }
        for (String sale : sales) {
          Api.Response placement = first.admin("GET", "/admin/sales/" + sale + "/placement", null);
          if (placement.status() == 200 && placement.json().hasNonNull("node")) {
            assertNotEquals(stranger.address(), placement.json().get("node").asText(), sale + " was given to the stranger");
          }
        }
        Thread.sleep(300); // the poll interval: watched until the stranger exits
      }
      assertEquals(1, stranger.awaitExit(Duration.ofSeconds(5)), "it stops with a failure code");
      assertTrue(Files.readString(stranger.log()).contains("is not the cluster's"), "the log says why");
      for (String sale : sales) {
        Api.Response r = first.reserve(sale, first.token("after-" + sale), "r1", 1);
        assertEquals(201, r.status(), sale + " still sells: " + r.text());
      }
    } finally {
      if (stranger != null) stranger.close();
      for (NodeProcess n : nodes) n.close();
    }
  }
}
