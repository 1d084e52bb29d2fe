package seckill.sale;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import seckill.sale.Sale.Reason;
import seckill.sale.Sale.Rejected;
import seckill.sale.Sale.Reserve;
import seckill.sale.Sale.ReserveBatch;
import seckill.sale.Sale.ReserveReply;
import seckill.sale.Sale.Reserved;

/**
 * Decides the requests of one reserve batch in order, each against the sale's state and what the
 * requests before it in the batch placed: a replay of an earlier answer, a refusal, or a new
 * reservation. A request that came in on a waiting-room admission another request used (here or on
 * any node) is refused; the first request's retries get its first answer. Nothing changes until the
 * sale persists {@link #events()}; only then does it {@link #answer()}.
 */
final class ReserveBatchDecider {

  private final String saleId;
  private final SaleState state;
  private final SaleDefinition def;
  private final SalePhase phase;
  private final Instant now;
  private final int maxReservationsPerBuyer;
  private final List<Reservation> placed = new ArrayList<>();
  private final Map<String, Reservation> placedByRequest = new HashMap<>();
  private final Map<String, Integer> batchUnits = new HashMap<>();
  private final Map<String, Integer> batchReservations = new HashMap<>();
  private final Set<String> batchIds = new HashSet<>();
  private final Map<Long, AdmissionUse> batchUses = new LinkedHashMap<>();
  private ReserveBatch batch;
  private List<ReserveReply> replies = List.of();
  private int available;

  ReserveBatchDecider(String saleId, SaleState state, Instant now, int maxReservationsPerBuyer) {
    this.saleId = saleId;
    this.state = state;
    this.def = state.definition();
    this.phase = state.phase(now);
    this.now = now;
    this.maxReservationsPerBuyer = maxReservationsPerBuyer;
    this.available = state.available();
  }

  /** The reservations the batch places, in order. */
  List<Reservation> placed() {
    return placed;
  }

  /** The units left once the batch is placed. */
  int available() {
    return available;
  }

  /** What the sale persists for the batch, in one write: none when it placed nothing and used no admission. */
  List<Sale.Event> events() {
    List<Sale.Event> events = new ArrayList<>(3);
    if (!placed.isEmpty()) events.add(new Sale.ReservationsPlaced(List.copyOf(placed), now));
    if (state.available() > 0 && available == 0) events.add(new Sale.SaleSoldOut(now));
    if (!batchUses.isEmpty()) events.add(new Sale.AdmissionsUsed(List.copyOf(batchUses.values()), now));
    return events;
  }

  /** Decides each request of {@code batch} in order. */
  void decide(ReserveBatch batch) {
    this.batch = batch;
    replies = new ArrayList<>(batch.requests().size());
    for (Reserve r : batch.requests()) replies.add(decide(r));
  }

  /** Tells the batch its answers. */
  void answer() {
    answer(batch, replies);
  }

  /** One message with every answer when the batch names {@code answerTo}, else each request its own. */
  static void answer(ReserveBatch batch, List<ReserveReply> replies) {
    if (batch.answerTo() != null) {
      batch.answerTo().tell(new Sale.ReservesAnswered(replies.stream().map(ReserveAnswer::of).toList()));
    } else {
      for (int i = 0; i < replies.size(); i++) batch.requests().get(i).replyTo().tell(replies.get(i));
    }
  }

  /** The answer to {@code r}; a new reservation also counts for the requests after it. */
  private ReserveReply decide(Reserve r) {
    String request = r.buyer() + '\n' + r.requestId();
    Reservation first = state.byRequest(r.buyer(), r.requestId()).orElse(placedByRequest.get(request));
    if (first != null) return new Reserved(first, true);
    if (r.admission() != null && (state.admissionUse(r.admission()) != null || batchUses.containsKey(r.admission()))) {
      return new Rejected(Reason.ADMISSION_USED,
          "the admission token was used by another request (or its request was refused); join the queue again");
    }
    Rejected rejected = refusal(r);
    if (r.admission() != null) {
      batchUses.put(r.admission(), new AdmissionUse(r.admission(), r.buyer(), r.requestId(), rejected != null));
    }
    if (rejected != null) return rejected;
    ReservationStatus status = switch (def.mode()) {
      case ON_ORDER -> ReservationStatus.CONFIRMED;
      case HOLD -> ReservationStatus.HELD;
      case ON_PAYMENT -> ReservationStatus.PENDING_PAYMENT;
    };
    // ON_PAYMENT orders take no stock, but never more orders per buyer than the limit allows
    if (def.mode() != DeductionMode.ON_PAYMENT) available -= r.quantity();
    Instant expiresAt = def.mode() == DeductionMode.ON_ORDER ? null : now.plus(def.hold());
    Reservation reservation = new Reservation(
        newReservationId(), r.buyer(), r.requestId(), r.quantity(), status, now, expiresAt, null);
    placed.add(reservation);
    placedByRequest.put(request, reservation);
    batchUnits.merge(r.buyer(), r.quantity(), Integer::sum);
    batchReservations.merge(r.buyer(), 1, Integer::sum);
    return new Reserved(reservation, false);
  }

  /** Why {@code r} is refused, or null: the checks in the order a buyer should learn of them. */
  private Rejected refusal(Reserve r) {
    if (r.quantity() <= 0) return new Rejected(Reason.INVALID_QUANTITY, "quantity must be at least 1");
    if (phase != SalePhase.OPEN) return phase.refusal();
    if (r.quantity() > def.perBuyerLimit())
      return new Rejected(Reason.INVALID_QUANTITY, "quantity is above the limit of " + def.perBuyerLimit() + " per buyer");
    if (state.unitsOf(r.buyer()) + batchUnits.getOrDefault(r.buyer(), 0) + r.quantity() > def.perBuyerLimit())
      return new Rejected(Reason.LIMIT_REACHED, "limit of " + def.perBuyerLimit() + " per buyer reached");
    if (state.reservationsOf(r.buyer()) + batchReservations.getOrDefault(r.buyer(), 0) >= maxReservationsPerBuyer)
      return new Rejected(Reason.TOO_MANY_RESERVATIONS,
          "at most " + maxReservationsPerBuyer + " reservations per buyer in one sale, ended ones included");
    if (available < r.quantity()) return new Rejected(Reason.SOLD_OUT, available == 0 ? "sold out" : "only " + available + " left");
    return null;
  }

  private String newReservationId() {
    while (true) {
      String id = SaleIds.newReservationId(saleId);
      if (!state.ledger().contains(id) && batchIds.add(id)) return id;
    }
  }
}
