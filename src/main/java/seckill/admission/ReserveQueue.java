package seckill.admission;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.dispatch.OnComplete;
import org.apache.pekko.pattern.PromiseRef;
import org.apache.pekko.util.Timeout;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import scala.concurrent.ExecutionContextExecutor;
import seckill.metrics.Metrics;
import seckill.sale.ReserveAnswer;
import seckill.sale.Sale;
import seckill.switches.SwitchValues;
import seckill.switches.Switches;

/**
 * This node's bounded reserve queue (config and metrics call it the admission queue). Reserves wait
 * in lanes (sales hashed over them), each with at most one batch in flight: whoever frees a lane
 * (a new request, or the answer to its batch) takes the requests waiting in it and sends them to
 * their sale as one {@link Sale.ReserveBatch} (one persisted event), which the sale answers with one
 * {@link Sale.ReservesAnswered}. Per request there is only its place in a lane and its answer's
 * future: no stream element, ask, promise actor or timer. A full queue, a request queued past its
 * budget, or a node shedding load ({@link LoadShedder}) is answered {@link Busy} at once and never
 * reaches the sale. The operator may lower the queue size and change the budget at runtime
 * ({@link Switches}). A request for a sale that {@link HotKeys} calls hot weighs less in a batch, so
 * a hot sale's batches grow to batch-size x hot-batch-factor while cold ones keep theirs.
 */
public final class ReserveQueue implements Extension {

  private static final class Id extends AbstractExtensionId<ReserveQueue> implements ExtensionIdProvider {
    @Override
    public ReserveQueue createExtension(ExtendedActorSystem system) {
      return new ReserveQueue(Adapter.toTyped(system));
    }

    @Override
    public Id lookup() {
      return ID;
    }
  }

  private static final Id ID = new Id();

  /** This node's reserve queue: one per actor system. */
  public static ReserveQueue get(ActorSystem<?> system) {
    return ID.get(Adapter.toClassic(system));
  }

  /** How a request left the queue. */
  public sealed interface Outcome {}

  /** The sale answered (reserved or refused). */
  public record Answered(Sale.ReserveReply reply) implements Outcome {}

  /** Not sent, or not answered in time: the buyer should retry later with the same request id. */
  public record Busy(String message) implements Outcome {}

  /** Counters for operators and benchmarks. */
  public record Stats(int queued, int capacity, long batches, long dispatched, double meanBatch,
      double meanBatchMillis, long rejectedFull, long rejectedOverBudget, long resent, long unanswered,
      LoadShedder.Condition shedding) {}

  private static final int QUEUED = 0;
  private static final int DISPATCHED = 1;
  private static final int EXPIRED = 2;

  static final Busy SHED = new Busy("the node is shedding load; retry shortly with the same requestId");
  static final Busy FULL = new Busy("too many requests are waiting; try again shortly");
  private static final Busy OVER_BUDGET = new Busy("waited too long in the queue; try again shortly");
  private static final Busy UNANSWERED = new Busy("the sale did not answer in time; retry with the same requestId");
  private static final Busy UNREACHABLE = new Busy("the sale could not be reached; retry with the same requestId");

  private static final class Pending {
    final String saleId;
    final Sale.Reserve reserve;
    final long weight;
    final CompletableFuture<Outcome> answer = new CompletableFuture<>();
    final AtomicInteger state = new AtomicInteger(QUEUED);
    final long offeredAt = System.nanoTime();

    Pending(String saleId, Sale.Reserve reserve, long weight) {
      this.saleId = saleId;
      this.reserve = reserve;
      this.weight = weight;
    }
  }

  /** Requests in offer order and whether a batch of theirs is out; the weight waiting, for a batch window. */
  private static final class Lane {
    final ConcurrentLinkedQueue<Pending> waiting = new ConcurrentLinkedQueue<>();
    final AtomicBoolean sending = new AtomicBoolean();
    final AtomicLong weight = new AtomicLong();
    final AtomicBoolean windowArmed = new AtomicBoolean();
  }

