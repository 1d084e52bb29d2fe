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

  /** Let in on the admission of {@code rank}, for {@code requestId}; -1 (and no sale) when the sale has no waiting room. */
  record LetIn(String saleId, long rank, String requestId) implements RoomVerdict {
    static final LetIn NO_ROOM = new LetIn(null, -1, null);

    /** The admission the sale records as used by this request: its rank, null when the sale has no room. */
    public Long admission() {
      return saleId == null ? null : rank;
    }
  }

  /** How the sale answered a reserve the room let in. */
  enum SaleAnswer {
    /** The sale placed (or replayed) a reservation. */
    RESERVED,
    /** The sale refused the request (sold out, limit): the admission is spent. */
    REFUSED,
    /**
     * The sale refused the request because another request (on any node) used the admission first:
     * this node's claim for this request is let go, so the first request's retry passes here too.
     */
    TAKEN,
    /** No answer from the sale (the node was busy): a retry of the request may use the admission again. */
    NONE
  }
}
