package seckill.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.BuyerSwarm;
import seckill.TestNode;

/**
 * Many buyers against a small stock, over HTTP from parallel threads: exactly the stock is sold,
 * nobody exceeds the limit, every 201 is in the journal, and a full node restart changes nothing.
 */
@ExtendWith(LogCapturingExtension.class)
abstract class ConcurrentReservationsContract {

  private static final int BUYERS = 1_000;
  private static final int STOCK = 50;
  private static final int LIMIT = 2;
  private static final int THREADS = 32;

  // correctness, not overload: generous queue and shedding budgets so a slow CI machine does not turn answers into 503s
  private static final Config NODE = ConfigFactory.parseString(
      "seckill.admission.wait-budget = 5s");

  protected abstract Config database();

  /** One answer a buyer got. */
  record Outcome(String buyer, String requestId, int quantity, int status, String reservationId) {}

  @Test
  void exactlyTheStockIsSoldToManyConcurrentBuyersAndSurvivesARestart() throws Exception {
    Config db = database();
    String saleId = "rush";
    List<Outcome> outcomes;
    Map<String, String> tokens = new HashMap<>();
    JsonNode countersBefore;

    try (TestNode node = TestNode.start(db, NODE)) {
      Api api = node.api();
      api.defineSale(saleId, Api.sale(STOCK, LIMIT, "ON_ORDER", null));
      for (int i = 0; i < BUYERS; i++) tokens.put("buyer" + i, Api.mint("buyer" + i));

      // each buyer: two requests of their own and one replay of the first, all shuffled together
      Random random = new Random(7);
      List<Outcome> plan = new ArrayList<>();
      for (int i = 0; i < BUYERS; i++) {
        String buyer = "buyer" + i;
        plan.add(new Outcome(buyer, "a", 1, 0, null));
        plan.add(new Outcome(buyer, "b", 1 + random.nextInt(LIMIT), 0, null));
        plan.add(new Outcome(buyer, "a", 1, 0, null));
      }
      Collections.shuffle(plan, random);

      String path = api.reservePath(saleId);
      List<Supplier<Outcome>> requests = new ArrayList<>();
      for (Outcome o : plan) {
        requests.add(() -> {
          Response r = api.post(path, tokens.get(o.buyer()), Api.reserveBody(o.requestId(), o.quantity()));
          // a 201 is read as the server states it: a request that joined the same buyer's request
          // in flight is answered with that request's reservation
          return r.status() == 201
              ? new Outcome(r.json().get("buyer").asText(), r.json().get("requestId").asText(),
                  r.json().get("quantity").asInt(), 201, r.json().get("reservationId").asText())
              : new Outcome(o.buyer(), o.requestId(), o.quantity(), r.status(), null);
        });
      }
      outcomes = BuyerSwarm.sendAll(THREADS, requests, Duration.ofMinutes(5)); // fails unless all are answered
      assertEquals(plan.size(), outcomes.size());

      Map<Integer, Long> byStatus = new HashMap<>();
      outcomes.forEach(o -> byStatus.merge(o.status(), 1L, Long::sum));
      assertTrue(Set.of(201, 409, 410).containsAll(byStatus.keySet()), "only 201/409/410: " + byStatus);

      // the same (buyer, requestId) always got the same reservation
      Map<String, String> firstAnswer = new HashMap<>();
      for (Outcome o : outcomes) {
        if (o.reservationId() == null) continue;
        String prior = firstAnswer.putIfAbsent(o.buyer() + "/" + o.requestId(), o.reservationId());
        if (prior != null) assertEquals(prior, o.reservationId(), "replay answered differently");
      }

      // distinct reservations: exactly the stock, nobody above the limit
      Map<String, Integer> quantityOf = new HashMap<>();
      Map<String, String> buyerOf = new HashMap<>();
      outcomes.stream().filter(o -> o.reservationId() != null).forEach(o -> {
        buyerOf.put(o.reservationId(), o.buyer());
        quantityOf.put(o.reservationId(), o.quantity());
      });
      assertEquals(STOCK, quantityOf.values().stream().mapToInt(Integer::intValue).sum(), "units sold by 201s");
      Map<String, Integer> perBuyer = new HashMap<>();
      quantityOf.forEach((rid, q) -> perBuyer.merge(buyerOf.get(rid), q, Integer::sum));
      perBuyer.forEach((buyer, units) -> assertTrue(units <= LIMIT, buyer + " got " + units));

      countersBefore = api.admin("GET", "/admin/sales/" + saleId, null).json();
      assertEquals(STOCK, countersBefore.get("sold").asInt());
      assertEquals(0, countersBefore.get("available").asInt());
      assertTrue(countersBefore.get("stockBalanced").asBoolean());
      assertEquals(quantityOf.size(), countersBefore.get("reservations").asInt());

      // every 201 is in the journal, and the journal holds nothing else
      assertEquals(quantityOf.keySet(), journalReservationIds(node, saleId));
    }

    try (TestNode restarted = TestNode.start(db, NODE)) {
      Api api = restarted.api();
      // nothing has asked the sale yet: it is back because it is remembered, and has told the views
      api.awaitState(saleId, "SOLD_OUT");
      JsonNode countersAfter = api.admin("GET", "/admin/sales/" + saleId, null).json();
      for (String field : List.of("stock", "available", "held", "sold", "reservations", "buyers")) {
        assertEquals(countersBefore.get(field).asInt(), countersAfter.get(field).asInt(), field);
      }
      Set<String> checked = new HashSet<>();
      for (Outcome o : outcomes) {
        if (o.reservationId() == null || !checked.add(o.reservationId())) continue;
        Response r = api.get("/api/reservations/" + o.reservationId(), tokens.get(o.buyer()));
        assertEquals(200, r.status(), r.text());
        assertEquals("CONFIRMED", r.json().get("status").asText());
        if (checked.size() == 1) {
          // sold out: the edge answers a replay 410 from its view; the buyer's own list has the unit
          Response mine = api.get("/api/sales/" + saleId + "/reservations", tokens.get(o.buyer()));
          assertEquals(200, mine.status(), mine.text());
          List<String> ids = new ArrayList<>();
          mine.json().get("reservations").forEach(n -> ids.add(n.get("reservationId").asText()));
          assertTrue(ids.contains(o.reservationId()), "after restart the buyer still sees " + o.reservationId());
        }
      }
      assertEquals(countersBefore.get("reservations").asInt(), checked.size(), "every reservation read back");
    }
  }

  private static Set<String> journalReservationIds(TestNode node, String saleId) throws Exception {
    JdbcReadJournal journal = PersistenceQuery.get(node.system)
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    Set<String> ids = new HashSet<>();
    journal.currentEventsByPersistenceId("Sale|" + saleId, 0, Long.MAX_VALUE)
        .runWith(Sink.seq(), node.system).toCompletableFuture().get(30, TimeUnit.SECONDS)
        .forEach(e -> {
          if (e.event() instanceof Sale.ReservationsPlaced placed) {
            placed.reservations().forEach(r -> assertTrue(ids.add(r.id()), "reservation twice in the journal: " + r.id()));
          }
        });
    return ids;
  }
}
