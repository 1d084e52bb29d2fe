package seckill.waitingroom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.testkit.javadsl.TestEntityRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One desk against a line the test plays: the pre-queue places it gives survive its restart (the
 * same buyer, the same place, no new lease), new buyers after the restart get places from a new
 * block, and a place given after the opening lives in memory only. Batches: a batch of joins is
 * answered in one message with each buyer's place in order (a buyer twice in it: one place), its
 * pre-queue places survive a restart, a line that does not answer leaves every join of the batch
 * without a place, and a desk whose block is half gone (half given fast, or half its lifetime over
 * while joins keep coming) asks for the next one before it runs out.
 */
@ExtendWith(LogCapturingExtension.class)
class JoinDeskTest {

  private static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")));
  private static final JoinDesk.Settings SETTINGS =
      new JoinDesk.Settings(Duration.ofHours(1), 1, 100, Duration.ofSeconds(5));
  private static final long FAR = Long.MAX_VALUE; // the opening, for pre-queue joins
  private static int deskNo;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private final TestProbe<WaitingLine.Command> line = testKit.createTestProbe();
  private final TestProbe<JoinDesk.Answer> answers = testKit.createTestProbe();
  private final TestProbe<JoinDesk.JoinsAnswered> batchAnswers = testKit.createTestProbe();

  private ActorRef<JoinDesk.Command> desk(String deskId) {
    return desk(deskId, SETTINGS);
  }

  private ActorRef<JoinDesk.Command> desk(String deskId, JoinDesk.Settings settings) {
    JoinDesk.Lines lines = saleId -> TestEntityRef.of(WaitingLine.ENTITY_KEY, saleId, line.ref());
    return testKit.spawn(JoinDesk.create(deskId, settings, lines, Clock.systemUTC(), saleId -> false, null));
  }

  /** The line answers the desk's next lease with places {@code from} to {@code to} (blocks the desk drops before are let be). */
  private WaitingLine.Lease lease(long from, long to, boolean preQueue) {
    WaitingLine.Command asked = line.receiveMessage();
    while (asked instanceof WaitingLine.Unused) asked = line.receiveMessage();
    WaitingLine.Lease lease = (WaitingLine.Lease) asked;
    lease.replyTo().tell(new WaitingLine.Leased(from, to, preQueue));
    return lease;
  }

  private JoinDesk.Placed join(ActorRef<JoinDesk.Command> desk, String buyer, long opensAt) {
    desk.tell(new JoinDesk.Join(buyer, opensAt, -1, answers.ref()));
    return answers.expectMessageClass(JoinDesk.Placed.class);
  }

  @Test
  void aRestartedDeskGivesAPreQueueBuyerTheSamePlaceWithoutANewDraw() {
    String id = "draw" + (++deskNo) + "~3";
    ActorRef<JoinDesk.Command> desk = desk(id);
    desk.tell(new JoinDesk.Join("ann", FAR, -1, answers.ref()));
    lease(40, 50, true);
    JoinDesk.Placed ann = answers.expectMessageClass(JoinDesk.Placed.class);
    JoinDesk.Placed bob = join(desk, "bob", FAR);
    assertEquals(40, ann.place());
    assertEquals(41, bob.place());
    testKit.stop(desk); // as a node's death ends it: what the desk held in memory is gone

    ActorRef<JoinDesk.Command> again = desk(id);
    JoinDesk.Placed annAgain = join(again, "ann", FAR); // answered without a lease: from the desk's journal
    assertEquals(new JoinDesk.Placed(40, ann.joinedAtMillis(), true), annAgain);
    assertEquals(41, join(again, "bob", FAR).place());
    TestProbe<JoinDesk.KnownPlaces> known = testKit.createTestProbe();
    again.tell(new JoinDesk.PlacesOf(List.of("ann", "bob", "cid"), known.ref()));
    assertEquals(Map.of("ann", 40L, "bob", 41L), known.receiveMessage().places());

    // a new buyer draws from a new block: the places of the block the old desk held are not given again
    again.tell(new JoinDesk.Join("cid", FAR, -1, answers.ref()));
    lease(90, 100, true);
    JoinDesk.Placed cid = answers.expectMessageClass(JoinDesk.Placed.class);
    assertEquals(90, cid.place());
    assertFalse(cid.again());
  }

