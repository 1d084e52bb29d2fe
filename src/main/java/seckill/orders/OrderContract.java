package seckill.orders;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import seckill.sale.DeductionMode;
import seckill.sale.Reservation;
import seckill.sale.ReservationStatus;
import seckill.sale.Sale;

/**
 * The public, versioned JSON contract of the Kafka topics; deliberately not the journal's own
 * serialization, so the entity's events can change without breaking downstream consumers.
 * Delivery is at-least-once: {@code eventId} is the same on every copy of one record.
 */
public final class OrderContract {

  /** Incremented only on a breaking change; fields may be added within a version. */
  public static final int VERSION = 1;

  static final ObjectMapper MAPPER = JsonMapper.builder()
      .addModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .serializationInclusion(JsonInclude.Include.NON_NULL)
      .build();

  private OrderContract() {}

  /** One record on {@code seckill.orders}, keyed by reservation id. */
  public record OrderEvent(
      int version,
      String type,
      String eventId,
      String saleId,
      String reservationId,
      String buyer,
      String requestId,
      Integer quantity,
      String mode,
      String status,
      Instant expiresAt,
      String paymentId,
      String reason,
      Instant at) {}

  /** One record on {@code seckill.sales}, keyed by sale id. */
  public record SaleEvent(int version, String type, String eventId, String saleId, Integer units, Instant at) {}

  /** A record to publish: which topic (orders or sales), its key and its JSON value. */
  public record Outgoing(boolean order, String key, byte[] value) {}

  /** The records one journal event becomes, in order; events nobody downstream needs become none. */
  public static List<Outgoing> of(String saleId, long sequenceNr, Sale.Event event) {
    String eventId = saleId + ":" + sequenceNr;
    List<Outgoing> out = new ArrayList<>();
    if (event instanceof Sale.ReservationsPlaced e) {
      int i = 0;
      for (Reservation r : e.reservations()) {
        out.add(order(new OrderEvent(VERSION, "reservation.placed", eventId + ":" + i++, saleId, r.id(), r.buyer(),
            r.requestId(), r.quantity(), modeOf(r.status()).name(), r.status().name(), r.expiresAt(), null, null,
            e.at())));
      }
    } else if (event instanceof Sale.ReservationsExpired e) {
      int i = 0;
      for (String id : e.reservationIds()) {
        out.add(order(ended("reservation.expired", eventId + ":" + i++, saleId, id, ReservationStatus.EXPIRED,
            null, e.at())));
      }
    } else if (event instanceof Sale.PaymentConfirmed e) {
      out.add(order(ended("reservation.paid", eventId, saleId, e.reservationId(), ReservationStatus.PAID,
          e.paymentId(), e.at())));
    } else if (event instanceof Sale.PaymentFailed e) {
      out.add(order(ended("reservation.payment_failed", eventId, saleId, e.reservationId(),
          ReservationStatus.PAYMENT_FAILED, e.paymentId(), e.at())));
    } else if (event instanceof Sale.ReservationCancelled e) {
      out.add(order(ended("reservation.cancelled", eventId, saleId, e.reservationId(), ReservationStatus.CANCELLED,
          null, e.at())));
    } else if (event instanceof Sale.SaleDefined e) {
      out.add(sale(new SaleEvent(VERSION, "sale.defined", eventId, saleId, e.definition().stock(), e.at())));
    } else if (event instanceof Sale.SaleOpened e) {
      out.add(sale(new SaleEvent(VERSION, "sale.opened", eventId, saleId, null, e.at())));
    } else if (event instanceof Sale.SalePaused e) {
      out.add(sale(new SaleEvent(VERSION, "sale.paused", eventId, saleId, null, e.at())));
    } else if (event instanceof Sale.SaleClosed e) {
      out.add(sale(new SaleEvent(VERSION, "sale.closed", eventId, saleId, null, e.at())));
    } else if (event instanceof Sale.SaleSoldOut e) {
      out.add(sale(new SaleEvent(VERSION, "sale.sold_out", eventId, saleId, null, e.at())));
    } else if (event instanceof Sale.StockAdded e) {
      out.add(sale(new SaleEvent(VERSION, "sale.stock_added", eventId, saleId, e.units(), e.at())));
    }
    return out;
  }

  /**
   * A payment the sale refused (expired, cancelled, unknown, paid by another payment): not a change
   * of the sale, so not in the journal, but the payment system must learn of it to refund.
   */
  public static Outgoing paymentRejected(String saleId, String reservationId, String paymentId, String reason) {
    return order(new OrderEvent(VERSION, "payment.rejected", "payment:" + paymentId + ":" + reservationId, saleId,
        reservationId, null, null, null, null, null, null, paymentId, reason, Instant.now()));
  }

  /** A reservation's later change: only what the event holds; consumers join it to the placed record by key. */
  private static OrderEvent ended(String type, String eventId, String saleId, String reservationId,
      ReservationStatus status, String paymentId, Instant at) {
    return new OrderEvent(VERSION, type, eventId, saleId, reservationId, null, null, null, null, status.name(), null,
        paymentId, null, at);
  }

  private static DeductionMode modeOf(ReservationStatus placed) {
    return switch (placed) {
      case CONFIRMED -> DeductionMode.ON_ORDER;
      case PENDING_PAYMENT -> DeductionMode.ON_PAYMENT;
      default -> DeductionMode.HOLD;
    };
  }

  private static Outgoing order(OrderEvent e) {
    return new Outgoing(true, e.reservationId(), bytes(e));
  }

  private static Outgoing sale(SaleEvent e) {
    return new Outgoing(false, e.saleId(), bytes(e));
  }

  static byte[] bytes(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
