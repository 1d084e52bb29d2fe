package seckill.sale;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every reservation one sale made, as the sale asks for them. It exists because a sale of millions
 * cannot afford an object per reservation: {@link PagedLedger} keeps them in paged columns of
 * primitives, about a hundred bytes each, at the same cost per write whatever the sale's size.
 * Only the sale's event handler writes it; other threads read a {@link #frozenCopy()}.
 */
interface Ledger {

  /** The empty ledger Pekko starts every recovery from: never written, see {@link #writable()}. */
  Ledger EMPTY = PagedLedger.frozenEmpty();

  static Ledger create() {
    return PagedLedger.create();
  }

  // ---------------------------------------------------------------- reading

  int size();

  /** How many buyers hold live units. */
  int buyersWithUnits();

  /** The most live units one buyer holds. */
  int topBuyerUnits();

  int unitsOf(String buyer);

  /** A buyer's reservations, ended ones included. */
  int reservationsOf(String buyer);

  boolean contains(String id);

  /** The reservation with this id, or null. */
  Reservation get(String id);

  Optional<Reservation> byRequest(String buyer, String requestId);

  /** One buyer's reservations, oldest first. */
  List<Reservation> ofBuyer(String buyer);

  /** The first deadline of a reservation still waiting for payment. */
  Optional<Instant> earliestDeadline();

  /** The ids of the reservations waiting for payment whose deadline is not after {@code now}, the first {@code limit}. */
  List<String> dueAt(Instant now, int limit);

  /** Every reservation by id: for tests, never on a hot path. */
  Map<String, Reservation> all();

  /** Live units per buyer with any: for tests, never on a hot path. */
  Map<String, Integer> unitsByBuyer();

  // ---------------------------------------------------------------- writing (the event handler only)

  void place(Reservation r);

  /** What a change found: the reservation's status before it, and its units. */
  record Change(ReservationStatus before, int quantity) {}

  /** The reservation is paid by {@code paymentId}; null when there is none such. */
  Change paid(String id, String paymentId);

  /**
   * A reservation waiting for payment ends as {@code end} and gives its units back; its payment id
   * becomes {@code failedPaymentId} when that is given. Null when there is none such or it no longer waits.
   */
  Change ended(String id, ReservationStatus end, String failedPaymentId);

  // ---------------------------------------------------------------- copies and the snapshot form

  /** This ledger when it may be written, else a writable copy of it. */
  Ledger writable();

  /** A copy the snapshot store may read on another thread while this one goes on changing. */
  Ledger frozenCopy();

  /** The reservations the columns cannot give back exactly, by row; the serializer writes them itself. */
  Map<Integer, Reservation> irregularRows();

  int binarySize();

  void writeTo(ByteBuffer out);

  /** A writable ledger from what {@link #writeTo} wrote and the {@link #irregularRows()} beside it. */
  static Ledger readFrom(ByteBuffer in, Map<Integer, Reservation> irregularRows) {
    return PagedLedger.readFrom(in, irregularRows);
  }
}
