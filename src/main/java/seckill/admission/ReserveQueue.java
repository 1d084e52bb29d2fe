package seckill.admission;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.pekko.Done;
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
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.Supervision;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SubSource;
import org.apache.pekko.util.Timeout;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import seckill.metrics.Metrics;
import seckill.switches.SwitchValues;
import seckill.switches.Switches;
import seckill.sale.Sale;

/**
 * This node's bounded reserve queue (config and metrics call it the admission queue). Reserves wait
 * here, are grouped per sale and sent as one {@link Sale.ReserveBatch} (one persisted event for the
 * batch); each lane has one batch in flight, so later requests wait in the stream, never in an
 * entity's mailbox. A full queue, a request
 * queued past its budget, or a node shedding load ({@link LoadShedder}) is answered {@link Busy}
 * at once and never reaches the sale. The operator may lower the queue size and change the budget
 * at runtime ({@link Switches}).
 * A request for a sale that {@link HotKeys} calls hot weighs less in a batch, so a hot sale's
 * batches grow to batch-size x hot-batch-factor (fewer persists for the same stream) while cold
 * ones keep theirs.
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

  /** This node's reserve queue: one per actor system, its stream started on first use. */
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
  private static final Busy OVER_BUDGET = new Busy("waited too long in the queue; try again shortly");

  private static final class Pending {
    final String saleId;
    final long weight;
    final Sale.Reserve template;
    final CompletableFuture<Outcome> answer = new CompletableFuture<>();
    final AtomicInteger state = new AtomicInteger(QUEUED);
    final long offeredAt = System.nanoTime();

    Pending(String saleId, String buyer, String requestId, int quantity, long weight) {
      this.saleId = saleId;
      this.weight = weight;
      this.template = new Sale.Reserve(buyer, requestId, quantity, null);
    }
  }

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final BoundedSourceQueue<Pending> queue;
  /** Every request offered, in offer order, until the sweep finds it dispatched or over its budget. */
  private final ConcurrentLinkedQueue<Pending> waiting = new ConcurrentLinkedQueue<>();
  private final int capacity;
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
        .help("From sending a batch to a sale to its last answer: the persist and both hops").register(registry);
    this.answerSeconds = Histogram.builder().name("seckill_reserve_answer_seconds")
        .help("A reserve from its route to its answer, by kind: reserved, refused, unavailable")
        .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
        .labelNames("kind").register(registry);
    this.switches = Switches.get(system);
    Config c = system.settings().config().getConfig("seckill.admission");
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.capacity = c.getInt("queue-size");
    this.waitBudget = c.getDuration("wait-budget");
    this.shedder = LoadShedder.create(system, () -> waitBudget(switches.values()));
    this.resendAfter = Timeout.create(c.getDuration("resend-after"));
    this.attempts = (int) Math.max(1, c.getDuration("answer-timeout").toMillis() / c.getDuration("resend-after").toMillis());
    int lanes = c.getInt("lanes");
    int batchSize = c.getInt("batch-size");
    this.hotKeys = HotKeys.get(system);
    this.coldWeight = Math.max(1, c.getInt("hot-keys.hot-batch-factor"));
    long maxWeight = batchSize * coldWeight;
    Duration window = c.getDuration("batch-window");
    SubSource<Pending, BoundedSourceQueue<Pending>> perLane = Source.<Pending>queue(capacity)
        .groupBy(lanes, p -> Math.floorMod(p.saleId.hashCode(), lanes));
    // Window zero: group while the lane's previous batch is being persisted, and send a lone request
    // at once. A window: groupedWithin, which also waits for the window (scheduler ticks are 10 ms).
    SubSource<List<Pending>, BoundedSourceQueue<Pending>> batches = window.isZero()
        ? perLane.batchWeighted(maxWeight, p -> p.weight, ReserveQueue::newBatch, ReserveQueue::addToBatch)
        : perLane.groupedWeightedWithin(maxWeight, p -> p.weight, window);
    this.queue = batches
        .mapAsync(1, this::dispatch)
        .mergeSubstreams()
        .withAttributes(ActorAttributes.withSupervisionStrategy(Supervision.getResumingDecider()))
        .to(Sink.ignore())
        .run(system);
    // one timer for the node, not one per request: each tick answers Busy to whatever waited past its budget
    Duration sweep = c.getDuration("budget-sweep");
    system.scheduler().scheduleWithFixedDelay(sweep, sweep, this::expireOverBudget, system.executionContext());
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
    reserves.labelValues(outcome).inc();
    answerSeconds.labelValues(status == 201 ? "reserved" : status == 503 ? "unavailable" : "refused").observe(nanos / 1e9);
  }

  private static List<Pending> newBatch(Pending first) {
    List<Pending> batch = new ArrayList<>();
    batch.add(first);
    return batch;
  }

  private static List<Pending> addToBatch(List<Pending> batch, Pending next) {
    batch.add(next);
    return batch;
  }

  /** Queues one reserve; completes when the sale answered, or at once with {@link Busy}. */
  public CompletionStage<Outcome> offer(String saleId, String buyer, String requestId, int quantity) {
    if (shedder.shouldShed()) return CompletableFuture.completedFuture(SHED);
    Pending p = new Pending(saleId, buyer, requestId, quantity, hotKeys.isHot(saleId) ? 1 : coldWeight);
    SwitchValues now = switches.values();
    // the stream's buffer is fixed at start: an operator's smaller queue size is a cap checked here
    if ((now.queueSize() != null && queue.size() >= now.queueSize()) || queue.offer(p) != QueueOfferResult.enqueued()) {
      rejectedFull.increment();
      return CompletableFuture.completedFuture(new Busy("too many requests are waiting; try again shortly"));
    }
    waiting.add(p);
    return p.answer;
  }

  /** True when the node sheds new reserves now; counted as shed, as {@link #offer} would have. */
  boolean shedsNow() {
    return shedder.shouldShed();
  }

  /**
   * Answers Busy to every request still queued past the wait budget in force. Requests are taken in
   * offer order and one budget applies to all, so the sweep stops at the first one still in time;
   * dispatched ones are only dropped from the list.
   */
  private void expireOverBudget() {
    long budget = waitBudget(switches.values()).toNanos();
    long now = System.nanoTime();
    for (Pending p = waiting.peek(); p != null; p = waiting.peek()) {
      if (p.state.get() == QUEUED && now - p.offeredAt < budget) return;
      waiting.poll();
      expire(p);
    }
  }

  /** Answers Busy when the request is still queued. */
  private boolean expire(Pending p) {
    if (!p.state.compareAndSet(QUEUED, EXPIRED)) return false;
    rejectedOverBudget.increment();
    p.answer.complete(OVER_BUDGET);
    return true;
  }

  /** The wait budget in force: the operator's switch, else the config. */
  private Duration waitBudget(SwitchValues now) {
    return now.waitBudgetMillis() == null ? waitBudget : Duration.ofMillis(now.waitBudgetMillis());
  }

  public Stats stats() {
    long b = batches.sum();
    long d = dispatched.sum();
    return new Stats(queue.size(), capacity, b, d, b == 0 ? 0 : (double) d / b,
        b == 0 ? 0 : batchNanos.sum() / 1e6 / b, rejectedFull.sum(), rejectedOverBudget.sum(), resent.sum(),
        unanswered.sum(), shedder.condition());
  }

  public LoadShedder.BreakerState breakerState() {
    return shedder.breakerState();
  }

  /**
   * Sends one lane's batch, one ReserveBatch per sale, through the load shedder's breaker, and
   * completes when every request is answered (by its sale, or Busy when the breaker refused it).
   */
  private CompletionStage<Done> dispatch(List<Pending> batch) {
    Map<String, List<Pending>> bySale = new LinkedHashMap<>();
    List<CompletableFuture<Outcome>> answers = new ArrayList<>(batch.size());
    long budget = waitBudget(switches.values()).toNanos();
    long now = System.nanoTime();
    for (Pending p : batch) {
      // past its budget (the sweep runs every few ms): answered Busy here, never sent to the sale
      if (now - p.offeredAt >= budget && expire(p)) continue;
      if (!p.state.compareAndSet(QUEUED, DISPATCHED)) continue; // the sweep answered it while it waited
      // batches keep arrival order: the first request sent is the one that waited longest
      if (answers.isEmpty()) shedder.queueWaited(p.offeredAt, now);
      bySale.computeIfAbsent(p.saleId, k -> new ArrayList<>()).add(p);
      answers.add(p.answer);
    }
    if (answers.isEmpty()) return CompletableFuture.completedFuture(Done.getInstance());
    CompletableFuture<Void> all = CompletableFuture.allOf(answers.toArray(new CompletableFuture<?>[0]));
    shedder.guard(answers.size(), () -> sendAll(bySale, all, answers), () -> answers.forEach(a -> a.complete(SHED)));
    return all.thenApply(x -> Done.getInstance());
  }

  /** Sends the batch; completes with whether its sales answered every request (the breaker's success). */
  private CompletionStage<Boolean> sendAll(Map<String, List<Pending>> bySale, CompletableFuture<Void> all,
      List<CompletableFuture<Outcome>> answers) {
    try {
      bySale.forEach((saleId, pending) -> {
        batches.increment();
        dispatched.add(pending.size());
        batchSize.observe(pending.size());
        send(saleId, pending, 1);
      });
    } catch (RuntimeException e) {
      // nothing would ever answer the requests not sent (no reply promise yet): answer them now, or
      // the lane would wait for them forever
      answers.forEach(a -> a.complete(new Busy("the sale could not be reached; retry with the same requestId")));
      return CompletableFuture.failedFuture(e);
    }
    long start = System.nanoTime();
    int sent = bySale.size();
    return all.thenApply(x -> {
      long took = System.nanoTime() - start;
      batchNanos.add(took * sent);
      batchSeconds.observe(took / 1e9);
      shedder.persisted(start, took);
      return answers.stream().allMatch(a -> a.join() instanceof Answered);
    });
  }

  private void send(String saleId, List<Pending> pending, int attempt) {
    List<Sale.Reserve> reserves = new ArrayList<>(pending.size());
    for (Pending p : pending) {
      reserves.add(new Sale.Reserve(p.template.buyer(), p.template.requestId(), p.template.quantity(),
          replyTo(saleId, p, attempt)));
    }
    sharding.entityRefFor(Sale.ENTITY_KEY, saleId).tell(new Sale.ReserveBatch(reserves));
  }

  /**
   * A one-off reply target per request: the entity answers each request of a batch on its own. No
   * answer within resend-after (a batch lost while its shard moved): the request goes again, until
   * answer-timeout. The callback runs on the actor dispatcher, not on the entity's thread. (Not
   * through FutureConverters.asJava: its callbacks go to the JDK's common pool, which on a 2-core
   * machine is a new thread per task.)
   */
  private ActorRef<Sale.ReserveReply> replyTo(String saleId, Pending p, int attempt) {
    PromiseRef<Object> promise = PromiseRef.apply(Adapter.toClassic(system), resendAfter);
    promise.future().onComplete(new OnComplete<Object>() {
      @Override
      public void onComplete(Throwable failure, Object reply) {
        if (failure == null) {
          p.answer.complete(new Answered((Sale.ReserveReply) reply));
        } else if (attempt < attempts) {
          resent.increment();
          send(saleId, List.of(p), attempt + 1);
        } else {
          unanswered.increment();
          p.answer.complete(new Busy("the sale did not answer in time; retry with the same requestId"));
        }
      }
    }, system.executionContext());
    return Adapter.toTyped(promise.ref());
  }
}
