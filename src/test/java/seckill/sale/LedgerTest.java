package seckill.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The ledger, through what the sale asks of it, against a plain map of records: same answers, always. */
class LedgerTest {

  private static final Duration HOLD = Duration.ofMinutes(5);

  @Test
  void answersLikeAMapOfRecordsUnderRandomChanges() {
    Random random = new Random(7);
    Ledger ledger = Ledger.create();
    Map<String, Reservation> model = new HashMap<>();
    List<Reservation> order = new ArrayList<>();
    Instant clock = Instant.parse("2026-11-30T10:00:00.123456789Z");
    Ledger frozen = null;
    Map<String, Reservation> frozenModel = null;
    for (int step = 0; step < 2_000; step++) {
      clock = clock.plusMillis(random.nextInt(50));
      int op = random.nextInt(10);
      if (op < 5 || model.isEmpty()) {
        String buyer = "b" + random.nextInt(60);
        boolean hold = random.nextBoolean();
        Reservation r = new Reservation("s1." + Long.toUnsignedString(random.nextLong(), 36), buyer, "r" + step,
            1 + random.nextInt(3), hold ? ReservationStatus.HELD : ReservationStatus.CONFIRMED, clock,
            hold ? clock.plus(HOLD) : null, null);
        ledger.place(r);
        model.put(r.id(), r);
        order.add(r);
      } else {
        Reservation r = order.get(random.nextInt(order.size()));
        Reservation now = model.get(r.id());
        ReservationStatus next = ReservationStatus.values()[random.nextInt(ReservationStatus.values().length)];
        if (next == ReservationStatus.HELD || next == ReservationStatus.CONFIRMED || next == ReservationStatus.PENDING_PAYMENT) continue;
        // as the entity does: it only releases reservations waiting for payment, and only pays live unpaid ones
        if (next != ReservationStatus.PAID ? !now.status().awaitsPayment() : !now.status().live() || now.status() == ReservationStatus.PAID) continue;
        String payment = next == ReservationStatus.PAID || next == ReservationStatus.PAYMENT_FAILED ? "p" + step : now.paymentId();
        change(ledger, r.id(), next, payment);
        model.put(r.id(), now.with(next, payment));
      }
      if (step % 97 == 0) ledger = roundTrip(ledger);
      if (step % 89 == 0) ledger = ledger.frozenCopy().writable();
      if (step % 113 == 0) {
        // a frozen copy shares the columns written once with the ledger that goes on changing
        if (frozen != null) {
          assertEquals(frozenModel, frozen.all());
          assertEquals(frozenModel, roundTrip(frozen).all());
        }
        frozen = ledger.frozenCopy();
        frozenModel = new HashMap<>(model);
      }
      assertSame(model, ledger, clock);
    }
  }

  @Test
  void answersAlikeAcrossPagesAndIndexTablesAndAFrozenCopyKeepsWhatItSaw() {
    // 200,000 rows fill 6 pages of 32,768 and start a 7th; 65,941 buyers fill 2 and start a 3rd; each of the
    // 256 tables of the id index doubles on its own, from 8 slots to 2,048 (the buyers' to 512); ending the
    // oldest holds moves the waiting queue's head past its first 3 pages (of 180,172 holds, 100,093 are
    // passed), which it drops
    Random random = new Random(11);
    Ledger ledger = Ledger.create();
    Map<String, Reservation> model = new HashMap<>();
    List<String> placed = new ArrayList<>();
    ArrayDeque<String> holds = new ArrayDeque<>(); // in the order placed, the oldest first
    Instant start = Instant.parse("2026-11-30T10:00:00Z");
    Instant clock = start;
    Ledger frozen = null;
    Map<String, Reservation> frozenModel = null;
    for (int i = 0; i < 200_000; i++) {
      clock = clock.plusMillis(1);
      boolean hold = random.nextInt(10) != 0;
      Reservation r = new Reservation("s1." + Long.toUnsignedString(random.nextLong(), 36), "b" + random.nextInt(70_000),
          "r" + i, 1 + random.nextInt(3), hold ? ReservationStatus.HELD : ReservationStatus.CONFIRMED, clock,
          hold ? clock.plus(HOLD) : null, null);
      ledger.place(r);
      model.put(r.id(), r);
      placed.add(r.id());
      if (hold) holds.add(r.id());
      // the oldest hold ends (after the frozen copy, these are rows it holds too), and now and then another one
      if (random.nextBoolean()) end(ledger, model, holds.poll(), random, i);
      if (random.nextInt(7) == 0) end(ledger, model, placed.get(random.nextInt(placed.size())), random, i);
      if (i == 100_000) {
        frozen = ledger.frozenCopy();
        frozenModel = new HashMap<>(model);
      }
    }
    assertEquals(200_000, model.size());
    assertSame(model, ledger, clock);
    // the holds still waiting are due in the order placed, up to those placed 150 s in
    Instant at = start.plus(HOLD).plusSeconds(150);
    List<String> due = holds.stream().filter(id -> model.get(id).status().awaitsPayment() && !model.get(id).expiresAt().isAfter(at)).toList();
    assertTrue(due.size() > 30_000, "due: " + due.size());
    assertEquals(due, ledger.dueAt(at, Integer.MAX_VALUE));
    assertEquals(due.subList(0, 1_000), ledger.dueAt(at, 1_000));
    assertEquals(Optional.of(model.get(due.get(0)).expiresAt()), ledger.earliestDeadline());
    Ledger read = roundTrip(ledger);
    assertSame(model, read, clock);
    assertEquals(due, read.dueAt(at, Integer.MAX_VALUE));
    Ledger thawed = ledger.frozenCopy().writable();
    assertEquals(model, thawed.all());
    assertEquals(due, thawed.dueAt(at, Integer.MAX_VALUE));
    // the copy taken halfway shares the pages written once with the ledger that went on, and is as it was
    assertEquals(100_001, frozen.size());
    assertEquals(frozenModel, frozen.all());
    assertEquals(frozenModel, roundTrip(frozen).all());
    assertEquals(frozenModel, frozen.writable().all());
  }

