package seckill;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polling for tests: what a test waits for, how long at most, and what it says when it never came. */
public final class Await {

  private static final Duration EVERY = Duration.ofMillis(100);

  private Await() {}

  /** Polls {@code condition} until it holds; fails with {@code what} after {@code atMost}. */
  public static void until(Duration atMost, String what, BooleanSupplier condition) {
    value(atMost, EVERY, what, () -> condition.getAsBoolean() ? Boolean.TRUE : null);
  }

  /** {@link #value(Duration, String, Supplier)}, polling every {@code every}. */
  public static <T> T value(Duration atMost, String what, Supplier<T> probe) {
    return value(atMost, EVERY, what, probe);
  }

  /**
   * Polls {@code probe} every {@code every} until it gives a value (not null); a probe that throws counts as no value
   * yet (a port not bound, a node not answering). Fails with {@code what} after {@code atMost}.
   */
  public static <T> T value(Duration atMost, Duration every, String what, Supplier<T> probe) {
    long deadline = System.nanoTime() + atMost.toNanos();
    RuntimeException last = null;
    while (true) {
      try {
        T value = probe.get();
        if (value != null) return value;
      } catch (RuntimeException notYet) {
        last = notYet;
      }
      if (System.nanoTime() > deadline) throw new AssertionError(what + " (waited " + atMost.toSeconds() + " s)", last);
      try {
        Thread.sleep(every.toMillis()); // the poll interval: this is the condition wait
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting: " + what, e);
      }
    }
  }
}
