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
 * block, and a place given after the opening lives in memory only.
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

  private ActorRef<JoinDesk.Command> desk(String deskId) {
    JoinDesk.Lines lines = saleId -> TestEntityRef.of(WaitingLine.ENTITY_KEY, saleId, line.ref());
    return testKit.spawn(JoinDesk.create(deskId, SETTINGS, lines, Clock.systemUTC(), saleId -> false, null));
  }

  /** The line answers the desk's next lease with places {@code from} to {@code to} (blocks the desk drops before are let be). */
  private void lease(long from, long to, boolean preQueue) {
    WaitingLine.Command asked = line.receiveMessage();
    while (asked instanceof WaitingLine.Unused) asked = line.receiveMessage();
    ((WaitingLine.Lease) asked).replyTo().tell(new WaitingLine.Leased(from, to, preQueue));
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
}