  /** A hold still waiting is paid or cancelled, as the entity does (it ends only those); any other is left. */
  private static void end(Ledger ledger, Map<String, Reservation> model, String id, Random random, int step) {
    Reservation now = id == null ? null : model.get(id);
    if (now == null || !now.status().awaitsPayment()) return;
    ReservationStatus next = random.nextBoolean() ? ReservationStatus.PAID : ReservationStatus.CANCELLED;
    String payment = next == ReservationStatus.PAID ? "p" + step : null;
    assertEquals(new Ledger.Change(now.status(), now.quantity()), change(ledger, id, next, payment));
    model.put(id, now.with(next, payment));
  }

  /** A change as the sale's events make it: a payment, or the end of a reservation waiting for one. */
  private static Ledger.Change change(Ledger ledger, String id, ReservationStatus next, String payment) {
    return next == ReservationStatus.PAID ? ledger.paid(id, payment)
        : ledger.ended(id, next, next == ReservationStatus.PAYMENT_FAILED ? payment : null);
  }

  @Test
  void keepsWholeWhatItsColumnsCannotSayAndGivesEverythingBackAlike() {
    Ledger ledger = Ledger.create();
    Instant t = Instant.parse("2026-11-30T10:00:00Z");
    List<Reservation> odd = List.of(
        new Reservation("s1.abc", "alice", "r1", 1, ReservationStatus.HELD, t, t.plus(HOLD), null),
        new Reservation("s1.ABC", "bob", "r1", 1, ReservationStatus.HELD, t, t.plus(HOLD), null), // not base 36 as written
        new Reservation("s1.00abc", "carol", "r1", 1, ReservationStatus.HELD, t, t.plus(HOLD), null), // leading zeros
        new Reservation("other.abd", "dave", "r1", 1, ReservationStatus.HELD, t, t.plus(HOLD), null), // another prefix
        new Reservation("nodot", "erin", "r1", 1, ReservationStatus.HELD, t, t.plus(HOLD), null),
        new Reservation("s1.abe", "frank", "r1", 1, ReservationStatus.HELD, t, t.plus(Duration.ofMinutes(9)), null), // another hold
        new Reservation("s1.abf", "gina", "r1", 40_000, ReservationStatus.CONFIRMED, t, null, null), // above a short
        new Reservation("s1.abg", "Zoë 🛒", "requête-1", 1, ReservationStatus.CONFIRMED, t, null, "paiement-ü"),
        new Reservation("s1.abh", "\uD800lone", "r\uDC00", 1, ReservationStatus.CONFIRMED, t, null, null), // no UTF-8 for these
        new Reservation("s1." + Long.toUnsignedString(-1L, 36), "hank", "r1", 1, ReservationStatus.CONFIRMED, t, null, null),
        new Reservation("s1.abi", "ivy", "x".repeat(2_000_000), 1, ReservationStatus.CONFIRMED, t, null, null), // above a page
        new Reservation("s1.abj", "jack", "r1", 1, ReservationStatus.CONFIRMED, Instant.parse("1900-01-01T00:00:00Z"), null, null));
    Map<String, Reservation> model = new HashMap<>();
    for (Reservation r : odd) {
      ledger.place(r);
      model.put(r.id(), r);
    }
    assertSame(model, ledger, t);
    ledger.paid("s1.ABC", "p1");
    model.put("s1.ABC", model.get("s1.ABC").with(ReservationStatus.PAID, "p1"));
    ledger.ended("s1.abe", ReservationStatus.CANCELLED, null);
    model.put("s1.abe", model.get("s1.abe").with(ReservationStatus.CANCELLED, null));
    assertSame(model, ledger, t);
    assertSame(model, roundTrip(ledger), t);
    assertSame(model, ledger.frozenCopy().writable(), t);
    assertNull(ledger.get("s1.abk"));
    assertNull(ledger.get("s1."));
    assertNull(ledger.get("s1.zzzzzzzzzzzzzzzz"));
    assertFalse(ledger.contains(null));
  }

