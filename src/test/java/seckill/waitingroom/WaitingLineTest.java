package seckill.waitingroom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.typesafe.config.ConfigFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.sale.WaitingRoomPolicy;
import seckill.waitingroom.WaitingLine.Command;
import seckill.waitingroom.WaitingLine.Conditions;
import seckill.waitingroom.WaitingLine.Event;
import seckill.waitingroom.WaitingLine.Figures;
import seckill.waitingroom.WaitingLine.Leased;
import seckill.waitingroom.WaitingLine.State;

/**
 * The line on its own, with a clock the test moves and ticks the test sends: pace, the active cap,
 * finished and expired admissions, void places, the opening of a shuffled pre-queue, and a restart.
 */
@ExtendWith(LogCapturingExtension.class)
class WaitingLineTest {

  private static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")));
  // ticks come from the test only
  private static final WaitingLine.Settings SETTINGS =
      new WaitingLine.Settings(Duration.ofHours(1), Duration.ofMillis(1), Duration.ZERO);
  private WaitingLine.Settings settings = SETTINGS;
  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

  private static int lineNo;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** A clock the test moves. */
  private static final class Manual extends Clock {
    Instant now = T0;

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private final Manual clock = new Manual();
  private WaitingRoomPolicy room = room(10, 1_000_000, 60, false);
  private Instant startsAt = T0;
  private boolean admitting = true;
  private final TestProbe<LineView> views = testKit.createTestProbe();

  private static WaitingRoomPolicy room(int rate, int maxActive, int ttlSeconds, boolean shuffle) {
    return new WaitingRoomPolicy(true, rate, maxActive, null, shuffle, Duration.ofSeconds(ttlSeconds));
  }

  private EventSourcedBehaviorTestKit<Command, Event, State> line() {
    return EventSourcedBehaviorTestKit.create(testKit.system(), WaitingLine.create("line-" + (++lineNo), settings,
        (saleId, now) -> Optional.of(new Conditions(room, !now.isBefore(startsAt), admitting, false)), views.ref(), clock, null));
  }

  private static Leased lease(EventSourcedBehaviorTestKit<Command, Event, State> line, int size) {
    TestProbe<Leased> probe = testKit.createTestProbe();
    line.runCommand(new WaitingLine.Lease(size, false, probe.ref()));
    return probe.receiveMessage();
  }

  private static Figures figures(EventSourcedBehaviorTestKit<Command, Event, State> line) {
    TestProbe<Figures> probe = testKit.createTestProbe();
    line.runCommand(new WaitingLine.GetFigures(probe.ref()));
    return probe.receiveMessage();
  }

  private static WaitingLine.Withdrawn withdraw(EventSourcedBehaviorTestKit<Command, Event, State> line,
      WaitingLine.Withdrawal... out) {
    TestProbe<WaitingLine.Withdrawn> probe = testKit.createTestProbe();
    line.runCommand(new WaitingLine.Withdraw(List.of(out), probe.ref()));
    return probe.receiveMessage();
  }

  /** What every node hears of the line in {@code state}, with no void places. */
  private static LineView viewOf(State state) {
    return LineView.of("s", state, 1, T0, new LineView.Counts(0, 0, 0, 0, 0, 0, null, null, null, null), "here",
        new TreeMap<>(), 0);
  }

  /** Moves the clock by {@code step} and ticks, {@code times} times. */
  private void tick(EventSourcedBehaviorTestKit<Command, Event, State> line, Duration step, int times) {
    for (int i = 0; i < times; i++) {
      clock.now = clock.now.plus(step);
      line.runCommand(new WaitingLine.Tick(0));
    }
  }

  @Test
  void overSixtySecondsTheLineAdmitsAtItsPace() {
    room = room(50, 1_000_000, 600, false);
    var line = line();
    lease(line, 10_000);
    tick(line, Duration.ZERO, 1);
    tick(line, Duration.ofMillis(200), 300);
    long admitted = line.getState().admittedThrough();
    assertTrue(Math.abs(admitted - 50 * 60) <= 50 * 60 * 0.01, "admitted " + admitted + " in 60 s at 50/s");
  }

