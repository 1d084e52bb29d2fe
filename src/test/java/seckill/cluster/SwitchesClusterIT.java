package seckill.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.TestDatabases;
import seckill.TestCluster;
import seckill.TestNode;
import seckill.switches.Switches;

/**
 * Each operator switch, set through one node of a three-node cluster on PostgreSQL, is seen and
 * enforced by every node; after all three stop and new ones start on the same journal, it is still set.
 */
@ExtendWith(LogCapturingExtension.class)
class SwitchesClusterIT {

  private static final String SALE = "plan-b";
  private final AtomicInteger buyers = new AtomicInteger();

  /** Polls every node until {@code holds} is true of it: replication takes a moment, never forever. */
  private static void onEveryNode(List<TestNode> nodes, String what, Predicate<TestNode> holds) throws InterruptedException {
    for (int i = 0; i < nodes.size(); i++) {
      TestNode node = nodes.get(i);
      seckill.Await.until(java.time.Duration.ofSeconds(15), "node " + (i + 1) + " never showed " + what, () -> holds.test(node));
    }
  }

  private static JsonNode switches(TestNode node) {
    return node.api().admin("GET", "/admin/switches", null).json();
  }

  private static JsonNode change(TestNode node, String body) {
    Response r = node.api().admin("PATCH", "/admin/switches", body);
    assertEquals(200, r.status(), body + " -> " + r.text());
    return r.json();
  }

  private Response reserve(TestNode node) {
    Api api = node.api();
    return api.reserve(SALE, api.token("buyer" + buyers.incrementAndGet()), "r", 1);
  }

  /** True when ten quick reserves on this node meet at least one 429. */
  private boolean rateLimited(TestNode node) {
    Api api = node.api();
    String path = api.reservePath(SALE);
    for (int i = 0; i < 10; i++) {
      Response r = api.post(path, api.token("buyer" + buyers.incrementAndGet()), "{\"requestId\":\"r\"}");
      if (r.status() == 429 && "rate_limited".equals(r.error()) && r.header("Retry-After") != null) return true;
    }
    return false;
  }

  @Test
  void everySwitchSetOnOneNodeIsEnforcedOnAllAndSurvivesAFullRestart() throws Exception {
    Config db = TestDatabases.postgres();
    List<TestNode> nodes = TestCluster.start(db);
    JsonNode before;
    try {
      for (TestNode node : nodes) TestCluster.awaitReady(node);
      TestNode first = nodes.get(0);
      first.api().defineSale(SALE, Api.sale(100_000, 1, "ON_ORDER", null));
      onEveryNode(nodes, "the sale open", n -> reserve(n).status() == 201);

      change(first, "{\"by\":\"ops\",\"pausedSales\":[\"" + SALE + "\"]}");
      onEveryNode(nodes, "the sale paused", n -> "paused".equals(reserve(n).error())
          && n.api().get("/api/sales/" + SALE + "/status", null).status() == 200);
      change(first, "{\"by\":\"ops\",\"pausedSales\":null,\"pauseAll\":true}");
      onEveryNode(nodes, "every sale paused", n -> switches(n).get("values").get("pauseAll").asBoolean()
          && "paused".equals(reserve(n).error()));
      change(first, "{\"by\":\"ops\",\"pauseAll\":false}");
      onEveryNode(nodes, "the pause lifted", n -> reserve(n).status() == 201);

      change(first, "{\"by\":\"ops\",\"readOnly\":true}");
      onEveryNode(nodes, "read-only", n -> "read_only".equals(n.api().admin("PUT", "/admin/sales/another",
          Api.sale(1, 1, "ON_ORDER", null).toString()).error()));
      change(first, "{\"by\":\"ops\",\"readOnly\":false}");
      onEveryNode(nodes, "writable again", n -> reserve(n).status() == 201);

      change(first, "{\"by\":\"ops\",\"saleRatePerSecond\":{\"" + SALE + "\":1}}");
      onEveryNode(nodes, "the sale's rate limit", this::rateLimited);
      change(first, "{\"by\":\"ops\",\"saleRatePerSecond\":null,\"nodeRatePerSecond\":1}");
      onEveryNode(nodes, "the node rate limit", n -> switches(n).get("values").get("saleRatePerSecond").isEmpty()
          && rateLimited(n));
      change(first, "{\"by\":\"ops\",\"nodeRatePerSecond\":null}");

      change(first, "{\"by\":\"ops\",\"disabledFeatures\":[\"sale-page\"]}");
      onEveryNode(nodes, "the sale page off", n -> "feature_off".equals(n.api().get("/sales/" + SALE, null).error()));

      // the rest changes nothing a buyer can see at once: every node shows and hands out the same values
      before = change(nodes.get(1), "{\"by\":\"night shift\",\"pauseAll\":true,\"readOnly\":true,\"nodeRatePerSecond\":500,"
          + "\"saleRatePerSecond\":{\"" + SALE + "\":50},\"queueSize\":64,\"waitBudgetMillis\":900,"
          + "\"challengeDifficulty\":3,\"saleChallengeDifficulty\":{\"" + SALE + "\":7}}");
      assertEquals(before, switches(nodes.get(1)), "the node that took the change shows it at once");
      long version = before.get("version").asLong();
      onEveryNode(nodes, "version " + version, n -> switches(n).get("version").asLong() == version);
      onEveryNode(nodes, "the same switches", n -> switches(n).equals(before));
      onEveryNode(nodes, "the effective queue size and budget", n -> {
        JsonNode effective = switches(n).get("effective");
        return effective.get("queueSize").asInt() == 64 && effective.get("waitBudgetMillis").asLong() == 900
            && effective.get("nodeRatePerSecond").asInt() == 500;
      });
      onEveryNode(nodes, "the challenge difficulty", n -> Switches.get(n.system).values().difficultyFor(SALE, 0) == 7
          && Switches.get(n.system).values().difficultyFor("elsewhere", 0) == 3);
      assertEquals("night shift", before.get("changed").get("queueSize").get("by").asText());
    } finally {
      TestCluster.closeAll(nodes);
    }

    List<TestNode> again = TestCluster.start(db);
    try {
      for (TestNode node : again) TestCluster.awaitReady(node);
      for (int i = 0; i < again.size(); i++) {
        assertEquals(before, switches(again.get(i)), "node " + (i + 1) + " after the restart");
      }
      assertEquals("paused", reserve(again.get(2)).error());
      assertEquals("read_only", again.get(1).api().admin("POST", "/admin/sales/" + SALE + "/close", null).error());
      assertEquals("feature_off", again.get(0).api().get("/sales/" + SALE, null).error());
      assertEquals(7, Switches.get(again.get(2).system).values().difficultyFor(SALE, 0));
    } finally {
      TestCluster.closeAll(again);
    }
  }
}