  private final ActorSystem<?> system;
  private final ExecutionContextExecutor executor;
  private final ClusterSharding sharding;
  private final Lane[] lanes;
  private final AtomicInteger queued = new AtomicInteger();
  /** Offered and not answered yet: queued, or in a batch the sale has not answered. */
  private final AtomicInteger inFlight = new AtomicInteger();
  private final int capacity;
  private final long maxWeight;
  private final long windowNanos;
  private final Duration waitBudget;
  private final Timeout resendAfter;
  private final int attempts;
  private final LongAdder batches = new LongAdder();
  private final LongAdder dispatched = new LongAdder();
  private final LongAdder rejectedFull = new LongAdder();
  private final LongAdder rejectedOverBudget = new LongAdder();
  private final LongAdder unanswered = new LongAdder();
  private final LongAdder resent = new LongAdder();
  private final LongAdder batchNanos = new LongAdder();

  private final Counter reserves;
  private final Histogram batchSize;
  private final Histogram batchSeconds;
  private final Histogram answerSeconds;
  // each outcome's and kind's data point, found once: per answer only the increment
  private final Map<String, CounterDataPoint> counters = new ConcurrentHashMap<>();
  private final DistributionDataPoint reservedSeconds;
  private final DistributionDataPoint unavailableSeconds;
  private final DistributionDataPoint refusedSeconds;
  private final LoadShedder shedder;
  private final Switches switches;
  private final HotKeys hotKeys;
  private final long coldWeight;

  private ReserveQueue(ActorSystem<?> system) {
    PrometheusRegistry registry = Metrics.get(system).registry();
    this.reserves = Counter.builder().name("seckill_reserve_requests_total")
        .help("Reserve requests by how they were answered").labelNames("outcome").register(registry);
    this.batchSize = Histogram.builder().name("seckill_batch_size")
        .help("Requests per batch sent to a sale (one persisted event)")
        .classicUpperBounds(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000).register(registry);
    this.batchSeconds = Histogram.builder().name("seckill_batch_answer_seconds")
        .help("From sending a batch to a sale to its answer: the persist and both hops").register(registry);
    this.answerSeconds = Histogram.builder().name("seckill_reserve_answer_seconds")
        .help("A reserve from its route to its answer, by kind: reserved, refused, unavailable")
        .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
        .labelNames("kind").register(registry);
    this.reservedSeconds = answerSeconds.labelValues("reserved");
    this.unavailableSeconds = answerSeconds.labelValues("unavailable");
    this.refusedSeconds = answerSeconds.labelValues("refused");
    this.switches = Switches.get(system);
    Config c = system.settings().config().getConfig("seckill.admission");
    this.system = system;
    this.executor = system.executionContext();
    this.sharding = ClusterSharding.get(system);
    this.capacity = c.getInt("queue-size");
    this.waitBudget = c.getDuration("wait-budget");
    this.shedder = LoadShedder.create(system, () -> waitBudget(switches.values()));
    this.resendAfter = Timeout.create(c.getDuration("resend-after"));
    this.attempts = (int) Math.max(1, c.getDuration("answer-timeout").toMillis() / c.getDuration("resend-after").toMillis());
    this.lanes = new Lane[c.getInt("lanes")];
    for (int i = 0; i < lanes.length; i++) lanes[i] = new Lane();
    this.hotKeys = HotKeys.get(system);
    this.coldWeight = Math.max(1, c.getInt("hot-keys.hot-batch-factor"));
    this.maxWeight = c.getInt("batch-size") * coldWeight;
    this.windowNanos = c.getDuration("batch-window").toNanos();
    // one timer for the node, not one per request: each tick answers Busy to whatever waited past its budget
    Duration sweep = c.getDuration("budget-sweep");
    system.scheduler().scheduleWithFixedDelay(sweep, sweep, this::expireOverBudget, executor);
    registerGauges(registry);
  }