  @Test
  void activeNeverExceedsTheCapAndFinishedOrExpiredAdmissionsFreeTheirSlots() {
    room = room(100, 30, 10, false);
    var line = line();
    lease(line, 1_000);
    tick(line, Duration.ZERO, 1);
    for (int i = 0; i < 20; i++) { // 4 s: the pace alone would admit 400
      tick(line, Duration.ofMillis(200), 1);
      assertTrue(figures(line).active() <= 30, "active " + figures(line).active());
    }
    assertEquals(30, line.getState().admittedThrough());
    List<Long> done = new ArrayList<>();
    for (long rank = 0; rank < 10; rank++) done.add(rank);
    line.runCommand(new WaitingLine.Finished(done));
    line.runCommand(new WaitingLine.Finished(done)); // reported twice: counted once
    tick(line, Duration.ofMillis(200), 5);
    assertEquals(40, line.getState().admittedThrough(), "the ten finished slots were given again, and no more");
    assertEquals(30, figures(line).active());
    tick(line, Duration.ofSeconds(10), 1); // every admission so far expired
    assertEquals(70, line.getState().admittedThrough(), "expired admissions freed their slots");
    assertTrue(figures(line).active() <= 30);
  }

  @Test
  void voidPlacesAreSkippedAndCostNoPace() {
    room = room(60, 1_000_000, 60, false);
    var line = line();
    lease(line, 100);
    line.runCommand(new WaitingLine.Unused(10, 50));
    tick(line, Duration.ZERO, 1);
    tick(line, Duration.ofSeconds(1), 1);
    assertEquals(100, line.getState().admittedThrough(), "60 real places and the 40 void ones between them");
    assertEquals(60, figures(line).admittedSinceStart());
    assertEquals(60, figures(line).active());
  }

  @Test
  void voidPlacesStayVoidAfterARestartUntilNoAdmissionNearThemCanBeUsed() {
    room = room(60, 1_000_000, 60, false);
    var line = line();
    lease(line, 100);
    line.runCommand(new WaitingLine.Unused(10, 50));
    line.restart();
    assertEquals(List.of(new WaitingLine.VoidRange(10, 50)), line.getState().voids(), "persisted");
    tick(line, Duration.ZERO, 1);
    tick(line, Duration.ofSeconds(1), 1);
    assertEquals(100, line.getState().admittedThrough(), "the 40 void places skipped after the restart too");
    assertEquals(60, figures(line).admittedSinceStart());
    assertEquals(60, figures(line).active());

    // reported after their turn: the slots they held are freed, after a restart too
    line.runCommand(new WaitingLine.Unused(90, 100));
    line.restart();
    assertEquals(50, figures(line).active(), "60 let in, 10 of them void");

    tick(line, Duration.ofSeconds(61), 1); // every admission ran out
    lease(line, 10);
    tick(line, Duration.ofSeconds(1), 1);
    assertEquals(110, line.getState().admittedThrough());
    assertEquals(List.of(), line.getState().voids(), "forgotten once every admission near them ran out");
  }

  @Test
  void nothingIsAdmittedWhileTheSaleIsNotAdmittingAndTheLineGoesOnInOrderAfter() {
    room = room(10, 1_000_000, 60, false);
    var line = line();
    lease(line, 100);
    admitting = false; // sold out, paused, or not open
    tick(line, Duration.ZERO, 1);
    tick(line, Duration.ofSeconds(1), 5);
    assertEquals(0, line.getState().admittedThrough());
    admitting = true; // units returned
    tick(line, Duration.ofSeconds(1), 1);
    assertEquals(10, line.getState().admittedThrough(), "one second's pace, not the five seconds it waited");
  }

