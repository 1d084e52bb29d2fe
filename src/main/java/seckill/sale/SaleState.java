package seckill.sale;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import seckill.sale.Sale.Status;
import seckill.sale.Sale.ViewChanged;
import seckill.serialization.CborSerializable;

/**
 * A sale's state: its definition, lifecycle and units, the {@link Ledger} of every reservation it
 * made and the waiting-room admissions its reserves used ({@link AdmissionUses}). Each change returns
 * a new state, but the ledger and the uses are updated in place and shared with it: copying them for
 * every event would cost O(reservations) on the hottest path. Only the entity sees them (replies carry
 * records); the snapshot store gets frozen copies. Written by {@link SaleStateSerializer}.
 */
public record SaleState(SaleDefinition definition, Lifecycle lifecycle, Units units, Ledger ledger,
    AdmissionUses admissions) {

  /** Persisted lifecycle; what buyers see also depends on the clock, see {@link SalePhase}. */
  public enum Lifecycle { NEW, SCHEDULED, OPEN, PAUSED, CLOSED }

  /**
   * A sale's units: {@code stock = available + held + sold}; orders waiting for payment
   * ({@code ON_PAYMENT}) take none until paid, {@code pending} counts them. Each change of a
   * reservation moves its units in one step here.
   */
  public record Units(int stock, int available, int held, int sold, int pending) implements CborSerializable {
    static final Units NONE = new Units(0, 0, 0, 0, 0);

    Units added(int units) {
      return new Units(stock + units, available + units, held, sold, pending);
    }

    /** A new reservation in {@code status}: a hold or a confirmed order takes units, a pending order none. */
    Units placed(ReservationStatus status, int q) {
      return switch (status) {
        case HELD -> new Units(stock, available - q, held + q, sold, pending);
        case CONFIRMED -> new Units(stock, available - q, held, sold + q, pending);
        case PENDING_PAYMENT -> new Units(stock, available, held, sold, pending + q);
        default -> this;
      };
    }

    /** A reservation that was {@code from} is paid: its units are sold. */
    Units paid(ReservationStatus from, int q) {
      return switch (from) {
        case HELD -> new Units(stock, available, held - q, sold + q, pending);
        case PENDING_PAYMENT -> new Units(stock, available - q, held, sold + q, pending - q);
        default -> this;
      };
    }

    /** A reservation that was {@code from} ends without a sale: a hold's units go back. */
    Units released(ReservationStatus from, int q) {
      return from == ReservationStatus.HELD
          ? new Units(stock, available + q, held - q, sold, pending)
          : new Units(stock, available, held, sold, pending - q);
    }
  }

  /**
   * Pekko keeps the empty state it was given and starts every recovery after a restart from it, so its
   * ledger is the frozen empty one; the first reservation gives the state a ledger of its own.
   */
  static SaleState empty() {
    return new SaleState(null, Lifecycle.NEW, Units.NONE, Ledger.EMPTY, AdmissionUses.EMPTY);
  }

  public int stock() {
    return units.stock();
  }

  public int available() {
    return units.available();
  }

  public int held() {
    return units.held();
  }

  public int sold() {
    return units.sold();
  }

  public int pending() {
    return units.pending();
  }

  public SalePhase phase(Instant now) {
    return SalePhase.of(lifecycle, definition, now);
  }

  public int unitsOf(String buyer) {
    return ledger.unitsOf(buyer);
  }

  int reservationsOf(String buyer) {
    return ledger.reservationsOf(buyer);
  }

  /** The reservation with this id, or null. */
  Reservation reservation(String id) {
    return ledger.get(id);
  }

  /** The same, and null too when {@code buyer} is given and it is not theirs (null: an operator asks). */
  Reservation reservation(String id, String buyer) {
    Reservation r = ledger.get(id);
    return r == null || (buyer != null && !buyer.equals(r.buyer())) ? null : r;
  }

  Optional<Reservation> byRequest(String buyer, String requestId) {
    return ledger.byRequest(buyer, requestId);
  }

  /** One buyer's reservations, oldest first, in a list of their own. */
  List<Reservation> ofBuyer(String buyer) {
    return List.copyOf(ledger.ofBuyer(buyer));
  }

  /** How a reserve used the admission {@code admission}, or null when none presented it yet. */
  AdmissionUse admissionUse(long admission) {
    return admissions.get(admission);
  }

  Optional<Instant> earliestDeadline() {
    return ledger.earliestDeadline();
  }

  /** The first {@code limit} reservations waiting for payment whose deadline has passed at {@code now}. */
  List<String> dueAt(Instant now, int limit) {
    return ledger.dueAt(now, limit);
  }

  /** Every reservation by id: for tests, O(reservations). */
  public Map<String, Reservation> reservations() {
    return ledger.all();
  }

  /** Live units per buyer: for tests, O(buyers). */
  public Map<String, Integer> unitsByBuyer() {
    return ledger.unitsByBuyer();
  }

  Status status(String saleId, Instant now) {
    return new Status(saleId, definition, phase(now), stock(), available(), held(), sold(), pending(),
        ledger.size(), ledger.buyersWithUnits(), ledger.topBuyerUnits(), now);
  }

  /** What the node's views learn after a change; {@code version} is the entity's sequence number. */
  ViewChanged viewChanged(String saleId, long version) {
    return new ViewChanged(saleId, definition, lifecycle, available(), sold(), held(), version);
  }

  // ---------------------------------------------------------------- changes (the event handler's)

  SaleState defined(SaleDefinition d) {
    return with(d, Lifecycle.SCHEDULED, new Units(d.stock(), d.stock(), 0, 0, 0));
  }

  SaleState withLifecycle(Lifecycle next) {
    return with(definition, next, units);
  }

  SaleState stockAdded(int added) {
    return with(definition, lifecycle, units.added(added));
  }

  SaleState placed(List<Reservation> placed) {
    SaleState s = writable();
    Units u = units;
    for (Reservation r : placed) {
      s.ledger.place(r);
      u = u.placed(r.status(), r.quantity());
    }
    return s.with(definition, lifecycle, u);
  }

  SaleState paid(String reservationId, String paymentId) {
    Ledger.Change c = ledger.paid(reservationId, paymentId);
    return c == null ? this : with(definition, lifecycle, units.paid(c.before(), c.quantity()));
  }

  /** The reservation ends without a sale (cancelled, expired, its payment failed): its units go back. */
  SaleState released(String reservationId, ReservationStatus end, String failedPaymentId) {
    Ledger.Change c = ledger.ended(reservationId, end, failedPaymentId);
    return c == null ? this : with(definition, lifecycle, units.released(c.before(), c.quantity()));
  }

  SaleState admissionsUsed(List<AdmissionUse> uses) {
    SaleState s = writable();
    s.admissions.add(uses);
    return s;
  }

  SaleState expired(List<String> reservationIds) {
    SaleState s = this;
    for (String id : reservationIds) s = s.released(id, ReservationStatus.EXPIRED, null);
    return s;
  }

  // ---------------------------------------------------------------- copies for the snapshot store

  /** What the snapshot store writes: the same sale with frozen copies of the ledger and the admission uses. */
  SaleState frozen() {
    return new SaleState(definition, lifecycle, units, ledger.frozenCopy(), admissions.frozenCopy());
  }

  /** The same sale with a ledger and uses it may write: its own, or copies of frozen ones (the empty state's, a snapshot's). */
  SaleState writable() {
    Ledger own = ledger.writable();
    AdmissionUses ownUses = admissions.writable();
    return own == ledger && ownUses == admissions ? this : new SaleState(definition, lifecycle, units, own, ownUses);
  }

  /** The same sale with other counts or another lifecycle, sharing the ledger and uses (see the class comment). */
  private SaleState with(SaleDefinition d, Lifecycle l, Units u) {
    return new SaleState(d, l, u, ledger, admissions);
  }
}
