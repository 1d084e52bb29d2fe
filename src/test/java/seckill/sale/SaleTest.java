package seckill.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.typesafe.config.ConfigFactory;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.sale.Sale.*;
import seckill.sale.SaleState.Lifecycle;
import seckill.sale.SaleState.Units;

@ExtendWith(LogCapturingExtension.class)
class SaleTest {

  private static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")));
  private static final SaleSettings SETTINGS =
      new SaleSettings(4, 0.2, Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofMillis(200), 0.2, 10);

  private EventSourcedBehaviorTestKit<Command, Event, SaleState> sale;
  private TestProbe<ViewChanged> views;
  private int saleNo;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void newSale() {
    sale = newSale(SETTINGS);
  }

  private EventSourcedBehaviorTestKit<Command, Event, SaleState> newSale(SaleSettings settings) {
    views = testKit.createTestProbe();
    return EventSourcedBehaviorTestKit.create(testKit.system(), Sale.create("s" + (++saleNo), settings, views.ref()));
  }

  // ---------------------------------------------------------------- helpers

  static SaleDefinition definition(int stock, int limit, DeductionMode mode, Duration hold, Instant startsAt, Instant endsAt) {
    return new SaleDefinition("Phone", "a phone", new BigDecimal("99.00"), "EUR", stock, startsAt, endsAt, limit, mode, hold);
  }

  static SaleDefinition openNow(int stock, int limit, DeductionMode mode, Duration hold) {
    Instant now = Instant.now();
    return definition(stock, limit, mode, hold, now.minusSeconds(1), now.plusSeconds(3600));
  }

  private Status define(SaleDefinition d) {
    CommandResultWithReply<Command, Event, SaleState, Confirmation> r = sale.runCommand(replyTo -> new Define(d, replyTo));
    return assertInstanceOf(Accepted.class, r.reply(), () -> "define rejected: " + r.reply()).status();
  }

  private ReserveReply reserve(String buyer, String requestId, int quantity) {
    TestProbe<ReserveReply> probe = testKit.createTestProbe();
    sale.runCommand(new ReserveBatch(List.of(new Reserve(buyer, requestId, quantity, probe.ref())), null));
    return probe.receiveMessage();
  }

  private Reservation reserved(String buyer, String requestId, int quantity) {
    ReserveReply reply = reserve(buyer, requestId, quantity);
    return assertInstanceOf(Reserved.class, reply, () -> "not reserved: " + reply).reservation();
  }

  private Reason rejection(ReserveReply reply) {
    return assertInstanceOf(Rejected.class, reply, () -> "expected a rejection, got " + reply).reason();
  }

  private Status status() {
    return sale.runCommand(GetStatus::new).reply();
  }

  private ReservationReply pay(String reservationId, String paymentId) {
    return sale.<ReservationReply>runCommand(r -> new ConfirmPayment(reservationId, paymentId, r)).reply();
  }

  private ReservationReply cancel(String reservationId, String buyer) {
    return sale.<ReservationReply>runCommand(r -> new Cancel(reservationId, buyer, r)).reply();
  }

  private Reason confirmationRejection(java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<Confirmation>, Command> cmd) {
    Confirmation reply = sale.runCommand(cmd::apply).reply();
    return assertInstanceOf(Rejected.class, reply, () -> "expected a rejection, got " + reply).reason();
  }

  private static void assertBalanced(Status s) {
    assertEquals(s.stock(), s.sold() + s.held() + s.available(), () -> "unbalanced: " + s);
    assertTrue(s.available() >= 0, () -> "negative available: " + s);
  }