  @Test
  void theOpeningEndsThePreQueueAndShufflesIt() {
    room = room(10, 1_000_000, 60, true);
    startsAt = T0.plusSeconds(60);
    var line = line();
    Leased first = lease(line, 40);
    Leased second = lease(line, 60);
    assertTrue(first.preQueue() && second.preQueue());
    tick(line, Duration.ofSeconds(10), 1);
    assertEquals(-1, line.getState().preQueue(), "not opened before startsAt");
    assertEquals(0, line.getState().admittedThrough());
    clock.now = startsAt;
    line.runCommand(new WaitingLine.Tick(0));
    State opened = line.getState();
    assertEquals(100, opened.preQueue());
    assertNotEquals(0, opened.shuffleKey());
    Leased after = lease(line, 10);
    assertEquals(100, after.from(), "later places come after the whole pre-queue");
    assertTrue(!after.preQueue());
    assertEquals(after.from(), opened.rankOf(after.from()), "after the opening a place is its own rank");
  }

  @Test
  void aRestartKeepsEveryMarkSoNoPlaceIsGivenTwice() {
    var line = line();
    lease(line, 50);
    tick(line, Duration.ZERO, 1);
    tick(line, Duration.ofSeconds(1), 2);
    State before = line.getState();
    assertEquals(20, before.admittedThrough());
    line.restart();
    assertEquals(before.leasedThrough(), line.getState().leasedThrough());
    assertEquals(before.admittedThrough(), line.getState().admittedThrough());
    assertEquals(50, lease(line, 5).from());
    assertEquals(20, figures(line).active(), "admissions from before the restart still count until they expire");
  }

  @Test
  void aPlaceAheadCountsOnlyThePlacesGivenOut() {
    java.util.TreeMap<Long, Long> voids = new java.util.TreeMap<>(java.util.Map.of(5L, 15L, 20L, 30L, 50L, 60L));
    State state = new State(100, -1, 0, 10, List.of());
    LineView view = LineView.of("s", state, 1, T0, new LineView.Counts(0, 0, 0, 0, 0, 0, null, null, null, null), "here", voids, 0);
    assertEquals(0, view.ahead(10));
    assertEquals(30 - 5 - 10, view.ahead(40), "ranks 10..39 less the void 10..14 and 20..29");
    assertEquals(80 - 5 - 10 - 10, view.ahead(90));
    State shuffled = new State(100, 80, 42, 10, List.of());
    LineView pre = LineView.of("s", shuffled, 1, T0, new LineView.Counts(0, 0, 0, 0, 0, 0, null, null, null, null), "here", voids, 0);
    // in a shuffled pre-queue ranks are not places: its 30 void places of 80 are taken as spread evenly
    assertEquals((long) Math.floor(30 * (1 - 30 / 80.0)), pre.ahead(40));
    assertEquals((long) Math.floor(70 * (1 - 30 / 80.0)) + 10, pre.ahead(90), "after the pre-queue, places again");
  }

  @Test
  void leasesThatArriveTogetherAreWrittenTogetherAndNeverOverlap() {
    String id = "line-" + (++lineNo);
    var line = testKit.spawn(WaitingLine.create(id, SETTINGS,
        (saleId, now) -> Optional.of(new Conditions(room, true, admitting, false)), views.ref(), clock, null));
    TestProbe<Leased> probe = testKit.createTestProbe();
    for (int i = 0; i < 50; i++) line.tell(new WaitingLine.Lease(1 + i % 3, false, probe.ref()));
    List<Leased> leased = probe.receiveSeveralMessages(50);
    leased = new ArrayList<>(leased);
    leased.sort(java.util.Comparator.comparingLong(Leased::from));
    long next = 0;
    for (Leased l : leased) {
      assertEquals(next, l.from(), "blocks follow each other without a gap or an overlap");
      next = l.to();
    }
    var journal = org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit.create(testKit.system());
    long writes = journal.persistedInStorage(org.apache.pekko.persistence.typed.PersistenceId.of(
        WaitingLine.ENTITY_KEY.name(), id).id()).stream().filter(e -> e instanceof WaitingLine.PlacesLeased).count();
    assertTrue(writes < 50, "50 leases sent at once took " + writes + " writes");
    testKit.stop(line);
  }

