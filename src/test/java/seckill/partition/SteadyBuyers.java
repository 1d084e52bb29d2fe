package seckill.partition;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import seckill.Api;
import seckill.http.Json;
import seckill.partition.History.Exchange;

/**
 * One client per node, each starting new buyers at a steady rate, every request and answer written to
 * a {@link History}. A buyer reserves one unit and sends the same requestId again after a 503 (as
 * {@code Retry-After} says) or a missing answer (200 ms later); after three missing answers in a row
 * from its node (a node that exited) it goes to the next, as a load balancer would. It gives up
 * after {@link #PATIENCE}, with an indefinite answer in the history.
 *
 * <p>Requests are sent asynchronously, with no thread per buyer: with a pool of threads, buyers waiting
 * for slow 503s on one side of a partition would take the threads the other side's client needs, and
 * that side would seem to stop selling early.
 */
public final class SteadyBuyers implements AutoCloseable {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(20);

  private final List<String> nodes;
  private final String path;
  private final History history;
  private final ScheduledExecutorService clock = Executors.newScheduledThreadPool(2);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final AtomicInteger started = new AtomicInteger();
  private final AtomicInteger pending = new AtomicInteger();
  private final List<ScheduledFuture<?>> starters = new ArrayList<>();

  /** One buyer's state between its attempts. */
  private final class Buyer {
    final String name;
    final String token;
    final long giveUpAt = System.nanoTime() + PATIENCE.toNanos();
    int target;
    int missing;

    Buyer(String name, int home) {
      this.name = name;
      this.token = Api.mint(name);
      this.target = home;
    }

    String requestId() {
      return "q-" + name;
    }
  }

  /** Starts {@code perSecond} new buyers a second on the client of each node (base URLs). */
  public SteadyBuyers(List<String> nodes, String path, int perSecond, History history) {
    this.nodes = nodes;
    this.path = path;
    this.history = history;
    long period = 1_000_000L / perSecond;
    for (int i = 0; i < nodes.size(); i++) {
      int home = i;
      starters.add(clock.scheduleAtFixedRate(() -> {
        pending.incrementAndGet();
        attempt(new Buyer("p" + started.incrementAndGet(), home));
      }, period * i / nodes.size(), period, TimeUnit.MICROSECONDS));
    }
  }

  private void attempt(Buyer b) {
    if (System.nanoTime() > b.giveUpAt) {
      pending.decrementAndGet();
      return;
    }
    long sent = System.currentTimeMillis();
    int target = b.target;
    HttpRequest request = HttpRequest.newBuilder(URI.create(nodes.get(target) + path)).timeout(ANSWER_TIMEOUT)
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + b.token)
        .POST(HttpRequest.BodyPublishers.ofString(Api.reserveBody(b.requestId(), 1))).build();
    http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((r, noAnswer) -> {
      try {
        if (noAnswer != null) {
          history.add(new Exchange(sent, System.currentTimeMillis(), target, b.name, b.requestId(), History.NO_ANSWER,
              null));
          if (++b.missing >= 3) {
            b.target = (b.target + 1) % nodes.size();
            b.missing = 0;
          }
          later(b, 200);
          return;
        }
        b.missing = 0;
        String rid = r.statusCode() == 201 ? reservationId(r.body()) : null;
        history.add(new Exchange(sent, System.currentTimeMillis(), target, b.name, b.requestId(), r.statusCode(), rid));
        if (r.statusCode() == 503) {
          later(b, r.headers().firstValue("Retry-After").map(s -> 1000L * Long.parseLong(s)).orElse(1000L));
        } else {
          pending.decrementAndGet();
        }
      } catch (RuntimeException e) {
        pending.decrementAndGet();
        throw e;
      }
    });
  }

  private static String reservationId(String body) {
    try {
      JsonNode json = Json.MAPPER.readTree(body);
      return json.get("reservationId").asText();
    } catch (IOException | NullPointerException e) {
      return "unreadable 201: " + body;
    }
  }

  /** The buyer's next attempt, after what it was told to wait. */
  private void later(Buyer b, long millis) {
    if (clock.isShutdown()) {
      pending.decrementAndGet();
      return;
    }
    clock.schedule(() -> attempt(b), millis, TimeUnit.MILLISECONDS);
  }

  /** How many buyers were started so far. */
  public int started() {
    return started.get();
  }

  /** Starts no more buyers and waits until those started were answered or gave up. */
  @Override
  public void close() throws InterruptedException {
    long deadline = System.nanoTime() + PATIENCE.plus(ANSWER_TIMEOUT).plusSeconds(10).toNanos();
    stopStarting();
    while (pending.get() > 0) {
      if (System.nanoTime() > deadline) throw new IllegalStateException(pending.get() + " buyers never finished");
      Thread.sleep(50); // the poll interval of this wait for the last buyers
    }
    clock.shutdownNow();
  }

  /** Stops everything at once, answered or not (a run that failed); nothing if already closed. */
  public void halt() {
    stopStarting();
    clock.shutdownNow();
  }

  /** No new buyers; the started ones go on (their retries are scheduled on the same clock). */
  private void stopStarting() {
    starters.forEach(f -> f.cancel(false));
  }
}
