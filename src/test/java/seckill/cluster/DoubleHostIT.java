package seckill.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.Await;
import seckill.BuyerSwarm;
import seckill.TestDatabases;
import seckill.TestNode;

/**
 * The worst case of a short down-removal margin: one sale running on two nodes at once (here two
 * separate one-node clusters on the same PostgreSQL journal, which is what a partition looks like
 * while the losing side has not stopped yet). Buyers hit both copies at once. The journal's key
 * (persistence id, sequence number) refuses the copy that is behind, which restarts from the
 * journal: nothing is oversold, no buyer goes over the limit, every 201 is in the journal once.
 */
@ExtendWith(LogCapturingExtension.class)
class DoubleHostIT {

  private static final int STOCK = 40;
  private static final int BUYERS = 400;
  private static final Config NODE = ConfigFactory.parseString("seckill.admission.wait-budget = 5s");

  @Test
  void aSaleRunningOnTwoNodesAtOnceSellsEachUnitOnce() throws Exception {
    Config db = TestDatabases.postgres();
    Map<String, String> acknowledged = new ConcurrentHashMap<>(); // reservation id -> buyer
    Map<String, String> answerOf = new ConcurrentHashMap<>(); // buyer -> reservation id
    AtomicInteger fromA = new AtomicInteger();
    AtomicInteger fromB = new AtomicInteger();
    List<String> wrong = Collections.synchronizedList(new ArrayList<>());
    try (TestNode a = TestNode.start(db, NODE); TestNode b = TestNode.start(db, NODE)) {
      a.api().defineSale("twice", Api.sale(STOCK, 1, "ON_ORDER", null));
      // the second copy: b starts the same entity from the same journal (b's shard coordinator first
      // meets a's in the journal, is refused the same way and restarts: a few 503s)
      Await.until(Duration.ofSeconds(60), "the second copy never started",
          () -> b.api().admin("GET", "/admin/sales/twice", null).status() == 200);
      b.api().awaitState("twice", "OPEN");
      List<Api> copies = List.of(a.api(), b.api());
      String path = a.api().reservePath("twice");

      List<Supplier<Void>> buyers = new ArrayList<>();
      Random seeds = new Random(11);
      for (int i = 0; i < BUYERS; i++) {
        String buyer = "twice-" + i;
        long seed = seeds.nextLong();
        buyers.add(() -> {
          Random random = new Random(seed);
          String token = Api.mint(buyer);
          // the buyer's request goes to one copy, and half the time again to the other (same requestId)
          int first = random.nextInt(2);
          for (int copy : random.nextBoolean() ? List.of(first) : List.of(first, 1 - first)) {
            Response r = untilAnswered(copies.get(copy), path, token);
            if (r.status() == 201) {
              String rid = r.json().get("reservationId").asText();
              acknowledged.put(rid, buyer);
              String before = answerOf.putIfAbsent(buyer, rid);
              if (before != null && !before.equals(rid)) wrong.add(buyer + " got two reservations: " + before + ", " + rid);
              (copy == 0 ? fromA : fromB).incrementAndGet();
            } else if (r.status() != 410 && r.status() != 409) {
              wrong.add(buyer + ": " + r.status() + " " + r.text());
            }
          }
          return null;
        });
      }
      BuyerSwarm.sendAll(24, buyers, Duration.ofMinutes(5)); // fails unless every buyer is answered
    }
    assertEquals(List.of(), wrong);
    assertTrue(fromA.get() > 0 && fromB.get() > 0, "both copies sold: " + fromA + " and " + fromB);
    assertTrue(acknowledged.size() <= STOCK, acknowledged.size() + " units acknowledged for a stock of " + STOCK);

    // what the journal says, read by a fresh node
    try (TestNode reader = TestNode.start(db, NODE)) {
      JsonNode counters = reader.api().admin("GET", "/admin/sales/twice", null).json();
      assertEquals(acknowledged.size(), counters.get("sold").asInt(), "every 201, and nothing else, is sold: " + counters);
      assertTrue(counters.get("stockBalanced").asBoolean(), counters.toString());
      for (Map.Entry<String, String> r : acknowledged.entrySet()) {
        Response found = reader.api().get("/api/reservations/" + r.getKey(), Api.mint(r.getValue()));
        assertEquals(200, found.status(), found.text());
      }
      System.out.printf("DOUBLE-HOST %d units sold once each: %d 201s from one copy, %d from the other%n",
          acknowledged.size(), fromA.get(), fromB.get());
    }
  }

  /** Sends the reserve until it gets an answer that is not a 503 (the same requestId each time). */
  private static Response untilAnswered(Api api, String path, String token) {
    Response r = null;
    for (int attempt = 0; attempt < 30; attempt++) {
      r = api.post(path, token, Api.reserveBody("r", 1));
      if (r.status() != 503) return r;
      try {
        Thread.sleep(300); // a client's pause before it retries a 503
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return r;
      }
    }
    return r;
  }
}
