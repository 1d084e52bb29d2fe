package seckill.waitingroom;

import java.util.Optional;
import seckill.auth.Signer;

/** Queue tickets: a buyer's place in one sale's line, signed so that any node can read them. */
final class Tickets {

  /** The signing domain, so no other token passes for a ticket. */
  static final String DOMAIN = "ticket.";

  /** What a ticket says: the buyer's place in one sale's line and when it was given. */
  record Ticket(String sale, String buyer, long place, long joinedAt) {}

  private final Signer signer;

  Tickets(Signer signer) {
    this.signer = signer;
  }

  String sign(Ticket ticket) {
    return signer.sign(DOMAIN, ticket);
  }

  /** The ticket {@code signed} when it is ours and names this sale and buyer (any buyer when {@code buyer} is null). */
  Optional<Ticket> read(String saleId, String buyer, String signed) {
    return signer.verify(DOMAIN, signed, Ticket.class)
        .filter(t -> t.sale().equals(saleId) && (buyer == null || t.buyer().equals(buyer)));
  }
}
