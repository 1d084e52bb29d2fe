package seckill.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.pattern.CircuitBreaker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shedding decision on a hand-driven clock, and the breaker's refuse/probe/close cycle. */
class LoadShedderTest {

  private static final long MS = 1_000_000;
  private static final Config SETTINGS = ConfigFactory.parseString("""
      queue-wait-share = 0.5
      persist-budget = 1s
      smoothing = 0.2
      sample-cap = 2
      shed-period = 1s
      """);

  private static ActorTestKit testKit;
  private final AtomicLong now = new AtomicLong(1_000 * MS);
  private final AtomicInteger sent = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();
  /** The wait budget in force, as the operator's switch or the config would give it. */
  private final AtomicReference<Duration> waitBudget = new AtomicReference<>(Duration.ofMillis(200));

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static CircuitBreaker breaker(Duration resetTimeout) {
    return new CircuitBreaker(testKit.system().executionContext(), Adapter.toClassic(testKit.system()).scheduler(),
        1, Duration.ofSeconds(10), resetTimeout);
  }

  private LoadShedder shedder() {
    return new LoadShedder(SETTINGS, waitBudget::get, breaker(Duration.ofMinutes(1)), testKit.system().executionContext(), now::get);
  }

  @Test
  void persistLatencyOverBudgetShedsForTheShedPeriodThenAdmitsAgain() {
    LoadShedder shedder = shedder();
    for (int i = 0; i < 4; i++) shedder.persisted(now.get(), 3_000 * MS);
    assertTrue(shedder.shouldShed(), "four slow batches from idle: " + shedder.condition());
    now.addAndGet(999 * MS);
    assertTrue(shedder.shouldShed());
    now.addAndGet(2 * MS);
    assertFalse(shedder.shouldShed(), "after the shed period the node admits again");
    assertEquals(2, shedder.condition().shedOverBudget());
    assertEquals("CLOSED", shedder.condition().breaker());
  }

  @Test
  void queueWaitOverBudgetSheds() {
    LoadShedder shedder = shedder();
    shedder.queueWaited(now.get() - 50 * MS, now.get());
    assertFalse(shedder.shouldShed(), "50 ms is within the 100 ms budget (half the 200 ms wait budget)");
    for (int i = 0; i < 10 && !shedder.condition().shedding(); i++) shedder.queueWaited(now.get() - 400 * MS, now.get());
    assertTrue(shedder.shouldShed());
  }

  @Test
  void theQueueWaitBudgetFollowsTheWaitBudgetInForce() {
    LoadShedder shedder = shedder();
    waitBudget.set(Duration.ofSeconds(2)); // an operator raised the wait budget: 1 s of queue wait is fine now
    assertEquals(1000.0, shedder.condition().queueWaitBudgetMillis());
    for (int i = 0; i < 20; i++) shedder.queueWaited(now.get() - 400 * MS, now.get());
    assertFalse(shedder.shouldShed(), "400 ms waits are within half of 2 s: " + shedder.condition());
    waitBudget.set(Duration.ofMillis(500)); // and lowered it again: the same waits are over 250 ms
    shedder.queueWaited(now.get() - 400 * MS, now.get());
    assertTrue(shedder.shouldShed(), "400 ms waits are over half of 500 ms: " + shedder.condition());
  }

  @Test
  void oneStalledBatchAmongFastOnesDoesNotShedButASlowRunDoes() {
    LoadShedder shedder = shedder();
    for (int i = 0; i < 20; i++) shedder.persisted(now.get(), 10 * MS);
    shedder.persisted(now.get(), 60_000 * MS);
    assertFalse(shedder.shouldShed(), "one batch stalled while its shard moved is not overload: " + shedder.condition());
    for (int i = 0; i < 2; i++) shedder.persisted(now.get(), 2_500 * MS);
    assertFalse(shedder.shouldShed(), "three in a row are not yet: " + shedder.condition());
    shedder.persisted(now.get(), 2_500 * MS);
    assertTrue(shedder.shouldShed(), "four slow batches in a row are: " + shedder.condition());
  }

  @Test
  void samplesOfWorkStartedBeforeTheTripAreIgnored() {
    LoadShedder shedder = shedder();
    long before = now.get();
    for (int i = 0; i < 4; i++) shedder.persisted(before, 3_000 * MS);
    assertTrue(shedder.condition().shedding());
    now.addAndGet(1_500 * MS);
    assertFalse(shedder.shouldShed());
    shedder.persisted(before, 5_000 * MS);
    shedder.queueWaited(before, now.get());
    assertFalse(shedder.shouldShed(), "a batch sent before the trip says nothing about now");
    assertEquals(0.0, shedder.condition().persistMillis(), "the averages start afresh after a trip");
    for (int i = 0; i < 4; i++) shedder.persisted(now.get(), 3_000 * MS);
    assertTrue(shedder.shouldShed(), "fresh evidence trips it again");
  }

  @Test
  void theBreakerOpensOnAnUnansweredBatchRefusesWhileOpenAndClosesAfterAProbeIsAnswered() throws Exception {
    LoadShedder shedder = new LoadShedder(SETTINGS, waitBudget::get, breaker(Duration.ofMillis(200)), testKit.system().executionContext(), now::get);

    batch(shedder, 1, CompletableFuture.completedFuture(false));
    await(() -> shedder.breakerState() == LoadShedder.BreakerState.OPEN, "breaker never opened");
    assertTrue(shedder.shouldShed());
    batch(shedder, 3, CompletableFuture.completedFuture(true));
    await(() -> refused.get() == 1, "the batch was not refused");
    assertEquals(1, sent.get(), "an open breaker sends nothing");
    assertEquals(4, shedder.condition().shedBreakerOpen(), "one offer and a batch of three");
    await(() -> shedder.condition().breakerOpened() == 1, "the open transition was not counted");

    await(() -> shedder.breakerState() == LoadShedder.BreakerState.HALF_OPEN, "breaker never half-open");
    assertFalse(shedder.shouldShed(), "half-open admits, so a probe can be formed");
    CompletableFuture<Boolean> probe = new CompletableFuture<>();
    batch(shedder, 1, probe);
    batch(shedder, 1, CompletableFuture.completedFuture(true));
    await(() -> refused.get() == 2, "the batch behind the probe was not refused");
    assertEquals(2, sent.get(), "only the probe went out");
    probe.complete(true);
    await(() -> shedder.breakerState() == LoadShedder.BreakerState.CLOSED, "the answered probe did not close it");
    assertFalse(shedder.shouldShed());
  }

  /** One batch through the breaker: counted in {@link #sent} if it went out, in {@link #refused} if not. */
  private void batch(LoadShedder shedder, int requests, CompletableFuture<Boolean> answered) {
    shedder.guard(requests, () -> {
      sent.incrementAndGet();
      return answered;
    }, refused::incrementAndGet);
  }

  private static void await(BooleanSupplier condition, String failure) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, failure);
      Thread.sleep(10); // the poll interval of this condition wait
    }
  }
}
