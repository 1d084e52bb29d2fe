package seckill;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import seckill.Api.Response;

/**
 * Many buyers at once against a node or a cluster, on a fixed number of threads. Either a given set
 * of requests, whose answers come back in the order given ({@link #sendAll}, {@link #together},
 * {@link #send}), or buyers that keep coming until {@link #close()} ({@link #keepReserving}): a new
 * buyer per request, one unit each, every answer tallied in the public fields.
 */
public final class BuyerSwarm implements AutoCloseable {

  /** How a buyer meets a request that got no answer: a refused or reset connection, or a 503. */
  public enum Retry {
    /** gives up: a 503 ends the buyer, a refused connection the thread (its node was killed) */
    NONE(0, 0),
    /** sends again every 200 ms until answered */
    EAGER(0, 200),
    /** waits what Retry-After says (200 ms after a refused connection), gives up after 12 tries: a well-behaved client */
    AS_TOLD(12, 200),
    /** sends again at once, up to 20 tries */
    AT_ONCE(20, 0),
    /**
     * sends again at once, to the buyer's next target, up to 10 tries, only a request that was not
     * admitted: a refused connection, or Pekko HTTP's own 503 (no error body) while a server shuts
     * down; an admitted request answered 503 is unexpected
     */
    UNLESS_ADMITTED(10, 0);

    private final int tries; // 0: no limit
    private final long pauseMillis;

    Retry(int tries, long pauseMillis) {
      this.tries = tries;
      this.pauseMillis = pauseMillis;
    }

    private boolean sendsAgain(Response serviceUnavailable) {
      return switch (this) {
        case NONE -> false;
        case UNLESS_ADMITTED -> serviceUnavailable.error() == null;
        default -> true;
      };
    }

    private long pauseAfter(Response serviceUnavailable) {
      String after = serviceUnavailable.header("Retry-After");
      return this == AS_TOLD && after != null ? 1000L * Long.parseLong(after) : pauseMillis;
    }
  }

  /** Where buyer {@code n}'s {@code attempt} (from 0) goes. */
  @FunctionalInterface
  public interface Target {
    Api of(int n, int attempt);
  }

  /** Buyer n's first attempt goes to {@code apis[n % size]}, each retry to the next. */
  public static Target roundRobin(List<Api> apis) {
    return (n, attempt) -> apis.get((n + attempt) % apis.size());
  }

  /** buyer -> the reservation its 201 named */
  public final Map<String, String> acknowledged = new ConcurrentHashMap<>();
  /** every buyer whose request was sent */
  public final Set<String> attempted = ConcurrentHashMap.newKeySet();
  /** answers no buyer should get, and buyers told of two reservations */
  public final List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
  /** 503s that were sent again */
  public final AtomicInteger serviceUnavailable = new AtomicInteger();
  /** refused or reset connections that were sent again */
  public final AtomicInteger refused = new AtomicInteger();
  /** buyers out of tries */
  public final AtomicInteger gaveUp = new AtomicInteger();
  private final AtomicLong slowest503 = new AtomicLong();
  private final AtomicLong lastAck = new AtomicLong();
  private final AtomicLong longestGap = new AtomicLong();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final ExecutorService pool;
  private final List<Future<?>> running = new ArrayList<>();

  /** A swarm of {@code threads} threads, for {@link #send}; {@link #close()} when done. */
  public BuyerSwarm(int threads) {
    pool = Executors.newFixedThreadPool(threads);
  }

  /** Sends {@code request} on one of the swarm's threads. */
  public <T> CompletableFuture<T> send(Supplier<T> request) {
    return CompletableFuture.supplyAsync(request, pool);
  }

  /** Sends every request on {@code threads} threads; their answers, in the order given, all within {@code atMost}. */
  public static <T> List<T> sendAll(int threads, List<Supplier<T>> requests, Duration atMost) throws Exception {
    try (BuyerSwarm swarm = new BuyerSwarm(threads)) {
      List<CompletableFuture<T>> sent = new ArrayList<>();
      for (Supplier<T> request : requests) sent.add(swarm.send(request));
      return answers(sent, atMost);
    }
  }

