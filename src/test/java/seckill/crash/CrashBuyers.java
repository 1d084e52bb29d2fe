package seckill.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import seckill.Api;
import seckill.Api.Response;
import seckill.auth.BuyerTokens;

/**
 * Concurrent buyers for the crash tests, one unit each, each with its own buyer id and requestId, as
 * many as the threads can send until {@link #close()}. Records who was sent (attempted), who was
 * answered 201 and with which reservation (acknowledged), the gaps between 201s (unavailability),
 * and any answer a buyer should never see. How a buyer meets a 503 or a refused connection is its
 * {@link Retry}.
 */
final class CrashBuyers implements AutoCloseable {

  /** What a buyer does after a 503 or a refused connection: the request goes again with the same requestId. */
  enum Retry {
    /** gives up (a node killed under it) */
    NONE,
    /** sends again every 200 ms until answered */
    EAGER,
    /** waits what Retry-After says, and gives up after 12 tries, like a well-behaved client */
    AS_TOLD
  }

  static final int TRIES_AS_TOLD = 12;

  static final BuyerTokens MINTER = BuyerTokens.fromConfig(ConfigFactory.load().getConfig("seckill.auth"));

  final Map<String, String> acknowledged = new ConcurrentHashMap<>();
  final Set<String> attempted = ConcurrentHashMap.newKeySet();
  final List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
  final AtomicInteger serviceUnavailable = new AtomicInteger();
  final AtomicInteger gaveUp = new AtomicInteger();
  private final AtomicLong slowest503 = new AtomicLong();
  private final AtomicLong lastAck = new AtomicLong();
  private final AtomicLong longestGap = new AtomicLong();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final ExecutorService pool;
  private final List<Future<?>> running = new ArrayList<>();

  CrashBuyers(String prefix, List<Api> targets, String path, int threads, Retry retry) {
    pool = Executors.newFixedThreadPool(threads);
    AtomicInteger next = new AtomicInteger();
    for (int t = 0; t < threads; t++) {
      running.add(pool.submit(() -> {
        while (!stop.get()) {
          int n = next.incrementAndGet();
          String buyer = prefix + n;
          String token = MINTER.mint(buyer, Duration.ofMinutes(30));
          attempted.add(buyer);
          for (int attempt = 0; !stop.get(); attempt++) {
            if (retry == Retry.AS_TOLD && attempt == TRIES_AS_TOLD) {
              gaveUp.incrementAndGet();
              break;
            }
            Response r;
            long sent = System.nanoTime();
            try {
              r = targets.get((n + attempt) % targets.size()).post(path, token, body(buyer));
            } catch (IllegalStateException refusedOrReset) {
              if (retry == Retry.NONE) return;
              pause(200);
              continue;
            }
            if (r.status() == 201) {
              acknowledge(buyer, r.json());
              break;
            }
            if (r.status() == 503) slowest503.accumulateAndGet(System.nanoTime() - sent, Math::max);
            if (r.status() == 503 && retry != Retry.NONE) {
              serviceUnavailable.incrementAndGet();
              String after = r.header("Retry-After");
              pause(retry == Retry.AS_TOLD && after != null ? 1000L * Long.parseLong(after) : 200);
              continue;
            }
            if (r.status() != 410 && r.status() != 503) unexpected.add(buyer + ": " + r.status() + " " + r.text());
            break;
          }
        }
      }));
    }
  }

  static String body(String buyer) {
    return "{\"requestId\":\"q-" + buyer + "\",\"quantity\":1}";
  }

  private void acknowledge(String buyer, JsonNode json) {
    String rid = json.get("reservationId").asText();
    String first = acknowledged.putIfAbsent(buyer, rid);
    if (first != null && !first.equals(rid)) unexpected.add("two reservations for " + buyer + ": " + first + ", " + rid);
    long now = System.nanoTime();
    long previous = lastAck.getAndSet(now);
    if (previous != 0) longestGap.accumulateAndGet(now - previous, Math::max);
  }

  /** The longest any 503 took to arrive, in seconds. */
  double slowest503Seconds() {
    return slowest503.get() / 1e9;
  }

