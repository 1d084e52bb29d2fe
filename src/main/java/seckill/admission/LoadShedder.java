package seckill.admission;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.pattern.CircuitBreaker;
import org.apache.pekko.pattern.CircuitBreakerOpenException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides when the {@link ReserveQueue} turns new reserves away at once instead of queueing them.
 *
 * <p>Two smoothed signals, each against its budget: queue wait (the oldest request of a batch,
 * offer to dispatch) against a share of the wait budget in force (the operator's switch, else the
 * config), and persist latency (a batch's dispatch to its last answer). Once either is
 * over budget the node sheds for one shed period, then admits again and measures afresh: samples
 * of work started before the trip are ignored, so stale evidence cannot keep it shedding. A
 * circuit breaker around each batch's persist path opens after consecutive batches time out or go
 * unanswered; while it is open nothing is admitted, and half-open lets one batch through as the probe.
 */
public final class LoadShedder {

  private static final Logger log = LoggerFactory.getLogger(LoadShedder.class);

  /** What operators see in {@code GET /admin/admission}. */
  public record Condition(String breaker, boolean shedding, double queueWaitMillis, double queueWaitBudgetMillis,
      double persistMillis, long shedBreakerOpen, long shedOverBudget, long breakerOpened) {}

  /** Breaker states, declared in the order of the Prometheus gauge's values (0, 1, 2). */
  public enum BreakerState { CLOSED, HALF_OPEN, OPEN }

  /** One exponentially weighted moving average of a latency, checked against the budget given with each sample. */
  private static final class Signal {
    final String name;
    final double weight;
    final double cap;
    private double smoothed; // from idle: a node's first slow batch (an entity recovering) is one sample, not the average

    Signal(String name, double weight, double cap) {
      this.name = name;
      this.weight = weight;
      this.cap = cap;
    }

    /** Adds a sample, capped so that one stalled batch alone cannot trip; true when now over budget. */
    synchronized boolean add(long nanos, long budget) {
      double sample = Math.min(nanos, cap * budget);
      smoothed = weight * sample + (1 - weight) * smoothed;
      return smoothed > budget;
    }

    synchronized double millis() {
      return smoothed / 1e6;
    }

    synchronized void reset() {
      smoothed = 0;
    }
  }

  private final CircuitBreaker breaker;
  private final Executor executor;
  private final LongSupplier clock;
  private final long shedPeriodNanos;
  private final double queueWaitShare;
  private final Supplier<Duration> waitBudget;
  private final Signal queueWait;
  private final Signal persist;
  private final long persistBudgetNanos;
  private volatile long shedUntil;
  private volatile long trippedAt;
  private final LongAdder shedBreakerOpen = new LongAdder();
  private final LongAdder shedOverBudget = new LongAdder();
  private final LongAdder breakerOpened = new LongAdder();

  /**
   * Reads {@code seckill.admission.shedding}; the breaker's listeners run on the system's dispatcher.
   * {@code waitBudget} gives the wait budget in force (the operator's switch, else the config) each time it is asked.
   */
  public static LoadShedder create(ActorSystem<?> system, Supplier<Duration> waitBudget) {
    Config c = system.settings().config().getConfig("seckill.admission.shedding");
    CircuitBreaker breaker = new CircuitBreaker(system.executionContext(), Adapter.toClassic(system).scheduler(),
        c.getInt("breaker.max-failures"), c.getDuration("breaker.call-timeout"), c.getDuration("breaker.reset-timeout"));
    return new LoadShedder(c, waitBudget, breaker, system.executionContext(), System::nanoTime);
  }

  /** {@code executor} runs what follows a guarded batch (see {@link #guard}). */
  LoadShedder(Config c, Supplier<Duration> waitBudget, CircuitBreaker breaker, Executor executor, LongSupplier clock) {
    this.breaker = breaker;
    this.executor = executor;
    this.clock = clock;
    this.shedPeriodNanos = c.getDuration("shed-period").toNanos();
    double weight = c.getDouble("smoothing");
    if (weight <= 0 || weight > 1) throw new IllegalArgumentException("seckill.admission.shedding.smoothing must be in (0, 1]");
    double cap = c.getDouble("sample-cap");
    if (cap <= 1) throw new IllegalArgumentException("seckill.admission.shedding.sample-cap must be over 1");
    this.queueWaitShare = c.getDouble("queue-wait-share");
    if (queueWaitShare <= 0 || queueWaitShare > 1) {
      throw new IllegalArgumentException("seckill.admission.shedding.queue-wait-share must be in (0, 1]");
    }
    this.waitBudget = waitBudget;
    this.queueWait = new Signal("queue wait", weight, cap);
    this.persistBudgetNanos = c.getDuration("persist-budget").toNanos();
    this.persist = new Signal("persist latency", weight, cap);
    long now = clock.getAsLong();
    this.shedUntil = now;
    this.trippedAt = now - Long.MAX_VALUE / 2; // never tripped; still safe to compare by difference
    breaker.addOnOpenListener(() -> {
      breakerOpened.increment();
      log.warn("persist circuit breaker OPEN: batches time out or go unanswered; reserves are answered 503 at once");
    });
    breaker.addOnHalfOpenListener(() -> log.info("persist circuit breaker HALF-OPEN: the next batch is the probe"));
    breaker.addOnCloseListener(() -> log.info("persist circuit breaker CLOSED: the probe batch was answered in time"));
  }

  /** True when a new reserve should be answered Busy at once; counts it as shed. */
  public boolean shouldShed() {
    if (breaker.isOpen()) {
      shedBreakerOpen.increment();
      return true;
    }
    if (clock.getAsLong() - shedUntil < 0) {
      shedOverBudget.increment();
      return true;
    }
    return false;
  }

  /** The queue-wait budget now: its share of the wait budget in force. */
  private long queueWaitBudgetNanos() {
    return (long) (waitBudget.get().toNanos() * queueWaitShare);
  }

  /** A batch leaves the queue; {@code offeredAt} is when its oldest request was offered. */
  void queueWaited(long offeredAt, long now) {
    sample(queueWait, queueWaitBudgetNanos(), offeredAt, now - offeredAt);
  }

  /** A batch sent at {@code sentAt} was fully answered {@code tookNanos} later. */
  void persisted(long sentAt, long tookNanos) {
    sample(persist, persistBudgetNanos, sentAt, tookNanos);
  }

  private void sample(Signal signal, long budgetNanos, long startedAt, long nanos) {
    if (startedAt - trippedAt <= 0) return; // started before the last trip: not evidence about now
    if (!signal.add(nanos, budgetNanos)) return;
    long now = clock.getAsLong();
    trippedAt = now;
    shedUntil = now + shedPeriodNanos;
    queueWait.reset();
    persist.reset();
    log.warn("{} over its budget of {} ms: shedding new reserves for {} ms", signal.name, budgetNanos / 1_000_000,
        shedPeriodNanos / 1_000_000);
  }

  /**
   * Runs one batch's send through the breaker. {@code send} returns whether every request was
   * answered by its sale; a false, or no completion within the call timeout, is a failure. When
   * the breaker refuses (open, or half-open with its probe already out), {@code refused} runs
   * instead of {@code send} and the batch's {@code requests} count as shed.
   */
  void guard(int requests, Supplier<CompletionStage<Boolean>> send, Runnable refused) {
    // Async on our executor: the breaker's stage comes from Scala's FutureConverters, whose "sync"
    // callbacks go to the JDK's common pool, which on a 2-core machine starts a thread per task
    breaker.callWithCircuitBreakerCS(send::get, (answered, failure) -> failure.isPresent() || !answered.orElse(false))
        .whenCompleteAsync((ok, failure) -> {
          Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
          if (cause instanceof CircuitBreakerOpenException) {
            shedBreakerOpen.add(requests);
            refused.run();
          }
        }, executor);
  }

  public BreakerState breakerState() {
    return breaker.isOpen() ? BreakerState.OPEN : breaker.isHalfOpen() ? BreakerState.HALF_OPEN : BreakerState.CLOSED;
  }

  public Condition condition() {
    return new Condition(breakerState().name(), clock.getAsLong() - shedUntil < 0, queueWait.millis(),
        queueWaitBudgetNanos() / 1e6, persist.millis(), shedBreakerOpen.sum(), shedOverBudget.sum(), breakerOpened.sum());
  }
}
