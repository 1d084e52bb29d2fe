package seckill.sale;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import seckill.sale.Sale.Command;
import seckill.sale.Sale.ExpireHolds;

/**
 * A sale's one timer for its holds: set on the earliest deadline, firing at most once per expiry tick,
 * so a sale of a million unpaid holds expires them in events one tick apart.
 */
final class ExpiryTimer {

  /** Holds expired by one event at most, rather than one event of a million ids. */
  static final int MAX_PER_EVENT = 20_000;
  private static final String KEY = "expiry";

  private final TimerScheduler<Command> timers;
  private final Duration tick;
  private final Clock clock;
  private Instant armedFor;
  private Instant lastFired = Instant.EPOCH;

  ExpiryTimer(TimerScheduler<Command> timers, Duration tick, Clock clock) {
    this.timers = timers;
    this.tick = tick;
    this.clock = clock;
  }

  /** The timer fired at {@code now}: the next one waits a tick at least. */
  void fired(Instant now) {
    armedFor = null;
    lastFired = now;
  }

  /** Keeps the timer on the earliest deadline in {@code state}; none stops it. */
  void arm(SaleState state) {
    Optional<Instant> next = state.earliestDeadline();
    if (next.isEmpty()) {
      timers.cancel(KEY);
      armedFor = null;
      return;
    }
    if (armedFor != null && !next.get().isBefore(armedFor)) return;
    Instant fireAt = next.get().isBefore(lastFired.plus(tick)) ? lastFired.plus(tick) : next.get();
    Duration delay = Duration.between(clock.instant(), fireAt);
    timers.startSingleTimer(KEY, ExpireHolds.INSTANCE, delay.isNegative() ? Duration.ZERO : delay);
    armedFor = fireAt;
  }
}