  /** Gauges and counters read at scrape time from the queue, the shedder and the breaker. */
  private void registerGauges(PrometheusRegistry registry) {
    GaugeWithCallback.builder().name("seckill_admission_queue_depth").help("Requests waiting in the admission queue")
        .callback(cb -> cb.call(stats().queued())).register(registry);
    CounterWithCallback.builder().name("seckill_admission_rejected").help("Requests answered 503 by the queue")
        .labelNames("reason").callback(cb -> {
          Stats s = stats();
          cb.call(s.rejectedFull(), "queue_full");
          cb.call(s.rejectedOverBudget(), "over_budget");
          cb.call(s.unanswered(), "unanswered");
        }).register(registry);
    CounterWithCallback.builder().name("seckill_admission_shed").help("Reserves answered 503 at once by load shedding")
        .labelNames("reason").callback(cb -> {
          LoadShedder.Condition s = stats().shedding();
          cb.call(s.shedBreakerOpen(), "breaker_open");
          cb.call(s.shedOverBudget(), "over_budget");
        }).register(registry);
    GaugeWithCallback.builder().name("seckill_admission_shedding")
        .help("1 while a smoothed latency is over its budget and new reserves are shed")
        .callback(cb -> cb.call(stats().shedding().shedding() ? 1 : 0)).register(registry);
    GaugeWithCallback.builder().name("seckill_breaker_state")
        .help("The persist circuit breaker: 0 closed, 1 half-open, 2 open")
        .callback(cb -> cb.call(breakerState().ordinal())).register(registry);
    CounterWithCallback.builder().name("seckill_breaker_opened").help("Times the persist circuit breaker opened")
        .callback(cb -> cb.call(stats().shedding().breakerOpened())).register(registry);
  }

  /** Reserve answers on this node since it started, by outcome (the dashboard's live chart): the Prometheus counter's. */
  public SortedMap<String, Long> outcomes() {
    SortedMap<String, Long> counts = new TreeMap<>();
    reserves.collect().getDataPoints().forEach(p -> counts.put(p.getLabels().get("outcome"), (long) p.getValue()));
    return counts;
  }

  /**
   * Counts one reserve answer by its outcome ({@code reserved}, {@code sold_out}, ...) and times it
   * by its kind: {@code reserved} (201), {@code unavailable} (503), {@code refused} (any other).
   */
  public void answered(String outcome, int status, long nanos) {
    counters.computeIfAbsent(outcome, reserves::labelValues).inc();
    (status == 201 ? reservedSeconds : status == 503 ? unavailableSeconds : refusedSeconds).observe(nanos / 1e9);
  }

  /**
   * Queues one reserve ({@code admission}: its waiting-room admission's rank, null without a room);
   * completes when the sale answered, or at once with {@link Busy}.
   */
  public CompletionStage<Outcome> offer(String saleId, String buyer, String requestId, int quantity, Long admission) {
    if (shedder.shouldShed()) return CompletableFuture.completedFuture(SHED);
    if (inFlight.incrementAndGet() > limit()) {
      inFlight.decrementAndGet();
      rejectedFull.increment();
      return CompletableFuture.completedFuture(FULL);
    }
    queued.incrementAndGet();
    Pending p = new Pending(saleId, new Sale.Reserve(buyer, requestId, quantity, null, admission),
        hotKeys.isHot(saleId) ? 1 : coldWeight);
    Lane lane = lanes[Math.floorMod(saleId.hashCode(), lanes.length)];
    lane.weight.addAndGet(p.weight);
    lane.waiting.add(p);
    drain(lane, false);
    return p.answer;
  }

  /** True when the node sheds new reserves now; counted as shed, as {@link #offer} would have. */
  boolean shedsNow() {
    return shedder.shouldShed();
  }

  /**
   * True when the node holds as many reserves as its queue size, between the queue and their
   * answers: a new one would only wait. Counted as the full queue {@link #offer} would have answered.
   */
  boolean fullNow() {
    if (inFlight.get() < limit()) return false;
    rejectedFull.increment();
    return true;
  }

  /** The queue size in force: an operator's smaller one is a cap below the configured one. */
  private int limit() {
    Integer switched = switches.values().queueSize();
    return switched == null ? capacity : Math.min(capacity, switched);
  }

