package seckill.waitingroom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.AskTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A node's lanes to its desks, against desks the test plays, every message through the wire format:
 * one batch out per desk, the joins that arrive meanwhile go together as the next one, each join gets
 * its own answer from the batch's one reply, and a desk that never answers fails its joins after the
 * join timeout without holding up the lane.
 */
@ExtendWith(LogCapturingExtension.class)
class JoinLanesTest {

  private static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString(
      "pekko.actor.serialize-messages = on").withFallback(ConfigFactory.parseResources("serialization.conf")));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private final TestProbe<JoinDesk.Command> deskA = testKit.createTestProbe();
  private final TestProbe<JoinDesk.Command> deskB = testKit.createTestProbe();

  private JoinLanes lanes(Duration joinTimeout, int maxBatch) {
    return new JoinLanes(testKit.system(), desk -> desk.equals("s~a") ? deskA.ref() : deskB.ref(), joinTimeout, maxBatch);
  }

  private static JoinDesk.Joining joining(String buyer) {
    return new JoinDesk.Joining(buyer, 0, -1);
  }

  private static JoinDesk.JoinAnswer placedAt(long place) {
    return JoinDesk.JoinAnswer.of(new JoinDesk.Placed(place, 7, false));
  }

  private static JoinDesk.Answer answer(CompletableFuture<JoinDesk.Answer> f) throws Exception {
    return f.get(3, TimeUnit.SECONDS);
  }

  @Test
  void joinsThatArriveWhileABatchIsOutGoTogetherAndEachGetsItsAnswer() throws Exception {
    JoinLanes lanes = lanes(Duration.ofSeconds(5), 500);
    CompletableFuture<JoinDesk.Answer> ann = lanes.join("s~a", joining("ann")).toCompletableFuture();
    JoinDesk.JoinBatch first = deskA.expectMessageClass(JoinDesk.JoinBatch.class);
    assertEquals(List.of(joining("ann")), first.joins());

    List<CompletableFuture<JoinDesk.Answer>> later = new ArrayList<>();
    for (String buyer : List.of("bob", "cid", "dan")) later.add(lanes.join("s~a", joining(buyer)).toCompletableFuture());
    CompletableFuture<JoinDesk.Answer> eve = lanes.join("s~b", joining("eve")).toCompletableFuture();
    // another desk's lane is its own: eve goes at once
    assertEquals(List.of(joining("eve")), deskB.expectMessageClass(JoinDesk.JoinBatch.class).joins());
    deskA.expectNoMessage(Duration.ofMillis(100)); // one batch out per desk
    assertFalse(later.get(0).isDone());

    first.answerTo().tell(new JoinDesk.JoinsAnswered(List.of(placedAt(3))));
    assertEquals(new JoinDesk.Placed(3, 7, false), answer(ann));
    JoinDesk.JoinBatch second = deskA.expectMessageClass(JoinDesk.JoinBatch.class);
    assertEquals(List.of(joining("bob"), joining("cid"), joining("dan")), second.joins());
    second.answerTo().tell(new JoinDesk.JoinsAnswered(List.of(placedAt(4),
        JoinDesk.JoinAnswer.of(new JoinDesk.NotPlaced("the line did not answer")), placedAt(5))));
    assertEquals(new JoinDesk.Placed(4, 7, false), answer(later.get(0)));
    assertEquals(new JoinDesk.NotPlaced("the line did not answer"), answer(later.get(1)));
    assertEquals(new JoinDesk.Placed(5, 7, false), answer(later.get(2)));
    assertFalse(eve.isDone(), "desk b has not answered");
    deskA.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aBatchHoldsAtMostTheBatchSize() throws Exception {
    JoinLanes lanes = lanes(Duration.ofSeconds(5), 2);
    lanes.join("s~a", joining("ann"));
    JoinDesk.JoinBatch first = deskA.expectMessageClass(JoinDesk.JoinBatch.class);
    List<CompletableFuture<JoinDesk.Answer>> later = new ArrayList<>();
    for (String buyer : List.of("bob", "cid", "dan")) later.add(lanes.join("s~a", joining(buyer)).toCompletableFuture());
    first.answerTo().tell(new JoinDesk.JoinsAnswered(List.of(placedAt(1))));
    JoinDesk.JoinBatch second = deskA.expectMessageClass(JoinDesk.JoinBatch.class);
    assertEquals(List.of(joining("bob"), joining("cid")), second.joins());
    second.answerTo().tell(new JoinDesk.JoinsAnswered(List.of(placedAt(2), placedAt(3))));
    JoinDesk.JoinBatch third = deskA.expectMessageClass(JoinDesk.JoinBatch.class);
    assertEquals(List.of(joining("dan")), third.joins());
    third.answerTo().tell(new JoinDesk.JoinsAnswered(List.of(placedAt(4))));
    assertEquals(new JoinDesk.Placed(4, 7, false), answer(later.get(2)));
  }

  @Test
  void aDeskThatNeverAnswersFailsItsJoinsWithinTheJoinTimeoutAndTheLaneGoesOn() throws Exception {
    JoinLanes lanes = lanes(Duration.ofMillis(300), 500);
    CompletableFuture<JoinDesk.Answer> ann = lanes.join("s~a", joining("ann")).toCompletableFuture();
    deskA.expectMessageClass(JoinDesk.JoinBatch.class); // never answered
    CompletableFuture<JoinDesk.Answer> bob = lanes.join("s~a", joining("bob")).toCompletableFuture();
    ExecutionException annFailed = assertThrows(ExecutionException.class, () -> ann.get(3, TimeUnit.SECONDS));
    assertTrue(annFailed.getCause() instanceof AskTimeoutException, annFailed.getCause().toString());
    // bob waited behind it: his own timeout ran out meanwhile, or nearly (then sent with what was left)
    ExecutionException bobFailed = assertThrows(ExecutionException.class, () -> bob.get(3, TimeUnit.SECONDS));
    assertTrue(bobFailed.getCause() instanceof AskTimeoutException || bobFailed.getCause() instanceof TimeoutException,
        bobFailed.getCause().toString());
    // the lane is free again: the next join goes out and is answered
    CompletableFuture<JoinDesk.Answer> cid = lanes.join("s~a", joining("cid")).toCompletableFuture();
    JoinDesk.JoinBatch next = deskA.expectMessageClass(JoinDesk.JoinBatch.class);
    while (next.joins().contains(joining("bob"))) next = deskA.expectMessageClass(JoinDesk.JoinBatch.class);
    assertEquals(List.of(joining("cid")), next.joins());
    next.answerTo().tell(new JoinDesk.JoinsAnswered(List.of(placedAt(9))));
    assertEquals(new JoinDesk.Placed(9, 7, false), answer(cid));
  }
}
