package seckill.sale;

/** Where a reservation stands; the first three are how the deduction modes place one. */
public enum ReservationStatus {
  HELD, CONFIRMED, PENDING_PAYMENT, PAID, CANCELLED, EXPIRED, PAYMENT_FAILED;

  /** Counts against the buyer's limit. */
  public boolean live() {
    return this == HELD || this == CONFIRMED || this == PENDING_PAYMENT || this == PAID;
  }

  /** Waits for a payment and expires without one. */
  public boolean awaitsPayment() {
    return this == HELD || this == PENDING_PAYMENT;
  }
}
