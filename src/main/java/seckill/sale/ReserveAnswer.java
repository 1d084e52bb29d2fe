package seckill.sale;

import seckill.sale.Sale.Reason;
import seckill.sale.Sale.Rejected;
import seckill.sale.Sale.ReserveReply;
import seckill.sale.Sale.Reserved;

/**
 * One request's answer inside {@link Sale.ReservesAnswered}, flat so that a list of them needs no
 * type names: the reservation (and whether it was an earlier answer), or the refusal's reason and message.
 */
public record ReserveAnswer(Reservation reservation, boolean replayed, Reason reason, String message) {

  static ReserveAnswer of(ReserveReply reply) {
    if (reply instanceof Reserved r) return new ReserveAnswer(r.reservation(), r.replayed(), null, null);
    Rejected rejected = (Rejected) reply;
    return new ReserveAnswer(null, false, rejected.reason(), rejected.message());
  }

  /** The answer as the sale's reply to one request. */
  public ReserveReply reply() {
    return reservation != null ? new Reserved(reservation, replayed) : new Rejected(reason, message);
  }
}