  /** Completes a request's answer once, and counts it out of the node's reserves in flight. */
  private void answer(Pending p, Outcome outcome) {
    if (p.answer.complete(outcome)) inFlight.decrementAndGet();
  }

  /**
   * Sends the lane's next batch unless one is out: the caller that frees the lane sends. Loops when a
   * request arrived between finding the lane empty and freeing it, so none is left behind.
   */
  private void drain(Lane lane, boolean windowOver) {
    while (lane.sending.compareAndSet(false, true)) {
      if (holdForWindow(lane, windowOver)) {
        lane.sending.set(false);
        return;
      }
      List<Pending> batch = take(lane);
      if (!batch.isEmpty()) {
        dispatch(lane, batch);
        return;
      }
      lane.sending.set(false);
      if (lane.waiting.isEmpty()) return;
    }
  }

  /**
   * With a batch window: a lane holding less than a full batch waits until its oldest request has
   * waited the window (one timer per lane, then), so requests that come close together go together.
   */
  private boolean holdForWindow(Lane lane, boolean windowOver) {
    if (windowNanos == 0 || windowOver || lane.weight.get() >= maxWeight) return false;
    Pending oldest = lane.waiting.peek();
    if (oldest == null) return false;
    long due = oldest.offeredAt + windowNanos - System.nanoTime();
    if (due <= 0) return false;
    if (lane.windowArmed.compareAndSet(false, true)) {
      system.scheduler().scheduleOnce(Duration.ofNanos(due), () -> {
        lane.windowArmed.set(false);
        drain(lane, true);
      }, executor);
    }
    return true;
  }

  /** Up to a batch's weight of the lane's requests still queued and within the budget, oldest first. */
  private List<Pending> take(Lane lane) {
    List<Pending> batch = new ArrayList<>();
    long budget = waitBudget(switches.values()).toNanos();
    long now = System.nanoTime();
    long weight = 0;
    while (true) {
      Pending next = lane.waiting.peek();
      if (next == null || (!batch.isEmpty() && weight + next.weight > maxWeight)) break;
      // the sweep may have taken that one meanwhile: go on with whichever comes out
      Pending p = lane.waiting.poll();
      if (p == null) break;
      lane.weight.addAndGet(-p.weight);
      // past its budget (the sweep runs every few ms): answered Busy here, never sent to the sale
      if (now - p.offeredAt >= budget && expire(p)) continue;
      if (!p.state.compareAndSet(QUEUED, DISPATCHED)) continue; // the sweep answered it while it waited
      queued.decrementAndGet();
      // batches keep arrival order: the first request sent is the one that waited longest
      if (batch.isEmpty()) shedder.queueWaited(p.offeredAt, now);
      batch.add(p);
      weight += p.weight;
    }
    return batch;
  }

  /**
   * Answers Busy to every request still queued past the wait budget in force. A lane is in offer
   * order and one budget applies to all, so each lane's sweep stops at the first one still in time.
   */
  private void expireOverBudget() {
    long budget = waitBudget(switches.values()).toNanos();
    long now = System.nanoTime();
    for (Lane lane : lanes) {
      for (Pending p : lane.waiting) {
        if (p.state.get() == QUEUED && now - p.offeredAt < budget) break;
        expire(p);
        if (lane.waiting.remove(p)) lane.weight.addAndGet(-p.weight);
      }
    }
  }

  /** Answers Busy when the request is still queued. */
  private boolean expire(Pending p) {
    if (!p.state.compareAndSet(QUEUED, EXPIRED)) return false;
    queued.decrementAndGet();
    rejectedOverBudget.increment();
    answer(p, OVER_BUDGET);
    return true;
  }

  /** The wait budget in force: the operator's switch, else the config. */
  private Duration waitBudget(SwitchValues now) {
    return now.waitBudgetMillis() == null ? waitBudget : Duration.ofMillis(now.waitBudgetMillis());
  }

  public Stats stats() {
    long b = batches.sum();
    long d = dispatched.sum();
    return new Stats(queued.get(), capacity, b, d, b == 0 ? 0 : (double) d / b,
        b == 0 ? 0 : batchNanos.sum() / 1e6 / b, rejectedFull.sum(), rejectedOverBudget.sum(), resent.sum(),
        unanswered.sum(), shedder.condition());
  }

