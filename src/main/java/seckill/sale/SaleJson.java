package seckill.sale;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;

/** The HTTP API's JSON records for sales and reservations; never the entity's own commands or events. */
public final class SaleJson {

  private SaleJson() {}

  /**
   * A sale's phase as buyers and operators see it: the entity's {@link SalePhase}, with an open sale
   * that has no unit left shown as sold out (stock added, or a hold returned, opens it again).
   */
  public enum ShownPhase { NOT_DEFINED, UPCOMING, OPEN, SOLD_OUT, PAUSED, ENDED, CLOSED;

    public static ShownPhase of(SalePhase phase, int available) {
      return phase == SalePhase.OPEN && available == 0 ? SOLD_OUT : valueOf(phase.name());
    }
  }

  /** {@code PUT /admin/sales/{id}}. Boxed fields so a missing one is reported, not read as 0. */
  public record SaleRequest(
      String item,
      String description,
      BigDecimal price,
      String currency,
      Integer stock,
      Instant startsAt,
      Instant endsAt,
      Integer perBuyerLimit,
      DeductionMode mode,
      Long holdSeconds,
      WaitingRoomJson waitingRoom) {

    /** The first missing field's name, or null. */
    public String missingField() {
      if (item == null) return "item";
      if (price == null) return "price";
      if (currency == null) return "currency";
      if (stock == null) return "stock";
      if (startsAt == null) return "startsAt";
      if (endsAt == null) return "endsAt";
      if (perBuyerLimit == null) return "perBuyerLimit";
      if (mode == null) return "mode";
      if (holdSeconds == null && mode != DeductionMode.ON_ORDER) return "holdSeconds";
      if (waitingRoom != null && waitingRoom.admitPerSecond() == null) return "waitingRoom.admitPerSecond";
      if (waitingRoom != null && waitingRoom.maxActive() == null) return "waitingRoom.maxActive";
      return null;
    }

    public SaleDefinition toDefinition() {
      return new SaleDefinition(item, description == null ? "" : description, canonical(price), currency, stock, startsAt, endsAt,
          perBuyerLimit, mode, holdSeconds == null ? null : Duration.ofSeconds(holdSeconds),
          waitingRoom == null ? null : waitingRoom.toPolicy());
    }
  }

  /**
   * A price as it is echoed: 1E+3 is 1000. Only a price within the sale's bounds is rescaled (the
   * definition refuses the others): 1E+999999999 would be a number of a gigabyte.
   */
  static BigDecimal canonical(BigDecimal price) {
    if (price == null || price.scale() >= 0 || price.signum() < 0 || price.compareTo(SaleDefinition.MAX_PRICE) > 0) return price;
    return price.setScale(0);
  }

  /**
   * A sale's waiting room in the API. In a request {@code admitPerSecond} and {@code maxActive} are
   * required; {@code enabled} defaults to true, {@code shuffleAtOpen} to false and
   * {@code admissionTtlSeconds} to {@link #DEFAULT_TTL_SECONDS}.
   */
  public record WaitingRoomJson(Boolean enabled, Integer admitPerSecond, Integer maxActive, Instant preQueueFrom,
      Boolean shuffleAtOpen, Long admissionTtlSeconds) {

    public static final long DEFAULT_TTL_SECONDS = 120;

    WaitingRoomPolicy toPolicy() {
      return new WaitingRoomPolicy(enabled == null || enabled, admitPerSecond, maxActive, preQueueFrom,
          shuffleAtOpen != null && shuffleAtOpen,
          Duration.ofSeconds(admissionTtlSeconds == null ? DEFAULT_TTL_SECONDS : admissionTtlSeconds));
    }

    static WaitingRoomJson of(WaitingRoomPolicy room) {
      return room == null ? null : new WaitingRoomJson(room.enabled(), room.admitPerSecond(), room.maxActive(),
          room.preQueueFrom(), room.shuffleAtOpen(), room.admissionTtl().toSeconds());
    }
  }

  /** A sale's public definition. */
  public record SaleView(
      String id,
      String item,
      String description,
      BigDecimal price,
      String currency,
      int stock,
      Instant startsAt,
      Instant endsAt,
      int perBuyerLimit,
      DeductionMode mode,
      Long holdSeconds,
      WaitingRoomJson waitingRoom) {

    public static SaleView of(String id, SaleDefinition d) {
      return new SaleView(id, d.item(), d.description(), d.price(), d.currency(), d.stock(), d.startsAt(), d.endsAt(),
          d.perBuyerLimit(), d.mode(), d.hold() == null ? null : d.hold().toSeconds(), WaitingRoomJson.of(d.waitingRoom()));
    }
  }

  /** {@code GET /admin/sales/{id}}: every counter, and whether the stock invariant holds. */
  public record AdminSaleView(
      SaleView sale,
      ShownPhase phase,
      int stock,
      int available,
      int held,
      int sold,
      int pending,
      int reservations,
      int buyers,
      int topBuyerUnits,
      boolean stockBalanced,
      Instant serverTime) {

    public static AdminSaleView of(Sale.Status s) {
      return new AdminSaleView(SaleView.of(s.saleId(), s.definition()),
          ShownPhase.of(s.phase(), s.available()), s.stock(), s.available(), s.held(),
          s.sold(), s.pending(), s.reservations(), s.buyers(), s.topBuyerUnits(),
          s.sold() + s.held() + s.available() == s.stock(),
          s.serverTime());
    }
  }

  /** {@code POST /api/sales/{id}/reservations}. */
  public record ReserveRequest(String requestId, Integer quantity) {}

  /** A reservation as its buyer and operators see it. */
  public record ReservationView(
      String reservationId,
      String saleId,
      String buyer,
      String requestId,
      int quantity,
      ReservationStatus status,
      Instant createdAt,
      Instant expiresAt,
      String paymentId) {

    public static ReservationView of(Reservation r) {
      return new ReservationView(r.id(), SaleIds.saleIdOf(r.id()).orElseThrow(), r.buyer(), r.requestId(), r.quantity(),
          r.status(), r.createdAt(), r.expiresAt(), r.paymentId());
    }
  }

  /** {@code POST /admin/sales/{id}/stock}. */
  public record StockRequest(Integer units) {}

  /** {@code POST /admin/reservations/{rid}/payment}. */
  public record PaymentRequest(String paymentId) {}
}
