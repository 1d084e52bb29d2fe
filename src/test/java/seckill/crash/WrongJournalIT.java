package seckill.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
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
import seckill.TestKafka;

/**
 * A node started against another journal (its own H2 file) joins a cluster on PostgreSQL: it is
 * never ready, is given no shard, stops with exit code 1 and says why, and the sales keep answering.
 * Meanwhile it serves and consumes nothing: its API port never accepts a connection, and though it
 * is given a Kafka broker, its payments consumer never starts (only it uses that broker, so any
 * member of the payments group would be its own).
 */
class WrongJournalIT {

  @Test
  void aNodeOnAnotherJournalIsNeverReadyTakesNoShardAndStops() throws Exception {
    List<NodeProcess> nodes = ClusterCrashIT.cluster("wrong-journal", TestDatabases.postgres(), Map.of());
    NodeProcess stranger = null;
    TestKafka kafka = null;
    try {
      kafka = TestKafka.start();
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
          "pekko.cluster.seed-nodes.1", nodes.get(1).address(),
          "seckill.kafka.bootstrap-servers", kafka.bootstrap));
      stranger = NodeProcess.create("wrong-journal-stranger", seckill.TestPorts.reserve(), settings);
      stranger.launch();
      Api mgmt = new Api(stranger.managementUrl());
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      List<String> served = new ArrayList<>();
      try (var admin = kafka.admin()) {
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
        if (accepts(stranger.httpPort)) served.add("its API port accepted a connection");
        try {
          var group = admin.describeConsumerGroups(List.of("seckill-payments")).all().get().get("seckill-payments");
          if (group != null && !group.members().isEmpty()) served.add("it joined the payments group: " + group.members());
        } catch (java.util.concurrent.ExecutionException e) {
          // kafka-clients 4 answers a group nobody ever joined with GroupIdNotFoundException: no member
          if (!(e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException)) throw e;
        }
        Thread.sleep(300); // the poll interval: watched until the stranger exits
      }
      }
      assertEquals(1, stranger.awaitExit(Duration.ofSeconds(5)), "it stops with a failure code");
      String log = String.join("\n", stranger.logSinceStart());
      assertTrue(log.contains("is not the cluster's"), "the log says why");
      assertEquals(List.of(), served, "a node on another journal serves and consumes nothing");
      assertFalse(log.contains("HTTP bound at"), "it never bound its API port");
      assertFalse(log.contains("consuming payments from"), "it never started its payments consumer");
      for (String sale : sales) {
        Api.Response r = first.reserve(sale, first.token("after-" + sale), "r1", 1);
        assertEquals(201, r.status(), sale + " still sells: " + r.text());
      }
    } finally {
      if (stranger != null) stranger.close();
      if (kafka != null) kafka.close();
      for (NodeProcess n : nodes) n.close();
    }
  }

  /** Whether something listens on {@code port} on the loopback. */
  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (java.io.IOException refused) {
      return false;
    }
  }
}
