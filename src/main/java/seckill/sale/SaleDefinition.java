package seckill.sale;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import seckill.serialization.CborSerializable;

/**
 * What an operator defines for a sale, and the bounds it must keep; changeable only before the sale
 * opens. Every number is bounded, so no later arithmetic (a hold added to an instant) can overflow.
 */
public record SaleDefinition(
    String item,
    String description,
    BigDecimal price,
    String currency,
    int stock,
    Instant startsAt,
    Instant endsAt,
    int perBuyerLimit,
    DeductionMode mode,
    Duration hold,
    WaitingRoomPolicy waitingRoom)
    implements CborSerializable {

  public static final int MAX_STOCK = 10_000_000;
  public static final int MAX_LIMIT = 1_000;
  static final BigDecimal MAX_PRICE = new BigDecimal("1000000000");
  static final int MAX_PRICE_DECIMALS = 4;
  static final long MAX_HOLD_SECONDS = 7 * 24 * 3600;
  static final Instant EARLIEST = Instant.parse("2000-01-01T00:00:00Z");
  static final Instant LATEST = Instant.parse("2100-01-01T00:00:00Z");
  static final long MAX_DURATION_DAYS = 366;

  /** A sale without a waiting room (a definition in the journal may have none). */
  public SaleDefinition(String item, String description, BigDecimal price, String currency, int stock, Instant startsAt,
      Instant endsAt, int perBuyerLimit, DeductionMode mode, Duration hold) {
    this(item, description, price, currency, stock, startsAt, endsAt, perBuyerLimit, mode, hold, null);
  }

  /** The same sale with {@code room} in front of it. */
  public SaleDefinition withWaitingRoom(WaitingRoomPolicy room) {
    return new SaleDefinition(item, description, price, currency, stock, startsAt, endsAt, perBuyerLimit, mode, hold, room);
  }

  /** True when buyers must queue and be admitted before they reserve. */
  public boolean queued() {
    return waitingRoom != null && waitingRoom.enabled();
  }

  /** The first thing wrong with this definition at {@code now}, or empty when it is valid. */
  public Optional<String> problem(Instant now) {
    if (item == null || item.isBlank() || item.length() > 200 || hasControl(item, ""))
      return Optional.of("item must be 1 to 200 characters, none of them control characters");
    if (description != null && (description.length() > 10_000 || hasControl(description, "\n\t")))
      return Optional.of("description must be at most 10000 characters, no control characters but newline and tab");
    if (price == null || price.signum() < 0 || price.compareTo(MAX_PRICE) > 0 || price.stripTrailingZeros().scale() > MAX_PRICE_DECIMALS)
      return Optional.of("price must be 0 to " + MAX_PRICE + " with at most " + MAX_PRICE_DECIMALS + " decimals");
    if (currency == null || !currency.matches("[A-Z]{3}")) return Optional.of("currency must be a 3-letter ISO code");
    if (stock < 0 || stock > MAX_STOCK) return Optional.of("stock must be between 0 and " + MAX_STOCK);
    if (startsAt == null || endsAt == null) return Optional.of("startsAt and endsAt are required");
    if (startsAt.isBefore(EARLIEST) || endsAt.isAfter(LATEST))
      return Optional.of("startsAt and endsAt must be between " + EARLIEST + " and " + LATEST);
    if (!startsAt.isBefore(endsAt)) return Optional.of("startsAt must be before endsAt");
    if (Duration.between(startsAt, endsAt).toDays() >= MAX_DURATION_DAYS)
      return Optional.of("a sale lasts less than " + MAX_DURATION_DAYS + " days");
    if (!endsAt.isAfter(now)) return Optional.of("endsAt is in the past");
    if (perBuyerLimit < 1 || perBuyerLimit > MAX_LIMIT) return Optional.of("perBuyerLimit must be between 1 and " + MAX_LIMIT);
    if (mode == null) return Optional.of("mode must be one of ON_ORDER, HOLD, ON_PAYMENT");
    if (mode != DeductionMode.ON_ORDER
        && (hold == null || hold.isNegative() || hold.isZero() || hold.toSeconds() > MAX_HOLD_SECONDS))
      return Optional.of("holdSeconds must be 1 to " + MAX_HOLD_SECONDS + " for mode " + mode);
    if (waitingRoom != null) return waitingRoom.problem(startsAt);
    return Optional.empty();
  }

  private static boolean hasControl(String text, String allowed) {
    return text.chars().anyMatch(c -> (c < 0x20 || c == 0x7f) && allowed.indexOf(c) < 0);
  }
}