  @Test
  void placesAreLetInOnlyOnceTheirLeaseSettled() {
    settings = new WaitingLine.Settings(Duration.ofHours(1), Duration.ofMillis(1), Duration.ofMillis(1500));
    room = room(100, 1_000_000, 60, false);
    var line = line();
    lease(line, 10);
    tick(line, Duration.ZERO, 1);
    tick(line, Duration.ofMillis(500), 2);
    assertEquals(0, line.getState().admittedThrough(), "a desk may still hold those places, or leave them void");
    tick(line, Duration.ofMillis(500), 1);
    assertEquals(10, line.getState().admittedThrough());
  }

  @Test
  void voidPlacesReportedAfterTheirRanksWereLetInFreeTheirSlots() {
    room = room(100, 1_000_000, 60, false);
    var line = line();
    lease(line, 20);
    tick(line, Duration.ZERO, 1);
    tick(line, Duration.ofSeconds(1), 1);
    assertEquals(20, figures(line).active());
    line.runCommand(new WaitingLine.Unused(15, 20));
    assertEquals(15, figures(line).active());
  }

  @Test
  void aPlaceLeftFreesItsSlotAtOnceARevokedOneIsSkippedAndBothStayOutAfterARestart() {
    room = room(100, 2, 60, false);
    var line = line();
    lease(line, 10);
    tick(line, Duration.ZERO, 1);
    tick(line, Duration.ofSeconds(1), 1);
    assertEquals(2, line.getState().admittedThrough(), "the cap of 2");
    var left = new WaitingLine.Withdrawal(0, "alice", false);
    var revoked = new WaitingLine.Withdrawal(3, "dave", true);
    assertEquals(List.of(left, revoked), withdraw(line, left, revoked, new WaitingLine.Withdrawal(10, "never", true)).out(),
        "a place never leased is no one's");
    assertEquals(List.of(revoked), withdraw(line, new WaitingLine.Withdrawal(3, "dave", false)).out(),
        "a place out keeps its first reason");
    assertEquals(1, figures(line).active(), "alice's slot is free at once");
    tick(line, Duration.ofMillis(200), 1);
    assertEquals(3, line.getState().admittedThrough(), "the next place took it, long before alice's admission would expire");
    LineView view = viewOf(line.getState());
    assertEquals("LEFT", view.withdrawnAs(0));
    assertEquals("REVOKED", view.withdrawnAs(3));
    assertEquals(null, view.withdrawnAs(1));

    line.restart();
    assertEquals(List.of(left, revoked), line.getState().out(), "persisted: nobody out comes back after a restart");
    assertEquals(2, figures(line).active(), "ranks 1 and 2; alice's still done");
    line.runCommand(new WaitingLine.Finished(List.of(1L, 2L)));
    tick(line, Duration.ZERO, 1);
    tick(line, Duration.ofSeconds(1), 1);
    assertEquals(6, line.getState().admittedThrough(), "dave's place skipped after the restart too: 4 and 5 let in");
    assertEquals(2, figures(line).active());
    tick(line, Duration.ofSeconds(61), 1); // every admission so far ran out
    assertEquals(List.of(), line.getState().out(), "places out are forgotten once no admission of theirs can be used");
  }

  @Test
  void aPlaceRevokedInAShuffledPreQueueIsSkippedAtItsDrawnTurn() {
    room = room(100, 1_000_000, 60, true);
    startsAt = T0.plusSeconds(60);
    var line = line();
    lease(line, 20);
    var revoked = new WaitingLine.Withdrawal(5, "bot", true);
    assertEquals(List.of(revoked), withdraw(line, revoked).out(), "before the opening, when no rank is drawn yet");
    clock.now = startsAt;
    line.runCommand(new WaitingLine.Tick(0));
    tick(line, Duration.ofSeconds(1), 1);
    State opened = line.getState();
    assertEquals(20, opened.admittedThrough());
    assertEquals(19, figures(line).admittedSinceStart(), "the revoked place's turn was skipped");
    LineView view = viewOf(opened);
    long rank = view.rankOf(5);
    assertEquals(5, view.placeOf(rank), "a token's rank leads back to its place");
    assertEquals("REVOKED", view.withdrawnAs(view.placeOf(rank)));
  }

