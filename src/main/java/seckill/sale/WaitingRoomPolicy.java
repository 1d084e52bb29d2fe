package seckill.sale;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import seckill.serialization.CborSerializable;

/**
 * How a sale's waiting room admits buyers: {@code admitPerSecond} at a time, never more than
 * {@code maxActive} admitted and not yet done, each admission good for {@code admissionTtl}. Joins open
 * at {@code preQueueFrom} (null: at the sale's start); with {@code shuffleAtOpen}, those who joined
 * before the start are admitted in an order drawn at random. Operators change pace and cap live (switches).
 * Part of {@link SaleDefinition}, so its component names are field names in the journal and the API.
 */
public record WaitingRoomPolicy(boolean enabled, int admitPerSecond, int maxActive, Instant preQueueFrom,
    boolean shuffleAtOpen, Duration admissionTtl) implements CborSerializable {

  public static final int MAX_ADMIT_PER_SECOND = 100_000;
  public static final int MAX_ACTIVE = 1_000_000;
  public static final Duration MIN_TTL = Duration.ofSeconds(10);
  public static final Duration MAX_TTL = Duration.ofMinutes(30);
  static final Duration MAX_PRE_QUEUE = Duration.ofDays(7);

  /** The first thing wrong with this policy for a sale starting at {@code startsAt}, or empty. */
  Optional<String> problem(Instant startsAt) {
    if (admitPerSecond < 1 || admitPerSecond > MAX_ADMIT_PER_SECOND)
      return Optional.of("waitingRoom.admitPerSecond must be between 1 and " + MAX_ADMIT_PER_SECOND);
    if (maxActive < 1 || maxActive > MAX_ACTIVE)
      return Optional.of("waitingRoom.maxActive must be between 1 and " + MAX_ACTIVE);
    if (admissionTtl == null || admissionTtl.compareTo(MIN_TTL) < 0 || admissionTtl.compareTo(MAX_TTL) > 0)
      return Optional.of("waitingRoom.admissionTtlSeconds must be between " + MIN_TTL.toSeconds() + " and "
          + MAX_TTL.toSeconds());
    if (preQueueFrom != null && (preQueueFrom.isAfter(startsAt) || preQueueFrom.isBefore(startsAt.minus(MAX_PRE_QUEUE))))
      return Optional.of("waitingRoom.preQueueFrom must be at most " + MAX_PRE_QUEUE.toDays() + " days before startsAt, and not after it");
    return Optional.empty();
  }

  /** When joins open: the pre-queue's start, else the sale's. */
  public Instant joinsFrom(Instant startsAt) {
    return preQueueFrom == null ? startsAt : preQueueFrom;
  }
}