  private void awaitStatus(java.util.function.Predicate<Status> until) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!until.test(status())) {
      if (System.nanoTime() > deadline) throw new AssertionError("condition not met, status " + status());
      Thread.sleep(20); // the poll interval of this condition wait
    }
  }

  // ---------------------------------------------------------------- lifecycle

  @Test
  void undefinedSaleAnswersNotFoundToEveryCommand() {
    assertEquals(SalePhase.NOT_DEFINED, status().phase());
    assertEquals(Reason.SALE_NOT_FOUND, confirmationRejection(Open::new));
    assertEquals(Reason.SALE_NOT_FOUND, confirmationRejection(Pause::new));
    assertEquals(Reason.SALE_NOT_FOUND, confirmationRejection(Close::new));
    assertEquals(Reason.SALE_NOT_FOUND, confirmationRejection(r -> new AddStock(5, r)));
    assertEquals(Reason.SALE_NOT_FOUND, rejection(reserve("alice", "r1", 1)));
    assertEquals(Reason.SALE_NOT_FOUND, ((Rejected) pay("x.1", "p1")).reason());
    assertEquals(Reason.SALE_NOT_FOUND, ((Rejected) cancel("x.1", "alice")).reason());
    ReservationReply get = sale.<ReservationReply>runCommand(r -> new GetReservation("x.1", null, r)).reply();
    assertEquals(Reason.SALE_NOT_FOUND, ((Rejected) get).reason());
    assertTrue(sale.runCommand(ExpireHolds.INSTANCE).hasNoEvents());
  }

  @Test
  void definesAnUpcomingSaleAndUpdatesItOnlyBeforeItOpens() {
    Instant now = Instant.now();
    SaleDefinition d = definition(10, 2, DeductionMode.HOLD, Duration.ofMinutes(5), now.plusSeconds(60), now.plusSeconds(600));
    Status s = define(d);
    assertEquals(SalePhase.UPCOMING, s.phase());
    assertEquals(10, s.available());
    assertEquals(Reason.NOT_OPEN, rejection(reserve("alice", "r1", 1)));

    SaleDefinition bigger = definition(20, 2, DeductionMode.HOLD, Duration.ofMinutes(5), now.plusSeconds(60), now.plusSeconds(600));
    assertEquals(20, define(bigger).stock());
    CommandResultWithReply<Command, Event, SaleState, Confirmation> same = sale.runCommand(r -> new Define(bigger, r));
    assertTrue(same.hasNoEvents(), "redefining with the same definition persists nothing");

    sale.runCommand(Open::new);
    assertEquals(SalePhase.OPEN, status().phase());
    assertEquals(Reason.ALREADY_STARTED, confirmationRejection(r -> new Define(d, r)));
    // a client resending the define it already made (after a 503, say) gets its answer again, changing nothing
    CommandResultWithReply<Command, Event, SaleState, Confirmation> resent = sale.runCommand(r -> new Define(bigger, r));
    assertTrue(resent.hasNoEvents(), "the same definition after the opening persists nothing");
    assertEquals(SalePhase.OPEN, assertInstanceOf(Accepted.class, resent.reply()).status().phase());
  }

  @Test
  void rejectsInvalidDefinitions() {
    Instant now = Instant.now();
    List<SaleDefinition> bad = List.of(
        definition(-1, 2, DeductionMode.ON_ORDER, null, now, now.plusSeconds(60)),
        definition(10, 0, DeductionMode.ON_ORDER, null, now, now.plusSeconds(60)),
        definition(10, 2, DeductionMode.HOLD, null, now, now.plusSeconds(60)),
        definition(10, 2, DeductionMode.ON_PAYMENT, Duration.ZERO, now, now.plusSeconds(60)),
        definition(10, 2, DeductionMode.ON_ORDER, null, now.plusSeconds(60), now.plusSeconds(30)),
        definition(10, 2, DeductionMode.ON_ORDER, null, now.minusSeconds(60), now.minusSeconds(30)),
        definition(10, 2, null, null, now, now.plusSeconds(60)),
        new SaleDefinition(" ", "", BigDecimal.ONE, "EUR", 1, now, now.plusSeconds(60), 1, DeductionMode.ON_ORDER, null),
        new SaleDefinition("x", "", BigDecimal.ONE.negate(), "EUR", 1, now, now.plusSeconds(60), 1, DeductionMode.ON_ORDER, null),
        new SaleDefinition("x", "", BigDecimal.ONE, "euro", 1, now, now.plusSeconds(60), 1, DeductionMode.ON_ORDER, null));
    for (SaleDefinition d : bad) {
      CommandResultWithReply<Command, Event, SaleState, Confirmation> r = sale.runCommand(replyTo -> new Define(d, replyTo));
      assertEquals(Reason.INVALID_DEFINITION, assertInstanceOf(Rejected.class, r.reply(), d::toString).reason());
      assertTrue(r.hasNoEvents());
    }
    assertEquals(SalePhase.NOT_DEFINED, status().phase());
  }

  @Test
  void pauseStopsReservesAndOpenResumes() {
    define(openNow(10, 2, DeductionMode.ON_ORDER, null));
    assertInstanceOf(SalePaused.class, sale.runCommand(Pause::new).event());
    assertEquals(SalePhase.PAUSED, status().phase());
    assertEquals(Reason.PAUSED, rejection(reserve("alice", "r1", 1)));
    assertTrue(sale.runCommand(Pause::new).hasNoEvents(), "pausing twice persists nothing");
    assertInstanceOf(SaleOpened.class, sale.runCommand(Open::new).event());
    reserved("alice", "r1", 1);
  }

  @Test
  void rejectsReservesAfterTheEnd() throws InterruptedException {
    Instant now = Instant.now();
    define(definition(10, 2, DeductionMode.ON_ORDER, null, now.minusSeconds(1), now.plusMillis(300)));
    reserved("alice", "r1", 1);
    Thread.sleep(400); // time itself is the condition: the sale ends 300 ms after its start
    assertEquals(SalePhase.ENDED, status().phase());
    assertEquals(Reason.ENDED, rejection(reserve("bob", "r1", 1)));
    assertEquals(Reason.ENDED, confirmationRejection(Open::new));
  }

  @Test
  void closedSaleRefusesChangesButStillTakesPaymentsForHolds() {
    define(openNow(10, 2, DeductionMode.HOLD, Duration.ofMinutes(5)));
    Reservation held = reserved("alice", "r1", 1);
    assertInstanceOf(SaleClosed.class, sale.runCommand(Close::new).event());
    assertEquals(SalePhase.CLOSED, status().phase());
    assertTrue(sale.runCommand(Close::new).hasNoEvents(), "closing twice persists nothing");
    assertEquals(Reason.CLOSED, rejection(reserve("bob", "r1", 1)));
    assertEquals(Reason.CLOSED, confirmationRejection(Open::new));
    assertEquals(Reason.CLOSED, confirmationRejection(Pause::new));
    assertEquals(Reason.CLOSED, confirmationRejection(r -> new AddStock(1, r)));
    assertEquals(Reason.CLOSED, confirmationRejection(r -> new Define(openNow(5, 1, DeductionMode.ON_ORDER, null), r)));
    assertEquals(ReservationStatus.PAID, ((ReservationResult) pay(held.id(), "p1")).reservation().status());
    assertEquals(1, status().sold());
  }

  @Test
  void addStockRaisesStockAndAvailable() {
    define(openNow(1, 2, DeductionMode.ON_ORDER, null));
    reserved("alice", "r1", 1);
    assertEquals(Reason.SOLD_OUT, rejection(reserve("bob", "r1", 1)));
    Status s = assertInstanceOf(Accepted.class, sale.<Confirmation>runCommand(r -> new AddStock(3, r)).reply()).status();
    assertEquals(4, s.stock());
    assertEquals(3, s.available());
    reserved("bob", "r1", 1);
    assertEquals(Reason.INVALID_STOCK, confirmationRejection(r -> new AddStock(0, r)));
    assertEquals(Reason.INVALID_STOCK, confirmationRejection(r -> new AddStock(-5, r)));
    assertEquals(Reason.INVALID_STOCK, confirmationRejection(r -> new AddStock(SaleDefinition.MAX_STOCK, r)));
  }

  // ---------------------------------------------------------------- deduction modes

  @Test
  void onOrderReservationIsFinal() {
    define(openNow(5, 2, DeductionMode.ON_ORDER, null));
    Reservation r = reserved("alice", "r1", 2);
    assertEquals(ReservationStatus.CONFIRMED, r.status());
    assertEquals(null, r.expiresAt());
    Status s = status();
    assertEquals(2, s.sold());
    assertEquals(3, s.available());
    assertEquals(Reason.NOT_CANCELLABLE, ((Rejected) cancel(r.id(), "alice")).reason());
    assertEquals(ReservationStatus.PAID, ((ReservationResult) pay(r.id(), "p1")).reservation().status());
    assertEquals(2, status().sold(), "paying an ON_ORDER reservation takes no more stock");
    assertBalanced(status());
  }

  @Test
  void holdModeHoldsUntilPaidAndCancelReturnsStock() {
    define(openNow(5, 2, DeductionMode.HOLD, Duration.ofMinutes(5)));
    Reservation a = reserved("alice", "r1", 2);
    Reservation b = reserved("bob", "r1", 1);
    assertEquals(ReservationStatus.HELD, a.status());
    assertTrue(a.expiresAt().isAfter(Instant.now().plusSeconds(250)));
    assertEquals(3, status().held());
    assertEquals(2, status().available());

    ReservationResult paid = assertInstanceOf(ReservationResult.class, pay(a.id(), "p1"));
    assertEquals(ReservationStatus.PAID, paid.reservation().status());
    assertEquals("p1", paid.reservation().paymentId());
    assertEquals(ReservationResult.class, pay(a.id(), "p1").getClass(), "the same payment again is idempotent");
    assertEquals(Reason.ALREADY_PAID, ((Rejected) pay(a.id(), "p2")).reason());

    assertEquals(Reason.RESERVATION_NOT_FOUND, ((Rejected) cancel(b.id(), "alice")).reason(), "not alice's to cancel");
    assertEquals(ReservationStatus.CANCELLED, ((ReservationResult) cancel(b.id(), "bob")).reservation().status());
    assertEquals(ReservationResult.class, cancel(b.id(), "bob").getClass(), "cancelling twice is idempotent");
    assertEquals(Reason.RESERVATION_CANCELLED, ((Rejected) pay(b.id(), "p3")).reason());
    Status s = status();
    assertEquals(2, s.sold());
    assertEquals(0, s.held());
    assertEquals(3, s.available());
    assertBalanced(s);
    assertEquals(0, sale.getState().unitsOf("bob"), "a cancelled hold frees the buyer's limit");
  }

  @Test
  void holdExpiresAndStockReturns() throws InterruptedException {
    define(openNow(3, 2, DeductionMode.HOLD, Duration.ofMillis(300)));
    Reservation r = reserved("alice", "r1", 2);
    assertEquals(1, status().available());
    awaitStatus(s -> s.available() == 3);
    Status s = status();
    assertEquals(0, s.held());
    assertBalanced(s);
    ReservationReply got = sale.<ReservationReply>runCommand(x -> new GetReservation(r.id(), "alice", x)).reply();
    assertEquals(ReservationStatus.EXPIRED, ((ReservationResult) got).reservation().status());
    assertEquals(Reason.RESERVATION_EXPIRED, ((Rejected) pay(r.id(), "late")).reason());
    assertEquals(0, status().sold(), "a late payment never sells a returned unit");
    reserved("alice", "r2", 2);
  }

  @Test
  void latePaymentIsRejectedEvenBeforeTheExpiryTimerFires() throws InterruptedException {
    // a long tick keeps the timer from firing right at the second hold's deadline
    sale = newSale(new SaleSettings(100, 0.2, Duration.ofSeconds(30), Duration.ofMillis(50), Duration.ofMillis(200), 0.2, 10));
    define(openNow(3, 2, DeductionMode.HOLD, Duration.ofMillis(200)));
    reserved("alice", "r1", 1);
    awaitStatus(s -> s.held() == 0);
    Reservation second = reserved("bob", "r1", 1);
    Thread.sleep(300); // time itself is the condition: the 200 ms hold runs out, the 30 s tick has not come
    assertEquals(1, status().held(), "the timer has not fired yet");
    CommandResultWithReply<Command, Event, SaleState, ReservationReply> late =
        sale.runCommand(x -> new ConfirmPayment(second.id(), "late", x));
    assertEquals(Reason.RESERVATION_EXPIRED, ((Rejected) late.reply()).reason());
    assertInstanceOf(ReservationsExpired.class, late.event());
    assertEquals(3, status().available());
    assertEquals(0, status().sold());
  }

  @Test
  void failedPaymentReleasesAHoldOnceAndKeepsItsPaymentId() {
    define(openNow(2, 1, DeductionMode.HOLD, Duration.ofMinutes(5)));
    Reservation a = reserved("alice", "r1", 1);
    CommandResultWithReply<Command, Event, SaleState, ReservationReply> failed =
        sale.runCommand(x -> new FailPayment(a.id(), "p1", x));
    Reservation after = ((ReservationResult) failed.reply()).reservation();
    assertEquals(ReservationStatus.PAYMENT_FAILED, after.status());
    assertEquals("p1", after.paymentId());
    assertInstanceOf(PaymentFailed.class, failed.event());
    assertEquals(2, status().available(), "the held unit went back");
    assertEquals(0, sale.getState().unitsOf("alice"));

    CommandResultWithReply<Command, Event, SaleState, ReservationReply> again =
        sale.runCommand(x -> new FailPayment(a.id(), "p1", x));
    assertInstanceOf(ReservationResult.class, again.reply(), "the same failure again is a duplicate");
    assertTrue(again.events().isEmpty());
    assertEquals(Reason.PAYMENT_FAILED, ((Rejected) pay(a.id(), "p2")).reason(), "no payment after a failed one");
    assertEquals(Reason.RESERVATION_NOT_FOUND,
        ((Rejected) sale.<ReservationReply>runCommand(x -> new FailPayment("s0.none", "p", x)).reply()).reason());

    Reservation b = reserved("bob", "r1", 1);
    pay(b.id(), "p3");
    assertEquals(Reason.ALREADY_PAID,
        ((Rejected) sale.<ReservationReply>runCommand(x -> new FailPayment(b.id(), "p4", x)).reply()).reason());
    assertEquals(1, status().sold());
    assertBalanced(status());
  }

  @Test
  void theBatchTakingTheLastUnitAlsoRecordsSoldOutAndSoDoesTheLastOnPaymentPayment() {
    define(openNow(2, 1, DeductionMode.ON_ORDER, null));
    TestProbe<ReserveReply> probe = testKit.createTestProbe();
    var first = sale.runCommand(new ReserveBatch(List.of(new Reserve("a", "r", 1, probe.ref())), null));
    assertEquals(List.of(ReservationsPlaced.class), first.events().stream().map(Object::getClass).toList());
    var last = sale.runCommand(new ReserveBatch(List.of(
        new Reserve("b", "r", 1, probe.ref()), new Reserve("c", "r", 1, probe.ref())), null));
    assertEquals(List.of(ReservationsPlaced.class, SaleSoldOut.class), last.events().stream().map(Object::getClass).toList());
    var none = sale.runCommand(new ReserveBatch(List.of(new Reserve("d", "r", 1, probe.ref())), null));
    assertTrue(none.events().isEmpty(), "refusals after sell-out persist nothing");

    sale = newSale(SETTINGS);
    define(openNow(1, 1, DeductionMode.ON_PAYMENT, Duration.ofMinutes(5)));
    Reservation order = reserved("alice", "r1", 1);
    var paid = sale.<ReservationReply>runCommand(x -> new ConfirmPayment(order.id(), "p1", x));
    assertEquals(List.of(PaymentConfirmed.class, SaleSoldOut.class), paid.events().stream().map(Object::getClass).toList());
  }

  @Test
  void onPaymentModeTakesStockAtPaymentAndFailsWhenNoneIsLeft() {
    define(openNow(1, 1, DeductionMode.ON_PAYMENT, Duration.ofMinutes(5)));
    Reservation a = reserved("alice", "r1", 1);
    Reservation b = reserved("bob", "r1", 1);
    assertEquals(ReservationStatus.PENDING_PAYMENT, a.status());
    Status s = status();
    assertEquals(1, s.available(), "orders take no stock");
    assertEquals(2, s.pending());

    assertEquals(ReservationStatus.PAID, ((ReservationResult) pay(a.id(), "p1")).reservation().status());
    assertEquals(0, status().available());
    assertEquals(1, status().sold());

    CommandResultWithReply<Command, Event, SaleState, ReservationReply> failed =
        sale.runCommand(x -> new ConfirmPayment(b.id(), "p2", x));
    assertEquals(Reason.PAYMENT_FAILED, ((Rejected) failed.reply()).reason());
    assertInstanceOf(PaymentFailed.class, failed.event());
    assertEquals(0, sale.getState().unitsOf("bob"), "a failed payment frees the buyer's limit");
    assertEquals(Reason.PAYMENT_FAILED, ((Rejected) pay(b.id(), "p2")).reason());
    assertEquals(Reason.SOLD_OUT, rejection(reserve("carol", "r1", 1)));
    assertBalanced(status());
    assertEquals(0, status().pending());
  }

  @Test
  void unpaidOnPaymentOrderExpires() throws InterruptedException {
    define(openNow(5, 1, DeductionMode.ON_PAYMENT, Duration.ofMillis(200)));
    Reservation a = reserved("alice", "r1", 1);
    awaitStatus(s -> s.pending() == 0);
    assertEquals(Reason.RESERVATION_EXPIRED, ((Rejected) pay(a.id(), "p1")).reason());
    assertEquals(5, status().available());
  }

  // ---------------------------------------------------------------- reserve rules

  @Test
  void rejectsBadQuantitiesAndEnforcesTheBuyerLimit() {
    define(openNow(10, 2, DeductionMode.ON_ORDER, null));
    assertEquals(Reason.INVALID_QUANTITY, rejection(reserve("alice", "r0", 0)));
    assertEquals(Reason.INVALID_QUANTITY, rejection(reserve("alice", "r0", -1)));
    assertEquals(Reason.INVALID_QUANTITY, rejection(reserve("alice", "r0", 3)));
    reserved("alice", "r1", 1);
    assertEquals(Reason.LIMIT_REACHED, rejection(reserve("alice", "r2", 2)));
    reserved("alice", "r3", 1);
    assertEquals(Reason.LIMIT_REACHED, rejection(reserve("alice", "r4", 1)));
    assertEquals(2, sale.getState().unitsOf("alice"));
    assertEquals(8, status().available());
  }

  @Test
  void soldOutExactlyAtZeroAndPartialStockIsNotOversold() {
    define(openNow(3, 2, DeductionMode.ON_ORDER, null));
    reserved("alice", "r1", 2);
    ReserveReply tooMany = reserve("bob", "r1", 2);
    assertEquals(Reason.SOLD_OUT, rejection(tooMany));
    assertEquals("only 1 left", ((Rejected) tooMany).message());
    reserved("bob", "r2", 1);
    assertEquals(Reason.SOLD_OUT, rejection(reserve("carol", "r1", 1)));
    Status s = status();
    assertEquals(0, s.available());
    assertEquals(3, s.sold());
  }

  @Test
  void batchPersistsOneEventForItsAcceptedRequestsAndAnswersEachOne() {
    define(openNow(5, 1, DeductionMode.HOLD, Duration.ofMinutes(5)));
    List<TestProbe<ReserveReply>> probes = new ArrayList<>();
    List<Reserve> requests = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      TestProbe<ReserveReply> p = testKit.createTestProbe();
      probes.add(p);
      requests.add(new Reserve("buyer" + i, "r1", 1, p.ref()));
    }
    // the same buyer twice in one batch: the limit counts both
    TestProbe<ReserveReply> extra = testKit.createTestProbe();
    requests.add(new Reserve("buyer0", "r2", 1, extra.ref()));
    var result = sale.runCommand(new ReserveBatch(requests, null));
    // one atomic write: the batch's reservations and, as it took the last unit, the sold-out marker
    assertEquals(List.of(ReservationsPlaced.class, SaleSoldOut.class),
        result.events().stream().map(Object::getClass).toList(), "one event for the whole batch");
    assertEquals(5, ((ReservationsPlaced) result.events().get(0)).reservations().size());
    int reserved = 0, soldOut = 0;
    for (TestProbe<ReserveReply> p : probes) {
      ReserveReply reply = p.receiveMessage();
      if (reply instanceof Reserved) reserved++;
      else if (((Rejected) reply).reason() == Reason.SOLD_OUT) soldOut++;
    }
    assertEquals(5, reserved);
    assertEquals(5, soldOut);
    assertEquals(Reason.LIMIT_REACHED, rejection(extra.receiveMessage()));
    assertEquals(0, status().available());
  }

  @Test
  void batchWithNothingAcceptedPersistsNothing() {
    define(openNow(0, 1, DeductionMode.ON_ORDER, null));
    TestProbe<ReserveReply> p = testKit.createTestProbe();
    assertTrue(sale.runCommand(new ReserveBatch(List.of(new Reserve("a", "r1", 1, p.ref())), null)).hasNoEvents());
    assertEquals(Reason.SOLD_OUT, rejection(p.receiveMessage()));
  }

  @Test
  void replayOfTheSameRequestReturnsTheFirstAnswer() {
    define(openNow(5, 2, DeductionMode.HOLD, Duration.ofMinutes(5)));
    Reservation first = reserved("alice", "r1", 1);
    TestProbe<ReserveReply> p = testKit.createTestProbe();
    var replay = sale.runCommand(new ReserveBatch(List.of(new Reserve("alice", "r1", 2, p.ref())), null));
    assertTrue(replay.hasNoEvents());
    Reserved again = assertInstanceOf(Reserved.class, p.receiveMessage());
    assertTrue(again.replayed());
    assertEquals(first.id(), again.reservation().id());
    assertEquals(1, again.reservation().quantity());
    assertEquals(Reason.LIMIT_REACHED.name(), Reason.valueOf("LIMIT_REACHED").name());

    // the same request id of another buyer is another request
    Reservation bobs = reserved("bob", "r1", 1);
    assertFalse(bobs.id().equals(first.id()));

    // twice in one batch: one reservation, both answered with it
    TestProbe<ReserveReply> p1 = testKit.createTestProbe();
    TestProbe<ReserveReply> p2 = testKit.createTestProbe();
    var batch = sale.runCommand(new ReserveBatch(List.of(
        new Reserve("carol", "x", 1, p1.ref()), new Reserve("carol", "x", 1, p2.ref())), null));
    assertEquals(1, ((ReservationsPlaced) batch.event()).reservations().size());
    Reserved r1 = assertInstanceOf(Reserved.class, p1.receiveMessage());
    Reserved r2 = assertInstanceOf(Reserved.class, p2.receiveMessage());
    assertEquals(r1.reservation().id(), r2.reservation().id());
    assertTrue(r2.replayed());
    assertEquals(1, sale.getState().unitsOf("carol"));

    // replay still answers after the sale closed
    sale.runCommand(Close::new);
    assertEquals(first.id(), assertInstanceOf(Reserved.class, reserve("alice", "r1", 1)).reservation().id());
  }

  @Test
  void aBatchWithOneAnswerTargetGetsEveryAnswerInOneMessageInRequestOrder() {
    define(openNow(2, 1, DeductionMode.HOLD, Duration.ofMinutes(5)));
    TestProbe<ReservesAnswered> probe = testKit.createTestProbe();
    var batch = sale.runCommand(new ReserveBatch(List.of(
        new Reserve("alice", "r1", 1, null), new Reserve("alice", "r1", 1, null),
        new Reserve("alice", "r2", 1, null), new Reserve("bob", "r1", 1, null), new Reserve("carol", "r1", 1, null)),
        probe.ref()));
    assertEquals(2, ((ReservationsPlaced) batch.events().get(0)).reservations().size());
    ReservesAnswered answered = probe.receiveMessage();
    probe.expectNoMessage(Duration.ofMillis(100));
    List<ReserveReply> replies = answered.answers().stream().map(ReserveAnswer::reply).toList();
    Reserved alice = assertInstanceOf(Reserved.class, replies.get(0));
    assertFalse(alice.replayed());
    assertEquals(new Reserved(alice.reservation(), true), replies.get(1), "the same request: the same reservation");
    assertEquals(Reason.LIMIT_REACHED, assertInstanceOf(Rejected.class, replies.get(2)).reason());
    assertEquals("bob", assertInstanceOf(Reserved.class, replies.get(3)).reservation().buyer());
    assertEquals(Reason.SOLD_OUT, assertInstanceOf(Rejected.class, replies.get(4)).reason());
    // it crosses nodes: the flat answers survive the wire format
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    Serializer serializer = serialization.findSerializerFor(answered);
    assertEquals(answered, serialization.deserialize(serializer.toBinary(answered), serializer.identifier(),
        Serializers.manifestFor(serializer, answered)).get());

    // refused whole, before any request is decided (no such sale): still one message, one answer each
    sale = newSale(SETTINGS);
    sale.runCommand(new ReserveBatch(List.of(new Reserve("dave", "r1", 1, null), new Reserve("erin", "r1", 1, null)),
        probe.ref()));
    List<ReserveAnswer> refused = probe.receiveMessage().answers();
    assertEquals(2, refused.size());
    assertEquals(Reason.SALE_NOT_FOUND, refused.get(1).reason());
  }

  // ---------------------------------------------------------------- recovery

  @Test
  void restartKeepsStateAndIdempotency() {
    define(openNow(10, 2, DeductionMode.HOLD, Duration.ofMinutes(5)));
    Reservation a = reserved("alice", "r1", 2);
    Reservation b = reserved("bob", "r1", 1);
    pay(a.id(), "p1");
    cancel(b.id(), "bob");
    SaleState before = sale.getState();
    SaleState after = sale.restart().state();
    assertEquals(before, after);
    Reserved replay = assertInstanceOf(Reserved.class, reserve("alice", "r1", 1));
    assertEquals(a.id(), replay.reservation().id());
    assertEquals(ReservationStatus.PAID, replay.reservation().status());
    assertBalanced(status());
  }

  @Test
  void aFailedJournalWriteLeavesNoTraceAfterTheRestart() {
    // the journal refuses one write (a database crash): the entity restarts and recovers from what is
    // stored; the batch that failed must not count, and what is stored must not count twice
    PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
    var entity = testKit.spawn(Sale.create("s-failed-write", SETTINGS, views.ref()));
    TestProbe<Confirmation> confirm = testKit.createTestProbe();
    entity.tell(new Define(openNow(10, 1, DeductionMode.ON_ORDER, null), confirm.ref()));
    confirm.expectMessageClass(Accepted.class);
    TestProbe<ReserveReply> replies = testKit.createTestProbe();
    entity.tell(new ReserveBatch(List.of(new Reserve("alice", "r1", 1, replies.ref())), null));
    replies.expectMessageClass(Reserved.class);
    journal.failNextPersisted();
    entity.tell(new ReserveBatch(List.of(new Reserve("bob", "r1", 1, replies.ref())), null));
    replies.expectNoMessage(Duration.ofMillis(300));

    TestProbe<Status> status = testKit.createTestProbe();
    entity.tell(new GetStatus(status.ref()));
    Status afterRestart = status.receiveMessage(Duration.ofSeconds(5));
    assertEquals(1, afterRestart.sold());
    assertEquals(1, afterRestart.reservations(), "bob's failed batch left no reservation");
    assertEquals(1, afterRestart.buyers());
    assertEquals(1, afterRestart.topBuyerUnits(), "alice's unit is counted once");
    entity.tell(new ReserveBatch(List.of(new Reserve("bob", "r1", 1, replies.ref())), null));
    replies.expectMessageClass(Reserved.class);
    entity.tell(new ReserveBatch(List.of(new Reserve("alice", "r2", 1, replies.ref())), null));
    assertEquals(Reason.LIMIT_REACHED, replies.expectMessageClass(Rejected.class).reason());
    entity.tell(new GetStatus(status.ref()));
    Status end = status.receiveMessage();
    assertEquals(2, end.sold());
    assertEquals(2, end.reservations());
    assertEquals(1, end.topBuyerUnits());
    assertBalanced(end);
  }

  @Test
  void recoversFromASnapshotPlusLaterEvents() {
    // SETTINGS snapshot every 4 events: 1 define + 9 reserves = snapshots at 4 and 8, then 2 more events
    define(openNow(20, 1, DeductionMode.HOLD, Duration.ofMinutes(5)));
    for (int i = 0; i < 9; i++) reserved("b" + i, "r", 1);
    SaleState before = sale.getState();
    SaleState after = sale.restart().state();
    assertEquals(before, after);
    assertEquals(9, after.held());
    assertEquals(9, after.reservations().size());
  }

  @Test
  void manyHoldsExpireInEventsOfBoundedSize() throws InterruptedException {
    // a big sale's unpaid holds expire in events of at most ExpiryTimer.MAX_PER_EVENT ids, not in one
    int holds = ExpiryTimer.MAX_PER_EVENT + 5;
    PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
    var entity = testKit.spawn(Sale.create("s-many-holds", SETTINGS, views.ref()));
    TestProbe<Confirmation> confirm = testKit.createTestProbe();
    entity.tell(new Define(openNow(holds, 1, DeductionMode.HOLD, Duration.ofMillis(500)), confirm.ref()));
    confirm.expectMessageClass(Accepted.class);
    TestProbe<ReserveReply> replies = testKit.createTestProbe();
    List<Reserve> batch = new ArrayList<>();
    for (int i = 0; i < holds; i++) batch.add(new Reserve("b" + i, "r", 1, replies.ref()));
    entity.tell(new ReserveBatch(batch, null));
    for (int i = 0; i < holds; i++) replies.expectMessageClass(Reserved.class, Duration.ofSeconds(10));
    TestProbe<Status> status = testKit.createTestProbe();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    Status s;
    do {
      Thread.sleep(50); // the poll interval of this condition wait
      entity.tell(new GetStatus(status.ref()));
      s = status.receiveMessage();
    } while (s.held() > 0 && System.nanoTime() < deadline);
    assertEquals(0, s.held());
    assertEquals(holds, s.available());
    List<Integer> sizes = journal.persistedInStorage("Sale|s-many-holds").stream()
        .filter(e -> e instanceof ReservationsExpired).map(e -> ((ReservationsExpired) e).reservationIds().size()).toList();
    assertEquals(holds, sizes.stream().mapToInt(Integer::intValue).sum());
    assertTrue(sizes.size() >= 2 && sizes.stream().allMatch(n -> n <= ExpiryTimer.MAX_PER_EVENT), "event sizes " + sizes);
  }

  @Test
  void holdExpiryIsReArmedAfterRecovery() throws InterruptedException {
    define(openNow(2, 1, DeductionMode.HOLD, Duration.ofMillis(400)));
    reserved("alice", "r1", 1);
    sale.restart();
    awaitStatus(s -> s.held() == 0 && s.available() == 2);
  }

  @Test
  void publishesItsViewAfterEveryPersistedChangeAndAfterRecovery() {
    views.expectNoMessage(Duration.ofMillis(50));
    define(openNow(5, 5, DeductionMode.ON_ORDER, null));
    ViewChanged defined = views.receiveMessage();
    assertEquals(Lifecycle.SCHEDULED, defined.lifecycle());
    assertEquals(5, defined.available());
    reserved("alice", "r1", 2);
    ViewChanged afterReserve = views.receiveMessage();
    assertEquals(3, afterReserve.available());
    assertTrue(afterReserve.version() > defined.version(), "versions grow with the journal");
    assertEquals(Reason.SOLD_OUT, rejection(reserve("bob", "r1", 4)));
    views.expectNoMessage(Duration.ofMillis(50));
    sale.runCommand(Pause::new);
    assertEquals(Lifecycle.PAUSED, views.receiveMessage().lifecycle());
    sale.restart();
    ViewChanged recovered = views.receiveMessage();
    assertEquals(Lifecycle.PAUSED, recovered.lifecycle());
    assertEquals(3, recovered.available());
  }

  // ---------------------------------------------------------------- waiting-room admissions

  /** Reserves on the waiting-room admission {@code admission}; the reply and what was persisted. */
  private ReserveReply reserveAdmitted(String buyer, String requestId, long admission, List<Event> persisted) {
    TestProbe<ReserveReply> probe = testKit.createTestProbe();
    persisted.addAll(sale.runCommand(
        new ReserveBatch(List.of(new Reserve(buyer, requestId, 1, probe.ref(), admission)), null)).events());
    return probe.receiveMessage();
  }

  @Test
  void anAdmissionIsTakenByItsFirstRequestAndStaysTakenAfterARestart() {
    define(openNow(10, 2, DeductionMode.HOLD, Duration.ofMinutes(5)));
    List<Event> persisted = new ArrayList<>();
    Reservation first = assertInstanceOf(Reserved.class, reserveAdmitted("alice", "r1", 7, persisted)).reservation();
    assertEquals(new AdmissionsUsed(List.of(new AdmissionUse(7, "alice", "r1", false)),
        ((ReservationsPlaced) persisted.get(0)).at()), persisted.get(1), "the use is written with the reservation");

    persisted.clear();
    assertEquals(Reason.ADMISSION_USED, rejection(reserveAdmitted("alice", "r2", 7, persisted)));
    assertEquals(List.of(), persisted, "a refused second use writes nothing");
    Reserved retry = assertInstanceOf(Reserved.class, reserveAdmitted("alice", "r1", 7, persisted));
    assertEquals(new Reserved(first, true), retry, "the first request's retry gets its first answer");
    assertInstanceOf(Reserved.class, reserveAdmitted("alice", "r3", 8, persisted), "another admission is another matter");

    // four more events: a snapshot (every 4) holds the uses, and recovery reads it back
    for (int i = 0; i < 4; i++) reserveAdmitted("b" + i, "r", 20 + i, persisted);
    SaleState before = sale.getState();
    SaleState after = sale.restart().state();
    assertEquals(before, after);
    assertEquals(new AdmissionUse(7, "alice", "r1", false), after.admissionUse(7));
    assertEquals(Reason.ADMISSION_USED, rejection(reserveAdmitted("alice", "r2", 7, persisted)));
    assertEquals(new Reserved(first, true), reserveAdmitted("alice", "r1", 7, persisted));
  }

  @Test
  void anAdmissionWhoseRequestTheSaleRefusedIsSpentForThatRequestToo() {
    define(openNow(1, 1, DeductionMode.HOLD, Duration.ofMinutes(5)));
    Reservation bobs = reserved("bob", "r1", 1);
    List<Event> persisted = new ArrayList<>();
    assertEquals(Reason.SOLD_OUT, rejection(reserveAdmitted("alice", "r1", 3, persisted)));
    assertEquals(List.of(new AdmissionUse(3, "alice", "r1", true)), ((AdmissionsUsed) persisted.get(0)).uses());
    cancel(bobs.id(), "bob"); // the unit is back: the spent admission still buys nothing
    assertEquals(Reason.ADMISSION_USED, rejection(reserveAdmitted("alice", "r1", 3, persisted)));
    assertEquals(Reason.ADMISSION_USED, rejection(reserveAdmitted("alice", "r2", 3, persisted)));
    assertEquals(1, status().available());
  }

  @Test
  void twoRequestsOnOneAdmissionInOneBatchOnlyTheFirstPasses() {
    define(openNow(10, 2, DeductionMode.ON_ORDER, null));
    TestProbe<ReservesAnswered> probe = testKit.createTestProbe();
    var batch = sale.runCommand(new ReserveBatch(List.of(new Reserve("alice", "r1", 1, null, 5L),
        new Reserve("alice", "r2", 1, null, 5L), new Reserve("alice", "r1", 1, null, 5L)), probe.ref()));
    assertEquals(1, ((ReservationsPlaced) batch.events().get(0)).reservations().size());
    List<ReserveAnswer> answers = probe.receiveMessage().answers();
    assertEquals(Reason.ADMISSION_USED, answers.get(1).reason());
    assertTrue(answers.get(2).replayed(), "the first request again: its reservation");
    assertEquals(answers.get(0).reservation(), answers.get(2).reservation());
  }

  @Test
  void snapshotsKeepTheAdmissionUsesAndOnesWrittenBeforeThemStillLoad() throws Exception {
    define(openNow(10, 2, DeductionMode.HOLD, Duration.ofMinutes(5)));
    reserveAdmitted("alice", "r1", 7, new ArrayList<>());
    SaleState state = sale.getState();
    var serialization = SerializationExtension.get(testKit.system());
    int id = serialization.findSerializerFor(state).identifier();
    byte[] bytes = serialization.serialize(state.frozen()).get();
    SaleState read = recovered(serialization.deserialize(bytes, id, "ledger-1").get());
    assertEquals(state, read);
    assertEquals(new AdmissionUse(7, "alice", "r1", false), read.admissionUse(7));

    // the same snapshot with a header written before the sale kept admissions
    ObjectMapper cbor = JacksonObjectMapperProvider.get(testKit.system())
        .getOrCreate("jackson-cbor", Optional.of(new CBORFactory()));
    ByteBuffer in = ByteBuffer.wrap(bytes);
    byte[] header = new byte[in.getInt()];
    in.get(header);
    var tree = (ObjectNode) cbor.readTree(header);
    assertTrue(tree.has("admissions"));
    tree.remove("admissions");
    byte[] oldHeader = cbor.writeValueAsBytes(tree);
    ByteBuffer old = ByteBuffer.allocate(4 + oldHeader.length + in.remaining());
    old.putInt(oldHeader.length).put(oldHeader).put(in);
    SaleState older = recovered(serialization.deserialize(old.array(), id, "ledger-1").get());
    assertEquals(state.ledger(), older.ledger());
    assertEquals(null, older.admissionUse(7));
    older.admissionsUsed(List.of(new AdmissionUse(9, "bob", "r1", false))); // and it can be written
    assertEquals(1, older.admissions().size());
  }

  // ---------------------------------------------------------------- invariants

  @Test
  void invariantsHoldUnderRandomOperations() {
    Random random = new Random(42);
    define(openNow(30, 3, DeductionMode.HOLD, Duration.ofMinutes(5)));
    Map<String, Integer> liveUnits = new HashMap<>();
    List<Reservation> live = new ArrayList<>();
    for (int step = 0; step < 400; step++) {
      int op = random.nextInt(10);
      if (op < 6) {
        List<TestProbe<ReserveReply>> probes = new ArrayList<>();
        List<Reserve> batch = new ArrayList<>();
        for (int i = 0, n = 1 + random.nextInt(8); i < n; i++) {
          TestProbe<ReserveReply> p = testKit.createTestProbe();
          probes.add(p);
          batch.add(new Reserve("b" + random.nextInt(20), "r" + random.nextInt(6), 1 + random.nextInt(3), p.ref()));
        }
        sale.runCommand(new ReserveBatch(batch, null));
        for (TestProbe<ReserveReply> p : probes) {
          if (p.receiveMessage() instanceof Reserved r && !r.replayed()) live.add(r.reservation());
        }
      } else if (op < 8 && !live.isEmpty()) {
        Reservation r = live.remove(random.nextInt(live.size()));
        pay(r.id(), "p" + step);
      } else if (!live.isEmpty()) {
        Reservation r = live.remove(random.nextInt(live.size()));
        cancel(r.id(), r.buyer());
      } else if (random.nextInt(4) == 0) {
        sale.<Confirmation>runCommand(r -> new AddStock(2, r));
      }
      Status s = status();
      assertBalanced(s);
      SaleState state = sale.getState();
      liveUnits.clear();
      state.reservations().values().stream().filter(r -> r.status().live())
          .forEach(r -> liveUnits.merge(r.buyer(), r.quantity(), Integer::sum));
      liveUnits.forEach((buyer, units) -> assertTrue(units <= 3, buyer + " holds " + units));
      assertEquals(liveUnits, state.unitsByBuyer());
    }
  }

  @Test
  void snapshotsOfTheEarlierFormsStillRecover() throws Exception {
    // written by the code of November 2026 (Jackson, maps of records): alice holds 2 (a-1), bob paid 1
    // (b-1, pay-1), carol cancelled 1 (c-1); stock 10, limit 2, HOLD for 7 days
    byte[] bytes;
    try (var in = SaleTest.class.getResourceAsStream("/seckill/sale/snapshot-2026-11.cbor")) {
      bytes = in.readAllBytes();
    }
    var serialization = org.apache.pekko.serialization.SerializationExtension.get(testKit.system());
    int jackson = serialization.findSerializerFor(new Units(0, 0, 0, 0, 0)).identifier();
    SaleState read = recovered(serialization.deserialize(bytes, jackson, "seckill.sale.Sale$State").get());
    assertOldFixture(read);

    // older still: the five counts as fields of the state itself
    com.fasterxml.jackson.databind.ObjectMapper cbor = org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider
        .get(testKit.system()).getOrCreate("jackson-cbor", java.util.Optional.of(new com.fasterxml.jackson.dataformat.cbor.CBORFactory()));
    var old = (com.fasterxml.jackson.databind.node.ObjectNode) cbor.readTree(bytes);
    var units = old.remove("units");
    units.fieldNames().forEachRemaining(name -> old.set(name, units.get(name)));
    SaleState older = recovered(serialization.deserialize(cbor.writeValueAsBytes(old), jackson, "seckill.sale.Sale$State").get());
    assertOldFixture(older);
    assertEquals(read.ledger(), older.ledger()); // (the tree round trip above writes the price 99.00 as 99)

    // and what it becomes is written in the new form and read back alike
    SaleState again = (SaleState) serialization.deserialize(serialization.serialize(read.frozen()).get(),
        serialization.findSerializerFor(read).identifier(), "ledger-1").get();
    assertEquals(read, again);
    assertOldFixture(again);
  }

  /** What recovery makes of a snapshot the store read back. */
  private static SaleState recovered(Object snapshot) {
    return SaleStateSerializer.SNAPSHOTS.fromJournal(snapshot);
  }

  private static void assertOldFixture(SaleState s) {
    assertEquals(new Units(10, 7, 2, 1, 0), s.units());
    assertEquals(Lifecycle.SCHEDULED, s.lifecycle());
    Map<String, Reservation> all = s.reservations();
    assertEquals(3, all.size());
    Map<String, ReservationStatus> byBuyer = new HashMap<>();
    all.values().forEach(r -> byBuyer.put(r.buyer(), r.status()));
    assertEquals(Map.of("alice", ReservationStatus.HELD, "bob", ReservationStatus.PAID, "carol", ReservationStatus.CANCELLED), byBuyer);
    assertEquals(Map.of("alice", 2, "bob", 1), s.unitsByBuyer());
    assertEquals(1, s.reservationsOf("carol"));
    Reservation bob = s.byRequest("bob", "b-1").orElseThrow();
    assertEquals("pay-1", bob.paymentId());
    assertEquals(bob, s.reservation(bob.id()));
    Reservation alice = s.byRequest("alice", "a-1").orElseThrow();
    assertEquals(alice.expiresAt(), s.earliestDeadline().orElseThrow());
    assertEquals(Duration.ofDays(7), Duration.between(alice.createdAt(), alice.expiresAt()));
  }
}
