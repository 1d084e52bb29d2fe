package seckill.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.Await;
import seckill.BuyerSwarm;
import seckill.TestCluster;
import seckill.TestDatabases;
import seckill.TestNode;
import seckill.journal.SlowJournal;

/** The operator's queue size and wait budget change what the admission queue does with the next requests. */
@ExtendWith(LogCapturingExtension.class)
class SwitchedAdmissionTest {

  /** One batch at a time, each acknowledged this late: whatever comes meanwhile has to wait. */
  private static final Duration SLOW = Duration.ofMillis(1500);

  @AfterEach
  void healthyJournal() {
    SlowJournal.delay = Duration.ZERO;
  }

  private static void patch(Api api, String body) {
    Response r = api.send("PATCH", "/admin/switches", Api.ADMIN_TOKEN, body, Map.of());
    assertEquals(200, r.status(), r.text());
  }

  private static CompletableFuture<Response> reserveAsync(BuyerSwarm swarm, Api api, String path, String buyer) {
    String token = api.token(buyer);
    return swarm.send(() -> api.post(path, token, "{\"requestId\":\"r\"}"));
  }

  /** A reserve sent in the background; returns once it left the queue for the (slow) sale, so the next ones wait behind it. */
  private static CompletableFuture<Response> persistingAsync(BuyerSwarm swarm, Api api, String path, String buyer) {
    long before = api.dispatched();
    CompletableFuture<Response> sent = reserveAsync(swarm, api, path, buyer);
    Await.until(Duration.ofSeconds(10), buyer + "'s reserve never reached the sale", () -> api.dispatched() > before);
    return sent;
  }

  private static List<Response> burst(BuyerSwarm swarm, Api api, String path, String prefix, int n) throws Exception {
    List<CompletableFuture<Response>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) all.add(reserveAsync(swarm, api, path, prefix + i));
    List<Response> answers = new ArrayList<>();
    for (CompletableFuture<Response> f : all) answers.add(f.get(30, TimeUnit.SECONDS));
    return answers;
  }

  private static double shedBudget(Api api) {
    return api.admin("GET", "/admin/admission", null).json().get("shedding").get("queueWaitBudgetMillis").asDouble();
  }

  private static boolean queueFull(Response r) {
    return r.status() == 503 && r.json().get("message").asText().contains("too many requests are waiting");
  }

  @Test
  void theQueueSizeAndWaitBudgetSwitchesApplyToTheNextRequestsAndResetToTheConfig() throws Exception {
    try (TestNode node = TestNode.start(TestDatabases.h2(), SlowJournal.CONFIG.withFallback(ConfigFactory.parseString("""
        seckill.admission {
          queue-size = 64, lanes = 1, batch-size = 1, batch-window = 1ms, wait-budget = 10s
          shedding { persist-budget = 10s, breaker.call-timeout = 10s }
        }
        """)));
        BuyerSwarm swarm = new BuyerSwarm(8)) {
      Api api = node.api();
      // ready includes the switchboard's first answer: slowed down while it starts (its remembered
      // start and its write, 1.5 s each), the first change would miss the 3 s ask timeout
      TestCluster.awaitReady(node);
      api.defineSale("q", Api.sale(1_000, 1, "ON_ORDER", null));
      String path = api.reservePath("q");
      SlowJournal.delay = SLOW;

      patch(api, "{\"by\":\"test\",\"waitBudgetMillis\":200}");
      assertEquals(120.0, shedBudget(api), "load shedding's queue-wait budget follows: 0.6 of the switch");
      CompletableFuture<Response> persisting = persistingAsync(swarm, api, path, "a1");
      Response behind = api.post(path, api.token("b1"), "{\"requestId\":\"r\"}");
      assertEquals(503, behind.status(), behind.text());
      assertTrue(behind.json().get("message").asText().contains("waited too long"), behind.text());
      assertEquals(201, persisting.get(30, TimeUnit.SECONDS).status());

      patch(api, "{\"by\":\"test\",\"waitBudgetMillis\":null}");
      assertEquals(6000.0, shedBudget(api), "and back to 0.6 of the config's 10 s");
      persisting = persistingAsync(swarm, api, path, "a2");
      assertEquals(201, api.post(path, api.token("b2"), "{\"requestId\":\"r\"}").status(),
          "with the config's 10 s budget the same wait is fine");
      assertEquals(201, persisting.get(30, TimeUnit.SECONDS).status());

      patch(api, "{\"by\":\"test\",\"queueSize\":1}");
      persisting = persistingAsync(swarm, api, path, "a3");
      List<Response> small = burst(swarm, api, path, "c", 6);
      assertTrue(small.stream().anyMatch(SwitchedAdmissionTest::queueFull), "a queue of 1 turns part of a burst away");
      small.forEach(r -> assertTrue(r.status() == 201 || queueFull(r), r.status() + " " + r.text()));
      assertEquals(201, persisting.get(30, TimeUnit.SECONDS).status());

      patch(api, "{\"by\":\"test\",\"queueSize\":null}");
      persisting = persistingAsync(swarm, api, path, "a4");
      List<Response> full = burst(swarm, api, path, "d", 3);
      full.forEach(r -> assertEquals(201, r.status(), "the config's queue of 64 takes them all: " + r.text()));
      assertEquals(201, persisting.get(30, TimeUnit.SECONDS).status());

      long units = api.admin("GET", "/admin/sales/q", null).json().get("sold").asLong();
      long created = 4 + 1 + small.stream().filter(r -> r.status() == 201).count() + full.size();
      assertEquals(created, units, "every 201 is a unit, nothing else is");
    }
  }
}