  @Test
  void placesAfterTheOpeningAreNotPersistedAndAnOverPlaceIsReplaced() {
    String id = "open" + (++deskNo) + "~0";
    ActorRef<JoinDesk.Command> desk = desk(id);
    desk.tell(new JoinDesk.Join("ann", FAR, -1, answers.ref()));
    lease(0, 10, true);
    assertEquals(0, answers.expectMessageClass(JoinDesk.Placed.class).place());
    desk.tell(new JoinDesk.Join("dan", 0, -1, answers.ref())); // the sale opened: the pre-queue block is over
    lease(20, 30, false);
    assertEquals(20, answers.expectMessageClass(JoinDesk.Placed.class).place());
    testKit.stop(desk); // as a node's death ends it: what the desk held in memory is gone

    ActorRef<JoinDesk.Command> again = desk(id);
    assertEquals(0, join(again, "ann", 0).place());
    // dan's place lived in memory: a new one, from a new block
    again.tell(new JoinDesk.Join("dan", 0, -1, answers.ref()));
    lease(30, 40, false);
    assertEquals(30, answers.expectMessageClass(JoinDesk.Placed.class).place());
    // ann's pre-queue place is over (admitted and expired): a new place at the back, kept from then on
    again.tell(new JoinDesk.Join("ann", 0, 0, answers.ref()));
    assertEquals(31, answers.expectMessageClass(JoinDesk.Placed.class).place());
    assertTrue(join(again, "ann", 0).again());
    assertEquals(31, join(again, "ann", 0).place());
  }

  private void send(ActorRef<JoinDesk.Command> desk, long opensAt, String... buyers) {
    desk.tell(new JoinDesk.JoinBatch(List.of(buyers).stream().map(b -> new JoinDesk.Joining(b, opensAt, -1)).toList(),
        batchAnswers.ref()));
  }

  /** The batch's one answer, as places in its order; no second message follows. */
  private List<JoinDesk.Answer> answered() {
    List<JoinDesk.Answer> got = batchAnswers.receiveMessage().answers().stream().map(JoinDesk.JoinAnswer::answer).toList();
    batchAnswers.expectNoMessage(Duration.ofMillis(100));
    return got;
  }

  private static JoinDesk.Placed placed(JoinDesk.Answer answer) {
    return (JoinDesk.Placed) answer;
  }

  private static List<Long> places(List<JoinDesk.Answer> answers) {
    return answers.stream().map(a -> placed(a).place()).toList();
  }

  @Test
  void aBatchIsAnsweredInOneMessageWithEachBuyersPlaceAndARepeatedBuyerHasOne() {
    ActorRef<JoinDesk.Command> desk = desk("batch" + (++deskNo) + "~1");
    send(desk, 0, "ann", "bob", "ann", "cid");
    WaitingLine.Lease lease = lease(10, 20, false);
    assertTrue(lease.size() >= 3, "one block for the whole batch: " + lease.size());
    List<JoinDesk.Answer> first = answered();
    assertEquals(List.of(10L, 11L, 10L, 12L), places(first));
    assertEquals(List.of(false, false, true, false), first.stream().map(a -> placed(a).again()).toList());

    // known buyers are answered without the line, with their first join's time; a new one from the block
    send(desk, 0, "cid", "dan", "bob");
    List<JoinDesk.Answer> second = answered();
    assertEquals(List.of(12L, 13L, 11L), places(second));
    assertEquals(placed(first.get(3)).joinedAtMillis(), placed(second.get(0)).joinedAtMillis());
    assertEquals(List.of(true, false, true), second.stream().map(a -> placed(a).again()).toList());

    // the single join is still served, from the same block and the same memory
    assertEquals(new JoinDesk.Placed(10, placed(first.get(0)).joinedAtMillis(), true), join(desk, "ann", 0));
    assertEquals(14, join(desk, "eve", 0).place());
  }

