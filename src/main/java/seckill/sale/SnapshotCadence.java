package seckill.sale;

import seckill.sale.Sale.Event;
import seckill.sale.Sale.PaymentConfirmed;
import seckill.sale.Sale.PaymentFailed;
import seckill.sale.Sale.ReservationCancelled;
import seckill.sale.Sale.ReservationsExpired;
import seckill.sale.Sale.ReservationsPlaced;

/**
 * When a sale takes a snapshot: after at least {@code every} events, and once the reservations placed or
 * changed since the last one are at least {@code share} of all it holds. A snapshot costs what the sale
 * holds, so a big sale takes them less often, and recovery replays at most about that share. Old
 * snapshots are deleted by the snapshot store, which keeps the newest few (persistence.conf).
 */
final class SnapshotCadence {

  private final int every;
  private final double share;
  // counted from the last snapshot, or from the end of recovery
  private long events;
  private long work;

  SnapshotCadence(int every, double share) {
    this.every = every;
    this.share = share;
  }

  /** Counts {@code event}; true when a snapshot is due, with {@code reservations} in the sale after it. */
  boolean due(Event event, int reservations) {
    events++;
    if (event instanceof ReservationsPlaced e) work += e.reservations().size();
    else if (event instanceof ReservationsExpired e) work += e.reservationIds().size();
    else if (event instanceof PaymentConfirmed || event instanceof PaymentFailed || event instanceof ReservationCancelled) work++;
    if (events < every || work < share * reservations) return false;
    events = 0;
    work = 0;
    return true;
  }
}
