package seckill.partition;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import seckill.Api;
import seckill.Api.Response;
import seckill.partition.History.Exchange;

/**
 * One client per node, each starting new buyers at a steady rate, every request and answer written to
 * a {@link History}. A buyer reserves one unit and sends the same requestId again after a 503 (as
 * {@code Retry-After} says) or a missing answer (200 ms later); after three missing answers in a row
 * from its node (a node that exited) it goes to the next, as a load balancer would. It gives up
 * after {@link #PATIENCE}, with an indefinite answer in the history.
 */
public final class SteadyBuyers implements AutoCloseable {

  private static final Duration PATIENCE = Duration.ofSeconds(60);

  private final List<Api> nodes;
  private final String path;
  private final History history;
  private final ScheduledExecutorService clock;
  private final ExecutorService buyers = Executors.newFixedThreadPool(96);
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicBoolean stop = new AtomicBoolean();

  /** Starts {@code perSecond} new buyers a second on each node's client. */
  public SteadyBuyers(List<Api> nodes, String path, int perSecond, History history) {
    this.nodes = nodes;
    this.path = path;
    this.history = history;
    this.clock = Executors.newScheduledThreadPool(1);
    long period = 1_000_000L / perSecond;
    for (int i = 0; i < nodes.size(); i++) {
      int home = i;
      clock.scheduleAtFixedRate(() -> buyers.execute(() -> buy(home, "p" + next.incrementAndGet())), period * i
          / nodes.size(), period, TimeUnit.MICROSECONDS);
    }
  }

  private void buy(int home, String buyer) {
    String token = Api.mint(buyer);
    String requestId = "q-" + buyer;
    int target = home;
    int missing = 0;
    long giveUpAt = System.nanoTime() + PATIENCE.toNanos();
    while (System.nanoTime() < giveUpAt) {
      long sent = System.currentTimeMillis();
      Response r;
      try {
        r = nodes.get(target).post(path, token, Api.reserveBody(requestId, 1));
      } catch (IllegalStateException noAnswer) {
        history.add(new Exchange(sent, System.currentTimeMillis(), target, buyer, requestId, History.NO_ANSWER, null));
        if (++missing >= 3) {
          target = (target + 1) % nodes.size();
          missing = 0;
        }
        pause(200);
        continue;
      }
      missing = 0;
      String rid = r.status() == 201 ? r.json().get("reservationId").asText() : null;
      history.add(new Exchange(sent, System.currentTimeMillis(), target, buyer, requestId, r.status(), rid));
      if (r.status() != 503) return;
      String after = r.header("Retry-After");
      pause(after == null ? 1000 : 1000L * Long.parseLong(after));
    }
  }

  private void pause(long millis) {
    try {
      Thread.sleep(millis); // a client waiting before it sends again, as it was told
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** How many buyers were started so far. */
  public int started() {
    return next.get();
  }

  /** Starts no more buyers and waits until those started were answered or gave up. */
  @Override
  public void close() throws InterruptedException {
    if (!stop.compareAndSet(false, true)) return;
    clock.shutdownNow();
    clock.awaitTermination(10, TimeUnit.SECONDS);
    buyers.shutdown();
    if (!buyers.awaitTermination(PATIENCE.toSeconds() + 30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("buyers still waiting after their patience ran out");
    }
  }
}
