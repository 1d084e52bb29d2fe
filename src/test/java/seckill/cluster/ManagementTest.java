package seckill.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.TestPorts;
import seckill.Api;
import seckill.Await;
import seckill.Api.Response;
import seckill.TestDatabases;
import seckill.TestNode;

/** Pekko Management on its own port: health checks with our journal check, cluster members and shards. */
@ExtendWith(LogCapturingExtension.class)
class ManagementTest {

  private static Response awaitStatus(Api api, String path, int status) {
    return Await.value(java.time.Duration.ofSeconds(20), path + " never answered " + status, () -> {
      Response r = api.get(path, null);
      return r.status() == status ? r : null;
    });
  }

  @Test
  void aHealthyNodeIsAliveReadyAndShowsItsClusterAndShards() throws Exception {
    try (TestNode node = TestNode.start(TestDatabases.h2())) {
      Api mgmt = new Api(node.managementUrl());
      assertEquals(200, awaitStatus(mgmt, "/alive", 200).status());
      Response readyR = awaitStatus(mgmt, "/ready", 200);
      assertEquals(200, readyR.status(), readyR.text());
      Response members = mgmt.get("/cluster/members", null);
      assertEquals(200, members.status());
      assertEquals(1, members.json().get("members").size());
      assertEquals("Up", members.json().get("members").get(0).get("status").asText());

      node.api().defineSale("shown", Api.sale(1, 1, "ON_ORDER", null));
      Response shards = mgmt.get("/cluster/shards/Sale", null);
      assertEquals(200, shards.status(), shards.text());
      assertEquals(1, shards.json().get("regions").get(0).get("numEntities").asInt(), shards.text());
    }
  }

  @Test
  void metricsAreScrapedFromTheManagementPort() throws Exception {
    try (TestNode node = TestNode.start(TestDatabases.h2())) {
      Api api = node.api();
      api.defineSale("metered", Api.sale(2, 1, "HOLD", 300L));
      String alice = api.token("alice");
      assertEquals(201, api.reserve("metered", alice, "r1", 1).status());
      assertEquals(409, api.reserve("metered", alice, "r2", 1).status());
      api.reserve("metered", "bad-token", "r3", 1);
      Api mgmt = new Api(node.managementUrl());
      String text = Await.value(java.time.Duration.ofSeconds(10), "the held unit never showed in /metrics", () -> {
        String scraped = mgmt.get("/metrics", null).text();
        return scraped.contains("seckill_sale_units{sale=\"metered\",state=\"held\"} 1.0") ? scraped : null;
      });
      for (String line : new String[] {
          "seckill_reserve_requests_total{outcome=\"reserved\"} 1.0",
          "seckill_reserve_requests_total{outcome=\"limit_reached\"} 1.0",
          "seckill_reserve_requests_total{outcome=\"unauthorized\"} 1.0",
          "seckill_sale_units{sale=\"metered\",state=\"available\"} 1.0",
          "seckill_sale_units{sale=\"metered\",state=\"held\"} 1.0",
          "seckill_admission_queue_depth 0.0",
          "seckill_batch_size_count 2",
          "seckill_batch_answer_seconds_count 2",
          "jvm_memory_used_bytes"}) {
        assertTrue(text.contains(line), "metrics hold " + line + ":\n" + text.lines().filter(l -> l.startsWith("seckill")).toList());
      }
    }
  }

  @Test
  void aNodeWhoseJournalIsUnreachableIsAliveButNotReady() throws Exception {
    int nothingListens = TestPorts.reserve();
    // its journal is never verified, so its API is never bound: only Pekko Management answers
    try (TestNode node = TestNode.startUnverified(ConfigFactory.parseString("""
        seckill.db.url = "jdbc:postgresql://127.0.0.1:%d/none"
        seckill.db.user = x
        seckill.db.password = x
        seckill.db.connection-timeout = 1s
        # the shard regions cannot hand off without a journal: stop without waiting 10 s for them
        pekko.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = 1s
        """.formatted(nothingListens)), ConfigFactory.empty())) {
      Api mgmt = new Api(node.managementUrl());
      assertEquals(200, awaitStatus(mgmt, "/alive", 200).status());
      Response ready = Await.value(java.time.Duration.ofSeconds(10), "the journal check never failed", () -> {
        Response r = mgmt.get("/ready", null);
        return r.status() == 503 && r.json() != null && r.json().get("message").asText().startsWith("Not Healthy") ? r : null;
      });
      // Pekko Management says 500 "Not Healthy"; we answer 503 in our error shape (Kubernetes takes any non-2xx as not ready)
      assertEquals(503, ready.status(), ready.text());
      assertEquals("not_ready", ready.json().get("error").asText(), ready.text());
      assertTrue(ready.json().get("message").asText().startsWith("Not Healthy"), ready.text());
    }
  }

}
