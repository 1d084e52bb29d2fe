package seckill.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.Await;
import seckill.BuyerSwarm;
import seckill.TestDatabases;
import seckill.TestNode;
import seckill.journal.SlowJournal;
import seckill.sale.Sale;

/** The front door: each edge filter, the bounded queue, and batching, on a real node. */
@ExtendWith(LogCapturingExtension.class)
class AdmissionTest {

  @Test
  void unknownUnopenedAndSoldOutSalesAreAnsweredAtTheEdge() {
    try (TestNode node = TestNode.start(TestDatabases.h2())) {
      Api api = node.api();
      String alice = api.token("alice");
      String bob = api.token("bob");

      assertEquals(404, api.reserve("ghost", alice, "r1", 1).status());
      var upcoming = Api.sale(1, 1, "ON_ORDER", null);
      upcoming.put("startsAt", Instant.now().plusSeconds(60).toString());
      api.defineSale("later", upcoming);
      Response early = api.post("/api/sales/later/reservations/guess", alice, Api.reserveBody("r1", 1));
      assertEquals(409, early.status());
      assertEquals("not_open", early.error());
      assertEquals(0, api.dispatched(), "nothing reached a sale");

      api.defineSale("one", Api.sale(1, 1, "ON_ORDER", null));
      assertEquals(201, api.reserve("one", alice, "r1", 1).status());
      assertEquals(1, api.dispatched());
      api.awaitState("one", "SOLD_OUT");
      Response soldOut = api.post("/api/sales/one/reservations/" + "x", bob, Api.reserveBody("r1", 1));
      assertEquals(404, soldOut.status(), "the hidden path is checked before stock");
      soldOut = api.reserve("one", bob, "r1", 1);
      assertEquals(410, soldOut.status());
      assertEquals("sold_out", soldOut.error());
      assertEquals(1, api.dispatched(), "sold out was answered from the view");

      // the winner is not lost to the edge's 410: the buyer's own list has it
      Response mine = api.get("/api/sales/one/reservations", alice);
      assertEquals(1, mine.json().get("reservations").size());
      assertEquals(0, api.get("/api/sales/one/reservations", bob).json().get("reservations").size());
    }
  }

  @Test
  void nodeRateLimitAnswers429WithRetryAfter() {
    try (TestNode node = TestNode.start(TestDatabases.h2(), ConfigFactory.parseString("""
        seckill.admission.rate-limit { per-second = 1, burst = 2 }
        """))) {
      Api api = node.api();
      String alice = api.token("alice");
      api.defineSale("limited", Api.sale(10, 5, "ON_ORDER", null));
      String path = api.reservePath("limited");
      assertEquals(201, api.post(path, alice, Api.reserveBody("r1", 1)).status());
      assertEquals(201, api.post(path, alice, Api.reserveBody("r2", 1)).status());
      Response limited = api.post(path, alice, Api.reserveBody("r3", 1));
      assertEquals(429, limited.status());
      assertEquals("rate_limited", limited.error());
      assertTrue(Integer.parseInt(limited.header("Retry-After")) >= 1);
      assertEquals(2, api.dispatched());
      assertEquals(2, api.admin("GET", "/admin/sales/limited", null).json().get("reservations").asInt());
    }
  }

