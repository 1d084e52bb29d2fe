package seckill.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.TestDatabases;
import seckill.TestNode;
import seckill.journal.SlowJournal;
import seckill.sale.Sale;

/** Automatic load shedding on a real node whose journal acknowledges writes late on demand. */
@ExtendWith(LogCapturingExtension.class)
class LoadSheddingTest {

  private static final Duration SLOW = Duration.ofSeconds(6);

  @AfterEach
  void healJournal() {
    SlowJournal.delay = Duration.ZERO;
  }

  private static JsonNode shedding(Api api) {
    return api.admin("GET", "/admin/admission", null).json().get("shedding");
  }

  private static void awaitBreaker(Api api, String state) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!state.equals(shedding(api).get("breaker").asText())) {
      assertTrue(System.nanoTime() < deadline, "breaker never " + state + ": " + shedding(api));
      Thread.sleep(20); // the poll interval of this wait for the breaker
    }
  }

  private static String metrics(TestNode node) {
    return new Api(node.managementUrl()).get("/metrics", null).text();
  }

  @Test
  void aSlowJournalTurnsReservesIntoFast503sAndTheBreakerClosesOnceItIsHealthy() throws Exception {
    // one failed batch opens the breaker; it stays open well inside the slow write, so the fast
    // 503s below are answered while the first write is still unacknowledged
    try (TestNode node = TestNode.start(TestDatabases.h2(), SlowJournal.CONFIG.withFallback(ConfigFactory.parseString("""
        seckill.admission.wait-budget = 300ms
        seckill.admission.shedding.breaker { max-failures = 1, call-timeout = 500ms, reset-timeout = 4s }
        """)))) {
      Api api = node.api();
      api.defineSale("shed", Api.sale(1_000, 1, "ON_ORDER", null));
      String path = api.reservePath("shed");
      Map<String, String> tokens = new HashMap<>();
      // buyer -> its one requestId's first answer; every buyer sends exactly one requestId
      Map<String, Response> first = new LinkedHashMap<>();
      int[] next = {0};
      Supplier<String> newBuyer = () -> {
        String buyer = "b" + next[0]++;
        tokens.put(buyer, api.token(buyer));
        return buyer;
      };

      for (int i = 0; i < 3; i++) {
        String buyer = newBuyer.get();
        Response r = api.post(path, tokens.get(buyer), Api.reserveBody("r-" + buyer, 1));
        assertEquals(201, r.status(), r.text());
        first.put(buyer, r);
      }
      assertEquals("CLOSED", shedding(api).get("breaker").asText());

      SlowJournal.delay = SLOW;
      String stuckBuyer = newBuyer.get();
      CompletableFuture<Response> stuck = CompletableFuture.supplyAsync(
          () -> api.post(path, tokens.get(stuckBuyer), Api.reserveBody("r-" + stuckBuyer, 1)));
      awaitBreaker(api, "OPEN");
      assertTrue(metrics(node).contains("seckill_breaker_state 2.0"), "the gauge shows the breaker open");

      List<Long> shedMillis = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        String buyer = newBuyer.get();
        long start = System.nanoTime();
        Response r = api.post(path, tokens.get(buyer), Api.reserveBody("r-" + buyer, 1));
        shedMillis.add((System.nanoTime() - start) / 1_000_000);
        assertEquals(503, r.status(), r.text());
        assertEquals("unavailable", r.error());
        assertNotNull(r.header("Retry-After"));
        first.put(buyer, r);
      }
      shedMillis.forEach(ms -> assertTrue(ms < SLOW.toMillis() / 2, "a shed reserve took " + shedMillis + " ms"));
      // shedding is answered before the token is verified: it is public, and a shed request costs the node no JWT
      Response forged = api.post(path, "not-a-token", "{\"requestId\":\"r-forged\"}");
      assertEquals(503, forged.status(), forged.text());
      assertEquals("unavailable", forged.error());
      assertNotNull(forged.header("Retry-After"));
      assertTrue(shedding(api).get("shedBreakerOpen").asLong() >= 6);

      SlowJournal.delay = Duration.ZERO;
      Response slow = stuck.get(30, TimeUnit.SECONDS);
      assertEquals(201, slow.status(), "the request admitted before the breaker opened is answered by its sale: " + slow.text());
      first.put(stuckBuyer, slow);
      // half-open lets the next batch through as the probe; its success closes the breaker
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (true) {
        String buyer = newBuyer.get();
        Response r = api.post(path, tokens.get(buyer), Api.reserveBody("r-" + buyer, 1));
        first.put(buyer, r);
        if (r.status() == 201) break;
        assertEquals(503, r.status(), r.text());
        assertTrue(System.nanoTime() < deadline, "reserves never recovered: " + shedding(api));
        Thread.sleep(100); // a client's pause before it retries a 503
      }
      awaitBreaker(api, "CLOSED");
      for (int i = 0; i < 3; i++) {
        String buyer = newBuyer.get();
        Response r = api.post(path, tokens.get(buyer), Api.reserveBody("r-" + buyer, 1));
        assertEquals(201, r.status(), r.text());
        first.put(buyer, r);
      }
      String text = metrics(node);
      assertTrue(text.contains("seckill_breaker_state 0.0"), "the gauge shows the breaker closed");
      assertTrue(text.contains("seckill_breaker_opened_total 1.0"), "the breaker opened once:\n" + text);
      assertTrue(text.contains("seckill_admission_shed_total{reason=\"breaker_open\"}"), "shed reserves are counted");

      // every buyer retries its 503'd requestId: idempotent, so each buyer ends with exactly one reservation
      Map<String, String> reservationOf = new HashMap<>();
      for (var e : first.entrySet()) {
        Response r = e.getValue();
        if (r.status() == 503) r = api.post(path, tokens.get(e.getKey()), Api.reserveBody("r-" + e.getKey(), 1));
        assertEquals(201, r.status(), e.getKey() + " " + r.text());
        reservationOf.put(e.getKey(), r.json().get("reservationId").asText());
      }
      JsonNode counters = api.admin("GET", "/admin/sales/shed", null).json();
      assertEquals(1_000, counters.get("sold").asInt() + counters.get("held").asInt() + counters.get("available").asInt());
      assertEquals(first.size(), counters.get("sold").asInt(), "one unit per buyer, nothing else: " + counters);

      JdbcReadJournal journal = PersistenceQuery.get(node.system)
          .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
      Map<String, String> journalled = new HashMap<>();
      journal.currentEventsByPersistenceId("Sale|shed", 0, Long.MAX_VALUE)
          .runWith(Sink.seq(), node.system).toCompletableFuture().get(30, TimeUnit.SECONDS)
          .forEach(env -> {
            if (env.event() instanceof Sale.ReservationsPlaced placed) {
              placed.reservations().forEach(r -> assertEquals(null, journalled.put(r.id(), r.buyer()), "twice: " + r.id()));
            }
          });
      reservationOf.forEach((buyer, id) -> assertEquals(buyer, journalled.get(id), "201 for " + id + " is in the journal"));
      assertEquals(reservationOf.size(), journalled.size(), "no reservation that nobody was told about");
    }
  }
}