  public LoadShedder.BreakerState breakerState() {
    return shedder.breakerState();
  }

  /**
   * Sends one lane's batch, one ReserveBatch per sale in it, through the load shedder's breaker; the
   * lane is free again once every request is answered (by its sale, or Busy when the breaker refused it).
   */
  private void dispatch(Lane lane, List<Pending> batch) {
    Map<String, List<Pending>> bySale = new LinkedHashMap<>();
    for (Pending p : batch) bySale.computeIfAbsent(p.saleId, k -> new ArrayList<>()).add(p);
    CompletableFuture<Boolean> answered = new CompletableFuture<>();
    answered.whenComplete((ok, failure) -> {
      lane.sending.set(false);
      drain(lane, false);
    });
    shedder.guard(batch.size(), () -> sendAll(bySale, answered), () -> {
      batch.forEach(p -> answer(p, SHED));
      answered.complete(false);
    });
  }

  /** Sends the batch; completes with whether its sales answered every request (the breaker's success). */
  private CompletionStage<Boolean> sendAll(Map<String, List<Pending>> bySale, CompletableFuture<Boolean> answered) {
    long start = System.nanoTime();
    AtomicInteger left = new AtomicInteger(bySale.size());
    AtomicBoolean allAnswered = new AtomicBoolean(true);
    try {
      bySale.forEach((saleId, pending) -> {
        batches.increment();
        dispatched.add(pending.size());
        batchSize.observe(pending.size());
        send(saleId, pending, 1, byReply -> {
          if (!byReply) allAnswered.set(false);
          if (left.decrementAndGet() > 0) return;
          long took = System.nanoTime() - start;
          batchNanos.add(took * bySale.size());
          batchSeconds.observe(took / 1e9);
          shedder.persisted(start, took);
          answered.complete(allAnswered.get());
        });
      });
    } catch (RuntimeException e) {
      // nothing would ever answer the requests not sent (no reply target yet): answer them now, or
      // the lane would wait for them forever
      bySale.values().forEach(pending -> pending.forEach(p -> answer(p, UNREACHABLE)));
      answered.complete(false);
      return CompletableFuture.failedFuture(e);
    }
    return answered;
  }

  /** What a sale's batch ended with: true when the sale answered it, false when it never did. */
  private interface BatchDone {
    void done(boolean byReply);
  }

  /**
   * Sends one sale's part of a batch with a one-off reply target for the whole of it. No answer within
   * resend-after (a batch lost while its shard moved): the same requests go again, until
   * answer-timeout (safe: the sale answers a (buyer, requestId) it already reserved with that
   * reservation). The callback runs on the actor dispatcher, not on the entity's thread.
   */
  private void send(String saleId, List<Pending> pending, int attempt, BatchDone done) {
    List<Sale.Reserve> reserves = new ArrayList<>(pending.size());
    for (Pending p : pending) reserves.add(p.reserve);
    PromiseRef<Object> promise = PromiseRef.apply(Adapter.toClassic(system), resendAfter);
    promise.future().onComplete(new OnComplete<Object>() {
      @Override
      public void onComplete(Throwable failure, Object reply) {
        if (failure == null) {
          List<ReserveAnswer> answers = ((Sale.ReservesAnswered) reply).answers();
          for (int i = 0; i < pending.size(); i++) answer(pending.get(i), new Answered(answers.get(i).reply()));
          done.done(true);
        } else if (attempt < attempts) {
          resent.add(pending.size());
          send(saleId, pending, attempt + 1, done);
        } else {
          unanswered.add(pending.size());
          pending.forEach(p -> answer(p, UNANSWERED));
          done.done(false);
        }
      }
    }, executor);
    ActorRef<Sale.ReservesAnswered> answerTo = Adapter.toTyped(promise.ref());
    sharding.entityRefFor(Sale.ENTITY_KEY, saleId).tell(new Sale.ReserveBatch(reserves, answerTo));
  }
}
