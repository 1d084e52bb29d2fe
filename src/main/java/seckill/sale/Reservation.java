package seckill.sale;

import java.time.Instant;
import seckill.serialization.CborSerializable;

/** One buyer's reservation in a sale, as replies and events carry it; its id is {@link SaleIds its sale's}. */
public record Reservation(String id, String buyer, String requestId, int quantity, ReservationStatus status,
    Instant createdAt, Instant expiresAt, String paymentId) implements CborSerializable {

  Reservation with(ReservationStatus newStatus, String newPaymentId) {
    return new Reservation(id, buyer, requestId, quantity, newStatus, createdAt, expiresAt, newPaymentId);
  }

  /** Still waiting for payment at {@code now} although its deadline has passed. */
  boolean dueAt(Instant now) {
    return status.awaitsPayment() && expiresAt != null && !expiresAt.isAfter(now);
  }
}