  @Test
  void theNodeRateLimitHoldsUnderConcurrentBuyers() throws Exception {
    int rate = 200;
    int burst = 20;
    // a wait budget no busy host reaches: this test is about the rate limit, not the queue's 503
    try (TestNode node = TestNode.start(TestDatabases.h2(), ConfigFactory.parseString(
        "seckill.admission { wait-budget = 30s, rate-limit { per-second = " + rate + ", burst = " + burst + " } }"))) {
      Api api = node.api();
      api.defineSale("busy", Api.sale(1_000_000, 1, "ON_ORDER", null));
      String path = api.reservePath("busy");
      int n = 2_000;
      List<String> tokens = new ArrayList<>();
      for (int i = 0; i < n; i++) tokens.add(api.token("many-" + i));
      AtomicInteger created = new AtomicInteger();
      AtomicInteger limited = new AtomicInteger();
      List<Supplier<Response>> all = new ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        String token = tokens.get(i);
        String requestId = "r" + i;
        all.add(() -> {
          Response r = api.post(path, token, Api.reserveBody(requestId, 1));
          if (r.status() == 201) created.incrementAndGet();
          else if (r.status() == 429 && "rate_limited".equals(r.error())) limited.incrementAndGet();
          else throw new AssertionError(r.status() + " " + r.text());
          return r;
        });
      }
      BuyerSwarm.sendAll(32, all, Duration.ofSeconds(120));
      double seconds = (System.nanoTime() - start) / 1e9;
      // an upper bound that only grows with a slow machine: the bucket never gives more than this
      assertTrue(created.get() <= burst + rate * seconds,
          created + " reserves in " + seconds + " s passed a limit of " + rate + "/s + " + burst);
      assertTrue(created.get() >= burst && limited.get() > 0, created + " created, " + limited + " limited");
      assertEquals(n, created.get() + limited.get());
      assertEquals(created.get(), api.admin("GET", "/admin/sales/busy", null).json().get("sold").asInt(),
          "every 201 is a unit, no 429 is");
    }
  }

  @Test
  void aRetryOfARequestInFlightJoinsItsAnswer() throws Exception {
    // a long batch window keeps the first request waiting, so the second one arrives while it is in flight
    try (TestNode node = TestNode.start(TestDatabases.h2(), ConfigFactory.parseString("""
        seckill.admission.batch-window = 400ms
        """))) {
      Api api = node.api();
      String alice = api.token("alice");
      api.defineSale("double", Api.sale(10, 2, "ON_ORDER", null));
      String path = api.reservePath("double");
      // both are in flight together (the window holds whichever came first): one joins the other
      Supplier<Response> click = () -> api.post(path, alice, Api.reserveBody("click", 1));
      List<Response> both = BuyerSwarm.together(List.of(click, click), Duration.ofSeconds(10));
      Response a = both.get(0);
      Response b = both.get(1);
      assertEquals(201, a.status(), a.text());
      assertEquals(201, b.status(), b.text());
      assertEquals(a.json(), b.json(), "both answered with the one reservation");
      assertEquals(1, api.dispatched(), "the second click never reached the queue");
      assertEquals(1, api.admin("GET", "/admin/sales/double", null).json().get("sold").asInt());
    }
  }

  @Test
  void aFullQueueAnswers503AtOnceNeverGrowsAndChangesNothing() throws Exception {
    try (TestNode node = TestNode.start(TestDatabases.h2(), ConfigFactory.parseString("""
        seckill.admission { queue-size = 4, lanes = 1, batch-size = 1, batch-window = 1ms, wait-budget = 10s }
        """))) {
      Api api = node.api();
      api.defineSale("burst", Api.sale(10_000, 1, "ON_ORDER", null));
      String path = api.reservePath("burst");
      int n = 300;
      List<String> tokens = new ArrayList<>();
      for (int i = 0; i < n; i++) tokens.add(api.token("b" + i));

      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger maxQueued = new AtomicInteger();
      Thread sampler = new Thread(() -> {
        while (running.get()) {
          JsonNode stats = api.admin("GET", "/admin/admission", null).json();
          maxQueued.accumulateAndGet(stats.get("queued").asInt(), Math::max);
          assertEquals(4, stats.get("capacity").asInt());
        }
      });
      sampler.start();
      List<Supplier<Response>> burst = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String token = tokens.get(i);
        burst.add(() -> api.post(path, token, Api.reserveBody("r", 1)));
      }
      int created = 0, busy = 0;
      for (Response r : BuyerSwarm.sendAll(64, burst, Duration.ofSeconds(60))) {
        if (r.status() == 201) created++;
        else {
          assertEquals(503, r.status(), r.text());
          assertEquals("unavailable", r.error());
          assertNotNull(r.header("Retry-After"));
          busy++;
        }
      }
      running.set(false);
      sampler.join();
      assertTrue(busy > 0, "a queue of 4 cannot take a burst of " + n + " (created " + created + ")");
      assertTrue(maxQueued.get() <= 4, "queue grew to " + maxQueued.get());
      JsonNode stats = api.admin("GET", "/admin/admission", null).json();
      JsonNode shed = stats.get("shedding");
      assertEquals(busy, stats.get("rejectedFull").asInt() + stats.get("rejectedOverBudget").asInt()
          + shed.get("shedBreakerOpen").asInt() + shed.get("shedOverBudget").asInt(), "every 503 is counted once");
      JsonNode counters = api.admin("GET", "/admin/sales/burst", null).json();
      assertEquals(created, counters.get("sold").asInt(), "a 503 sold nothing");
      assertEquals(created, counters.get("reservations").asInt());
    }
  }

  @Test
  void aNodeHoldingAFullQueueOfReservesAnswers503BeforeTheTokenAndAfterTheAnswerTakesMore() throws Exception {
    // a queue of 1 and a journal that acknowledges late: the one reserve waiting for its answer fills the node
    try (TestNode node = TestNode.start(TestDatabases.h2(), SlowJournal.CONFIG.withFallback(ConfigFactory.parseString("""
        seckill.admission { queue-size = 1, wait-budget = 10s, shedding { persist-budget = 10s, breaker.call-timeout = 10s } }
        """)));
        BuyerSwarm swarm = new BuyerSwarm(2)) {
      Api api = node.api();
      api.defineSale("full", Api.sale(10, 1, "ON_ORDER", null));
      String path = api.reservePath("full");
      String alice = api.token("alice");
      SlowJournal.delay = Duration.ofMillis(1500);
      try {
        CompletableFuture<Response> persisting = swarm.send(() -> api.post(path, alice, Api.reserveBody("r1", 1)));
        Await.until(Duration.ofSeconds(10), "alice's reserve never reached the sale", () -> api.dispatched() == 1);
        Response turnedAway = api.post(path, "not-a-token", Api.reserveBody("r1", 1));
        assertEquals(503, turnedAway.status(), "refused before the token is looked at: " + turnedAway.text());
        assertEquals("unavailable", turnedAway.error());
        assertNotNull(turnedAway.header("Retry-After"));
        assertEquals(201, persisting.get(30, TimeUnit.SECONDS).status());
      } finally {
        SlowJournal.delay = Duration.ZERO;
      }
      assertEquals(401, api.post(path, "not-a-token", Api.reserveBody("r1", 1)).status(), "answered: room again");
      assertEquals(201, api.reserve("full", api.token("bob"), "r1", 1).status());
      assertEquals(1, api.admin("GET", "/admin/admission", null).json().get("rejectedFull").asInt(), "the 503 is counted");
      assertEquals(2, api.admin("GET", "/admin/sales/full", null).json().get("sold").asInt());
    }
  }

  @Test
  void aBurstIsPersistedInFarFewerEventsAndEveryRequestGetsItsOwnAnswer() throws Exception {
    try (TestNode node = TestNode.start(TestDatabases.h2(), ConfigFactory.parseString("""
        seckill.admission { batch-window = 20ms, wait-budget = 10s }
        """))) {
      Api api = node.api();
      api.defineSale("batched", Api.sale(1_000, 1, "HOLD", 300L));
      String path = api.reservePath("batched");
      int n = 200;
      List<String> tokens = new ArrayList<>();
      for (int i = 0; i < n; i++) tokens.add(api.token("b" + i));
      List<Supplier<Response>> burst = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String token = tokens.get(i);
        String requestId = "req-" + i;
        burst.add(() -> api.post(path, token, Api.reserveBody(requestId, 1)));
      }
      List<Response> answers = BuyerSwarm.sendAll(64, burst, Duration.ofSeconds(60));
      for (int i = 0; i < n; i++) {
        Response r = answers.get(i);
        assertEquals(201, r.status(), r.text());
        assertEquals("b" + i, r.json().get("buyer").asText(), "each request is answered with its own reservation");
        assertEquals("req-" + i, r.json().get("requestId").asText());
      }

      JdbcReadJournal journal = PersistenceQuery.get(node.system)
          .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
      List<Sale.ReservationsPlaced> placed = new ArrayList<>();
      journal.currentEventsByPersistenceId("Sale|batched", 0, Long.MAX_VALUE)
          .runWith(Sink.seq(), node.system).toCompletableFuture().get(30, TimeUnit.SECONDS)
          .forEach(e -> {
            if (e.event() instanceof Sale.ReservationsPlaced p) placed.add(p);
          });
      int units = placed.stream().mapToInt(p -> p.reservations().size()).sum();
      assertEquals(n, units);
      assertTrue(placed.size() <= n / 5, n + " reservations took " + placed.size() + " events");
      assertTrue(api.admin("GET", "/admin/admission", null).json().get("meanBatch").asDouble() > 1.0);
      assertEquals(n, api.admin("GET", "/admin/sales/batched", null).json().get("held").asInt());
    }
  }

  @Test
  void statusFollowsTheSaleFromTheLocalView() throws Exception {
    try (TestNode node = TestNode.start(TestDatabases.h2())) {
      Api api = node.api();
      api.defineSale("watched", Api.sale(5, 2, "HOLD", 300L));
      String token = api.token("alice");
      String rid = api.reserve("watched", token, "r1", 2).json().get("reservationId").asText();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (api.get("/api/sales/watched/status", null).json().get("available").asInt() != 3) {
        assertTrue(System.nanoTime() < deadline, "view never showed 3 available");
        Thread.sleep(20); // the poll interval of this wait for the view
      }
      assertEquals(200, api.delete("/api/reservations/" + rid, token).status());
      while (api.get("/api/sales/watched/status", null).json().get("available").asInt() != 5) {
        assertTrue(System.nanoTime() < deadline, "view never showed the cancelled units back");
        Thread.sleep(20); // the poll interval of this wait for the view
      }
    }
  }
}