  /** The longest time between two consecutive 201s, in seconds. */
  double longestGapSeconds() {
    return longestGap.get() / 1e9;
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis); // a client waiting what Retry-After told it, as the test means it to
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits until at least {@code count} buyers were answered 201. */
  void awaitAcknowledged(int count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (acknowledged.size() < count) {
      assertTrue(System.nanoTime() < deadline, "only " + acknowledged.size() + " of " + count + " 201s; " + unexpected);
      Thread.sleep(20); // the poll interval of this wait for 201s
    }
  }

  @Override
  public void close() throws Exception {
    stop.set(true);
    pool.shutdown();
    assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS), "buyers did not stop");
    for (Future<?> f : running) f.get();
  }

  /**
   * After a crash and restart, on a sale with one unit per buyer: every 201 is found by its owner,
   * the counters balance, no buyer is over the limit; then every attempted request sent again is
   * answered 201, acknowledged ones with the reservation they were first given, and the units taken
   * are exactly one per attempted buyer: nothing unanswered was counted twice. The reservations
   * answered now join {@code acknowledged}, for the next round.
   */
  static void verifyNothingLostOrDoubled(Api api, String saleId, int stock, Set<String> attempted, Map<String, String> acknowledged)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> lookups = new ArrayList<>();
      acknowledged.forEach((buyer, rid) -> lookups.add(pool.submit(() -> {
        Response r = api.get("/api/reservations/" + rid, MINTER.mint(buyer, Duration.ofMinutes(5)));
        return r.status() == 200 && rid.equals(r.json().get("reservationId").asText()) ? null
            : "201 for " + rid + " (" + buyer + ") is gone: " + r.status() + " " + r.text();
      })));
      List<String> lost = new ArrayList<>();
      for (Future<String> f : lookups) if (f.get() != null) lost.add(f.get());
      assertTrue(lost.isEmpty(), lost.size() + " of " + acknowledged.size() + " reservations answered 201 did not survive"
          + " the crash, e.g. " + lost.subList(0, Math.min(3, lost.size())));

      JsonNode c = counters(api, saleId);
      assertEquals(stock, c.get("sold").asInt() + c.get("held").asInt() + c.get("available").asInt(), c.toString());
      assertTrue(c.get("topBuyerUnits").asInt() <= 1, "no buyer over the limit: " + c);
      int taken = c.get("sold").asInt() + c.get("held").asInt();
      assertTrue(taken >= acknowledged.size() && taken <= attempted.size(),
          "units taken (" + taken + ") between the 201s (" + acknowledged.size() + ") and the requests sent ("
              + attempted.size() + ")");

      String path = api.reservePath(saleId);
      List<Future<String>> resends = new ArrayList<>();
      for (String buyer : attempted) {
        resends.add(pool.submit(() -> {
          Response r = api.post(path, MINTER.mint(buyer, Duration.ofMinutes(5)), body(buyer));
          if (r.status() != 201) return buyer + " sent again: " + r.status() + " " + r.text();
          String now = r.json().get("reservationId").asText();
          String first = acknowledged.putIfAbsent(buyer, now);
          return first == null || first.equals(now) ? null : buyer + " was told " + first + ", now " + now;
        }));
      }
      List<String> wrong = new ArrayList<>();
      for (Future<String> f : resends) if (f.get() != null) wrong.add(f.get());
      assertTrue(wrong.isEmpty(), wrong.size() + " requests sent again were not answered with their one reservation, e.g. "
          + wrong.subList(0, Math.min(3, wrong.size())));
      JsonNode after = counters(api, saleId);
      assertEquals(attempted.size(), after.get("sold").asInt() + after.get("held").asInt(),
          "one unit per buyer who sent a request, none twice: " + after);
      assertTrue(after.get("topBuyerUnits").asInt() <= 1, after.toString());
    } finally {
      pool.shutdownNow();
    }
  }

  static JsonNode counters(Api api, String saleId) {
    Response r = api.admin("GET", "/admin/sales/" + saleId, null);
    assertEquals(200, r.status(), r.text());
    return r.json();
  }
}