  @Test
  void aRestartedDeskAnswersABatchWithThePreQueuePlacesItGaveBefore() {
    String id = "batchdraw" + (++deskNo) + "~2";
    ActorRef<JoinDesk.Command> desk = desk(id);
    send(desk, FAR, "ann", "bob");
    lease(40, 50, true);
    List<JoinDesk.Answer> before = answered();
    assertEquals(List.of(40L, 41L), places(before));
    testKit.stop(desk); // as a node's death ends it: what the desk held in memory is gone

    ActorRef<JoinDesk.Command> again = desk(id);
    send(again, FAR, "bob", "ann");
    List<JoinDesk.Answer> after = answered(); // without a lease: from the desk's journal
    assertEquals(List.of(new JoinDesk.Placed(41, placed(before.get(1)).joinedAtMillis(), true),
        new JoinDesk.Placed(40, placed(before.get(0)).joinedAtMillis(), true)), after);
    line.expectNoMessage(Duration.ofMillis(100));

    // with a new buyer in the batch, the known ones wait for the batch's one answer; the new one draws from a new block
    send(again, FAR, "ann", "cid");
    lease(90, 100, true);
    assertEquals(List.of(40L, 90L), places(answered()));
  }

  @Test
  void aLineThatDoesNotAnswerLeavesEveryJoinOfTheBatchWithoutAPlace() {
    ActorRef<JoinDesk.Command> desk = desk("batchlost" + (++deskNo) + "~3",
        new JoinDesk.Settings(Duration.ofHours(1), 1, 100, Duration.ofMillis(200)));
    send(desk, 0, "ann", "bob");
    assertTrue(line.receiveMessage() instanceof WaitingLine.Lease); // never answered
    List<JoinDesk.Answer> got = answered();
    assertEquals(2, got.size());
    assertTrue(got.stream().allMatch(a -> a instanceof JoinDesk.NotPlaced), got.toString());
    // the desk is not stuck: the next batch leases again and is placed
    send(desk, 0, "ann");
    lease(5, 9, false);
    assertEquals(List.of(5L), places(answered()));
  }

  @Test
  void aDeskUsingItsBlockFastAsksForTheNextBeforeItRunsOut() {
    ActorRef<JoinDesk.Command> desk = desk("batchahead" + (++deskNo) + "~4");
    send(desk, 0, "a1");
    lease(0, 4, false);
    assertEquals(List.of(0L), places(answered()));
    send(desk, 0, "a2"); // half the block given within a moment of its hour: it would run out
    assertEquals(List.of(1L), places(answered()));
    lease(100, 110, false); // the block asked for ahead
    send(desk, 0, "a3", "a4", "a5", "a6");
    // the rest of the block in use first, then the one asked ahead: no join waits for the line
    assertEquals(List.of(2L, 3L, 100L, 101L), places(answered()));
    line.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aDeskWhoseJoinsKeepComingAsksForTheNextBlockOnceHalfItsLifetimeIsOver() throws InterruptedException {
    ActorRef<JoinDesk.Command> desk = desk("batchlife" + (++deskNo) + "~5",
        new JoinDesk.Settings(Duration.ofSeconds(2), 1, 100, Duration.ofSeconds(5)));
    send(desk, 0, "b1", "b2");
    lease(0, 50, false);
    assertEquals(List.of(0L, 1L), places(answered()));
    line.expectNoMessage(Duration.ofMillis(100)); // a block barely used and young: nothing asked ahead
    Thread.sleep(1100); // time is what is tested: past half of the block's two seconds, before their end
    send(desk, 0, "b3");
    assertEquals(List.of(2L), places(answered())); // still from the block in use
    assertTrue(line.receiveMessage() instanceof WaitingLine.Lease, "the next block is asked for ahead");
  }
}