  @Test
  void aSnapshotWrittenBeforePlacesCouldLeaveStillLoads() throws Exception {
    Serialization serialization = SerializationExtension.get(testKit.system());
    State before = new State(10, -1, 0, 2, List.of(new WaitingLine.Wave(0, 2, 5)));
    SerializerWithStringManifest serializer = (SerializerWithStringManifest) serialization.findSerializerFor(before);
    ObjectMapper cbor = new ObjectMapper(new CBORFactory());
    ObjectNode written = (ObjectNode) cbor.readTree(serializer.toBinary(before));
    assertTrue(written.has("out"));
    written.remove("out"); // as the line wrote its state before it had places out
    State read = (State) serializer.fromBinary(cbor.writeValueAsBytes(written), serializer.manifest(before));
    assertEquals(before, read);
    assertEquals(List.of(), read.out());
  }

  @Test
  void aStopOfTheSaleDefersTheAdmissionsSoNobodyLetInLosesTheirTurn() {
    room = room(100, 1_000_000, 10, false);
    var line = line();
    lease(line, 5);
    tick(line, Duration.ZERO, 1);
    tick(line, Duration.ofSeconds(1), 1);
    long admittedAt = line.getState().recent().get(0).atMillis();
    admitting = false; // paused for a minute, six times the admission time
    tick(line, Duration.ofMillis(200), 1); // the next tick sees it
    tick(line, Duration.ofSeconds(30), 2);
    assertEquals(5, figures(line).active(), "no admission runs out while the sale cannot sell");
    admitting = true;
    tick(line, Duration.ofSeconds(1), 1);
    assertTrue(line.getState().recent().get(0).atMillis() >= admittedAt + 60_000, "the admission moved by the stop");
    assertEquals(5, figures(line).active());
    tick(line, Duration.ofSeconds(10), 1);
    assertEquals(0, figures(line).active(), "and then runs out as usual");
  }

  @Test
  void theLinePublishesTheWaitsOfThePlacesItLetInAndWhenTheBackOfTheLineGetsIn() {
    room = room(10, 1_000_000, 600, false);
    var line = line();
    lease(line, 10); // places 0..9 leased at T0, when the sale opens
    tick(line, Duration.ZERO, 1);
    clock.now = T0.plusSeconds(5);
    lease(line, 30); // places 10..39 leased at 5 s
    tick(line, Duration.ofSeconds(1), 3); // ten a second: 0..9 at 6 s, 10..19 at 7 s, 20..29 at 8 s
    LineView.Counts counts = countsWhen(c -> c.admitted() == 30);
    assertEquals(3.0, counts.lastAdmittedWaitSeconds(), "place 29: leased at 5 s, let in at 8 s");
    assertEquals(3.0, counts.admittedWaitMedianSeconds(), "ten waits each of 6, 2 and 3 s");
    assertEquals(6.0, counts.admittedWaitP90Seconds());
    assertEquals(10, counts.waiting());
    assertEquals(30 / 8.0, counts.admittedPerSecond(), 1e-9, "30 let in over the 8 s since the first publish");
    assertEquals(30 / 8.0, counts.joinedPerSecond(), 1e-9, "30 places given after the first publish");
    assertEquals(3L, counts.backOfLineEtaSeconds(), "10 waiting at 3.75 a second");

    admitting = false; // paused: the back of the line gets in at no known time
    tick(line, Duration.ofMillis(200), 1);
    assertNull(countsWhen(c -> c.backOfLineEtaSeconds() == null).backOfLineEtaSeconds());
  }

  /** The counts of the first view published from now on that {@code until} accepts. */
  private LineView.Counts countsWhen(Predicate<LineView.Counts> until) {
    LineView found = views.fishForMessage(Duration.ofSeconds(3), "counts", v -> until.test(v.counts())
        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore()).get(0);
    return found.counts();
  }
}
