package seckill.waitingroom;

/**
 * The waiting room's verdict on a reserve: refused, or let in on an admission that is settled
 * once the sale has answered the reserve ({@link WaitingRoom#settle}).
 */
public sealed interface RoomVerdict {

  /**
   * {@code expired}: the token was good but has expired, so a retry of a request that got a
   * reservation with it may still be answered with that reservation.
   */
  record Refused(String code, String message, boolean expired) implements RoomVerdict {
    Refused(String code, String message) {
      this(code, message, false);
    }
  }

  /** Let in on the admission of {@code rank}; -1 when the sale has no waiting room. */
  record LetIn(String saleId, long rank) implements RoomVerdict {
    static final LetIn NO_ROOM = new LetIn(null, -1);
  }

  /** How the sale answered a reserve the room let in. */
  enum SaleAnswer {
    /** The sale placed (or replayed) a reservation. */
    RESERVED,
    /** The sale refused the request (sold out, limit): the admission is spent. */
    REFUSED,
    /** No answer from the sale (the node was busy): a retry of the request may use the admission again. */
    NONE
  }
}