  /** Sends every request at the same moment, each on a thread of its own; their answers, in the order given. */
  public static <T> List<T> together(List<Supplier<T>> requests, Duration atMost) throws Exception {
    try (BuyerSwarm swarm = new BuyerSwarm(requests.size())) {
      CountDownLatch go = new CountDownLatch(1);
      List<CompletableFuture<T>> sent = new ArrayList<>();
      for (Supplier<T> request : requests) {
        sent.add(swarm.send(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
          return request.get();
        }));
      }
      go.countDown();
      return answers(sent, atMost);
    }
  }

  private static <T> List<T> answers(List<CompletableFuture<T>> sent, Duration atMost) throws Exception {
    try {
      CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).get(atMost.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      long answered = sent.stream().filter(CompletableFuture::isDone).count();
      throw new AssertionError("only " + answered + " of " + sent.size() + " requests answered in " + atMost.toSeconds() + " s");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Error error) throw error; // a request's own assertion
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
    List<T> answers = new ArrayList<>();
    for (CompletableFuture<T> f : sent) answers.add(f.join());
    return answers;
  }

  /**
   * Buyers {@code prefix}1, {@code prefix}2, ... one after another on each of {@code threads}
   * threads until {@link #close()}: each mints its token, reserves one unit at {@code path} with
   * requestId {@link #requestId}, and meets a missing answer as {@code retry} says.
   */
  public static BuyerSwarm keepReserving(String prefix, Target target, String path, int threads, Retry retry) {
    BuyerSwarm swarm = new BuyerSwarm(threads);
    AtomicInteger next = new AtomicInteger();
    for (int t = 0; t < threads; t++) {
      swarm.running.add(swarm.pool.submit(() -> {
        while (!swarm.stop.get() && swarm.buy(prefix, next.incrementAndGet(), target, path, retry)) {
          // the next buyer
        }
      }));
    }
    return swarm;
  }

  /** The requestId buyer {@code buyer} of {@link #keepReserving} sends, and sends again. */
  public static String requestId(String buyer) {
    return "q-" + buyer;
  }

  /** One buyer's reserve until answered or given up; false when this thread should stop. */
  private boolean buy(String prefix, int n, Target target, String path, Retry retry) {
    String buyer = prefix + n;
    String token = Api.mint(buyer);
    attempted.add(buyer);
    for (int attempt = 0; !stop.get(); attempt++) {
      if (retry.tries > 0 && attempt == retry.tries) {
        gaveUp.incrementAndGet();
        return true;
      }
      Response r;
      long sent = System.nanoTime();
      try {
        r = target.of(n, attempt).post(path, token, Api.reserveBody(requestId(buyer), 1));
      } catch (IllegalStateException refusedOrReset) {
        if (retry == Retry.NONE) return false;
        refused.incrementAndGet();
        pause(retry.pauseMillis);
        continue;
      }
      if (r.status() == 201) {
        acknowledge(buyer, r.json());
        return true;
      }
      if (r.status() == 503) {
        slowest503.accumulateAndGet(System.nanoTime() - sent, Math::max);
        if (retry.sendsAgain(r)) {
          serviceUnavailable.incrementAndGet();
          pause(retry.pauseAfter(r));
          continue;
        }
        if (retry == Retry.NONE) return true;
      }
      if (r.status() != 410) unexpected.add(buyer + ": " + r.status() + " " + r.text());
      return true;
    }
    return true;
  }

  private void acknowledge(String buyer, JsonNode json) {
    String rid = json.get("reservationId").asText();
    String first = acknowledged.putIfAbsent(buyer, rid);
    if (first != null && !first.equals(rid)) unexpected.add("two reservations for " + buyer + ": " + first + ", " + rid);
    long now = System.nanoTime();
    long previous = lastAck.getAndSet(now);
    if (previous != 0) longestGap.accumulateAndGet(now - previous, Math::max);
  }

  private static void pause(long millis) {
    if (millis == 0) return;
    try {
      Thread.sleep(millis); // a client waiting before it sends again, as its Retry says
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Tries sent again because they were not admitted: refused connections and 503s. */
  public int notAdmitted() {
    return refused.get() + serviceUnavailable.get();
  }

  /** The longest any 503 took to arrive, in seconds. */
  public double slowest503Seconds() {
    return slowest503.get() / 1e9;
  }

  /** The longest time between two consecutive 201s, in seconds. */
  public double longestGapSeconds() {
    return longestGap.get() / 1e9;
  }

  /** Waits until at least {@code count} buyers were answered 201. */
  public void awaitAcknowledged(int count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (acknowledged.size() < count) {
      assertTrue(System.nanoTime() < deadline, "only " + acknowledged.size() + " of " + count + " 201s; " + unexpected);
      Thread.sleep(20); // the poll interval of this wait for 201s
    }
  }

  /** Stops the buyers after their current request, and fails if one of them failed or they do not stop within 60 s. */
  @Override
  public void close() throws Exception {
    stop.set(true);
    pool.shutdown();
    assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS), "buyers did not stop");
    for (Future<?> f : running) f.get();
  }
}