  @Test
  void theEmptyLedgerIsNeverWritten() {
    Instant t = Instant.now();
    assertThrows(IllegalStateException.class,
        () -> Ledger.EMPTY.place(new Reservation("s.a", "b", "r", 1, ReservationStatus.CONFIRMED, t, null, null)));
    assertEquals(0, Ledger.EMPTY.size());
  }

  private static Ledger roundTrip(Ledger ledger) {
    Ledger frozen = ledger.frozenCopy();
    ByteBuffer buffer = ByteBuffer.allocate(frozen.binarySize());
    frozen.writeTo(buffer);
    assertFalse(buffer.hasRemaining(), "the size it announced is the size it wrote");
    buffer.flip();
    return Ledger.readFrom(buffer, new HashMap<>(frozen.irregularRows()));
  }

  private static void assertSame(Map<String, Reservation> model, Ledger ledger, Instant now) {
    assertEquals(model.size(), ledger.size());
    assertEquals(model, ledger.all());
    Map<String, Integer> units = new HashMap<>();
    Map<String, List<Reservation>> byBuyer = new HashMap<>();
    for (Reservation r : model.values()) {
      if (r.status().live()) units.merge(r.buyer(), r.quantity(), Integer::sum);
      byBuyer.computeIfAbsent(r.buyer(), b -> new ArrayList<>()).add(r);
      assertEquals(r, ledger.get(r.id()));
      assertEquals(Optional.of(r), ledger.byRequest(r.buyer(), r.requestId()));
    }
    assertEquals(units, ledger.unitsByBuyer());
    byBuyer.forEach((buyer, mine) -> {
      assertEquals(mine.size(), ledger.reservationsOf(buyer));
      assertEquals(units.getOrDefault(buyer, 0), ledger.unitsOf(buyer));
      assertEquals(mine.stream().map(Reservation::id).sorted().toList(),
          ledger.ofBuyer(buyer).stream().map(Reservation::id).sorted().toList());
    });
    assertEquals(units.size(), ledger.buyersWithUnits());
    assertEquals(units.values().stream().mapToInt(Integer::intValue).max().orElse(0), ledger.topBuyerUnits());
    assertEquals(0, ledger.unitsOf("nobody"));
    assertEquals(Optional.empty(), ledger.byRequest("nobody", "r1"));
    Optional<Instant> first = model.values().stream().filter(r -> r.status().awaitsPayment())
        .map(Reservation::expiresAt).min(Comparator.naturalOrder());
    if (model.values().stream().allMatch(r -> r.expiresAt() == null || Duration.between(r.createdAt(), r.expiresAt()).equals(HOLD))) {
      assertEquals(first, ledger.earliestDeadline());
      Instant later = now.plus(HOLD).minusSeconds(1);
      assertEquals(model.values().stream().filter(r -> r.status().awaitsPayment() && !r.expiresAt().isAfter(later))
          .map(Reservation::id).sorted().toList(), ledger.dueAt(later, Integer.MAX_VALUE).stream().sorted().toList());
      assertEquals(Math.min(2, ledger.dueAt(later, Integer.MAX_VALUE).size()), ledger.dueAt(later, 2).size());
    } else {
      assertTrue(first.isEmpty() == ledger.earliestDeadline().isEmpty());
    }
  }
}
