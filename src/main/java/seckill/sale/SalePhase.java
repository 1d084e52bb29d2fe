package seckill.sale;

import java.time.Instant;
import seckill.sale.Sale.Reason;
import seckill.sale.Sale.Rejected;
import seckill.sale.SaleState.Lifecycle;

/** Where a sale stands for buyers at a given instant: its lifecycle read against its clock. */
public enum SalePhase {
  NOT_DEFINED, UPCOMING, OPEN, PAUSED, ENDED, CLOSED;

  /** The phase at {@code now}; the entity and every node's view of the sale compute it alike. */
  public static SalePhase of(Lifecycle lifecycle, SaleDefinition definition, Instant now) {
    if (lifecycle == Lifecycle.NEW || definition == null) return NOT_DEFINED;
    if (lifecycle == Lifecycle.CLOSED) return CLOSED;
    if (!now.isBefore(definition.endsAt())) return ENDED;
    if (lifecycle == Lifecycle.PAUSED) return PAUSED;
    if (lifecycle == Lifecycle.SCHEDULED && now.isBefore(definition.startsAt())) return UPCOMING;
    return OPEN;
  }

  /** Why a reserve is refused in this phase, which is not OPEN; the edge answers early with the same. */
  public Rejected refusal() {
    return switch (this) {
      case NOT_DEFINED -> new Rejected(Reason.SALE_NOT_FOUND, "no such sale");
      case UPCOMING -> new Rejected(Reason.NOT_OPEN, "sale has not opened yet");
      case PAUSED -> new Rejected(Reason.PAUSED, "sale is paused");
      case ENDED -> new Rejected(Reason.ENDED, "sale has ended");
      case CLOSED -> new Rejected(Reason.CLOSED, "sale is closed");
      case OPEN -> throw new IllegalArgumentException("sale is open");
    };
  }
}
