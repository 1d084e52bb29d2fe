package seckill.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.TestNode;
import seckill.journal.Journal;
import seckill.sale.Sale.*;

/** The sale entity on a real jdbc journal: subclasses run it on H2 and on PostgreSQL. */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SaleJournalContract {

  private static final AtomicInteger ids = new AtomicInteger();
  private static final SaleSettings SETTINGS =
      new SaleSettings(5, 0.2, Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofMillis(200), 0.2, 10);

  Config config;
  ActorTestKit testKit;

  /** The journal's connection settings (seckill.db.*). */
  protected abstract Config database();

  @BeforeAll
  void start() {
    // one test deletes journal rows; the read journal waits max-tries x query-delay before it accepts such gaps
    config = TestNode.config(database(), ConfigFactory.parseString("""
        pekko.actor.provider = local
        jdbc-read-journal.journal-sequence-retrieval.query-delay = 100ms
        jdbc-read-journal.refresh-interval = 100ms
        """));
    Journal.prepare(config);
    testKit = ActorTestKit.create("journal", config);
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  String newSaleId() {
    return "p" + ids.incrementAndGet() + "-" + System.nanoTime();
  }

  ActorRef<Command> spawn(String saleId) {
    return testKit.spawn(Sale.create(saleId, SETTINGS, testKit.system().ignoreRef()));
  }

  private <T> T ask(ActorRef<Command> sale, java.util.function.Function<ActorRef<T>, Command> cmd) {
    TestProbe<T> probe = testKit.createTestProbe();
    sale.tell(cmd.apply(probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(10));
  }

  Reservation reserve(ActorRef<Command> sale, String buyer, String requestId) {
    ReserveReply reply = ask(sale, r -> new ReserveBatch(List.of(new Reserve(buyer, requestId, 1, r)), null));
    return assertInstanceOf(Reserved.class, reply, () -> "not reserved: " + reply).reservation();
  }

  private Status status(ActorRef<Command> sale) {
    return ask(sale, GetStatus::new);
  }

  void define(ActorRef<Command> sale, int stock, DeductionMode mode, Duration hold) {
    Confirmation c = ask(sale, r -> new Define(SaleTest.openNow(stock, 1, mode, hold), r));
    assertInstanceOf(Accepted.class, c, () -> "define rejected: " + c);
  }

  @Test
  void restartKeepsStateAndIdempotency() {
    String id = newSaleId();
    ActorRef<Command> sale = spawn(id);
    define(sale, 10, DeductionMode.HOLD, Duration.ofMinutes(5));
    Reservation a = reserve(sale, "alice", "r1");
    Reservation b = reserve(sale, "bob", "r1");
    reserve(sale, "carol", "r1");
    assertInstanceOf(ReservationResult.class, this.<ReservationReply>ask(sale, r -> new ConfirmPayment(a.id(), "p1", r)));
    assertInstanceOf(ReservationResult.class, this.<ReservationReply>ask(sale, r -> new Cancel(b.id(), "bob", r)));
    Status before = status(sale);
    testKit.stop(sale);

    ActorRef<Command> again = spawn(id);
    Status after = status(again);
    assertEquals(before.stock(), after.stock());
    assertEquals(before.available(), after.available());
    assertEquals(1, after.sold());
    assertEquals(1, after.held());
    assertEquals(8, after.available());
    ReserveReply replay = ask(again, r -> new ReserveBatch(List.of(new Reserve("alice", "r1", 1, r)), null));
    Reserved reserved = assertInstanceOf(Reserved.class, replay);
    assertTrue(reserved.replayed());
    assertEquals(a.id(), reserved.reservation().id());
    assertEquals(ReservationStatus.PAID, reserved.reservation().status());
  }

  @Test
  void recoversFromTheSnapshotWhenEarlierEventsAreGone() throws Exception {
    String id = newSaleId();
    ActorRef<Command> sale = spawn(id);
    define(sale, 20, DeductionMode.ON_ORDER, null);
    for (int i = 0; i < 11; i++) reserve(sale, "b" + i, "r");
    Status before = status(sale);
    testKit.stop(sale);

    // the store writes behind the entity: the snapshot at event 10 lands shortly after it was taken
    long snapshotSeq = latestSnapshotSequence(id);
    for (long deadline = System.nanoTime() + 5_000_000_000L; snapshotSeq < 10 && System.nanoTime() < deadline; ) {
      Thread.sleep(50); // the poll interval of this condition wait
      snapshotSeq = latestSnapshotSequence(id);
    }
    assertTrue(snapshotSeq >= 10, "a snapshot was written every 5 events, latest at " + snapshotSeq);
    // without the snapshot, recovery would lose these events' reservations
    deleteEventsUpTo(id, snapshotSeq);

    ActorRef<Command> again = spawn(id);
    Status after = status(again);
    assertEquals(before.sold(), after.sold());
    assertEquals(before.available(), after.available());
    assertEquals(11, after.reservations());
    assertEquals(11, after.buyers());
  }

  @Test
  void holdExpiresAfterRecoveryWhenItsDeadlinePassedWhileStopped() throws Exception {
    String id = newSaleId();
    ActorRef<Command> sale = spawn(id);
    define(sale, 3, DeductionMode.HOLD, Duration.ofMillis(700));
    reserve(sale, "alice", "r1");
    testKit.stop(sale);
    Thread.sleep(900); // time itself is the condition: the 700 ms hold runs out while the entity is stopped
    ActorRef<Command> again = spawn(id);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Status s = status(again);
    while (s.held() != 0 && System.nanoTime() < deadline) {
      Thread.sleep(50); // the poll interval of this condition wait
      s = status(again);
    }
    assertEquals(0, s.held());
    assertEquals(3, s.available());
  }

  @Test
  void eventsAreTaggedForTheProjection() throws Exception {
    String id = newSaleId();
    ActorRef<Command> sale = spawn(id);
    define(sale, 5, DeductionMode.ON_ORDER, null);
    reserve(sale, "alice", "r1");
    JdbcReadJournal journal = PersistenceQuery.get(testKit.system())
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    String persistenceId = "Sale|" + id;
    List<EventEnvelope> tagged = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (tagged.size() < 2 && System.nanoTime() < deadline) {
      tagged = journal.currentEventsByTag(Sale.tagFor(id), Offset.noOffset())
          .filter(e -> e.persistenceId().equals(persistenceId))
          .runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(10, TimeUnit.SECONDS);
      if (tagged.size() < 2) Thread.sleep(100); // the poll interval of this wait for the tagged events
    }
    assertEquals(2, tagged.size());
    assertInstanceOf(SaleDefined.class, tagged.get(0).event());
    assertInstanceOf(ReservationsPlaced.class, tagged.get(1).event());
  }

  private Connection connect() throws Exception {
    return Journal.connect(config);
  }

  private long latestSnapshotSequence(String saleId) throws Exception {
    try (Connection c = connect();
        PreparedStatement st = c.prepareStatement(
            "SELECT MAX(\"sequence_number\") FROM \"snapshot\" WHERE \"persistence_id\" = ?")) {
      st.setString(1, "Sale|" + saleId);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private void deleteEventsUpTo(String saleId, long sequenceNr) throws Exception {
    try (Connection c = connect();
        PreparedStatement st = c.prepareStatement(
            "DELETE FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"sequence_number\" <= ?")) {
      st.setString(1, "Sale|" + saleId);
      st.setLong(2, sequenceNr);
      assertTrue(st.executeUpdate() >= 10);
    }
  }
}
