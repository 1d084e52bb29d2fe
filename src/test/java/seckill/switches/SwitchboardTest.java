package seckill.switches;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.switches.Switchboard.ChangeReply;
import seckill.switches.Switchboard.Changed;
import seckill.switches.Switchboard.Command;
import seckill.switches.Switchboard.Event;
import seckill.switches.Switchboard.Refused;
import seckill.switches.Switchboard.State;
import seckill.switches.Switchboard.SwitchesChanged;

/** The switchboard entity: what a change journals, what it refuses, and what comes back after a restart. */
@ExtendWith(LogCapturingExtension.class)
class SwitchboardTest {

  private static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")));

  private EventSourcedBehaviorTestKit<Command, Event, State> board;
  private TestProbe<State> published;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void newBoard() {
    published = testKit.createTestProbe();
    board = EventSourcedBehaviorTestKit.create(testKit.system(),
        Switchboard.create(new Switchboard.Settings(3, 2), published.ref()));
  }

  private static SwitchPatch pauseAll(boolean on) {
    return new SwitchPatch(on, null, null, null, null, null, null, null, null, null, null, null, null);
  }

  private CommandResultWithReply<Command, Event, State, ChangeReply> change(SwitchPatch patch, String by) {
    return board.runCommand(replyTo -> new Switchboard.Change(patch, by, replyTo));
  }

  @Test
  void aChangeIsJournaledWithWhoAndWhichSwitchesAndPublished() {
    var r = change(new SwitchPatch(true, null, Set.of("a"), null, null, 7, Map.of("a", 3), null, null, null, null,
        Set.of("sale-page"), null), "alice");
    SwitchesChanged event = assertInstanceOf(SwitchesChanged.class, r.event());
    assertEquals("alice", event.by());
    assertEquals(List.of("pauseAll", "pausedSales", "nodeRatePerSecond", "saleRatePerSecond", "disabledFeatures"), event.fields());
    State state = assertInstanceOf(Changed.class, r.reply()).state();
    assertEquals(1, state.version());
    assertTrue(state.values().paused("a") && state.values().paused("b"), "pause all covers every sale");
    assertEquals("alice", state.stamps().get("nodeRatePerSecond").by());
    assertEquals(state, published.receiveMessage(), "the node's replicator gets the new state");
  }

  @Test
  void aChangeThatChangesNothingJournalsNothing() {
    change(pauseAll(true), "alice");
    var again = change(pauseAll(true), "bob");
    assertTrue(again.hasNoEvents());
    assertEquals("alice", assertInstanceOf(Changed.class, again.reply()).state().stamps().get("pauseAll").by());
  }

  @Test
  void aChangeOverTheSaleLimitIsRefusedWhole() {
    change(SwitchPatch.pausing("a", true), "ops");
    change(SwitchPatch.pausing("b", true), "ops");
    var third = change(SwitchPatch.pausing("c", true), "ops");
    assertInstanceOf(Refused.class, third.reply());
    assertTrue(third.hasNoEvents());
    assertEquals(Set.of("a", "b"), third.state().values().pausedSales());
  }

  @Test
  void pausingOneSaleKeepsTheOthersAndResumingRemovesOnlyIt() {
    change(SwitchPatch.pausing("a", true), "ops");
    change(SwitchPatch.pausing("b", true), "ops");
    var resumed = change(SwitchPatch.pausing("a", false), "ops");
    assertEquals(Set.of("b"), resumed.state().values().pausedSales());
  }

  @Test
  void theHistoryKeepsTheLatestChangesNewestFirst() {
    for (int i = 0; i < 5; i++) change(pauseAll(i % 2 == 0), "op" + i);
    List<Switchboard.ChangeRecord> history = board.getState().history();
    assertEquals(List.of("op4", "op3", "op2"), history.stream().map(Switchboard.ChangeRecord::by).toList());
    assertEquals(5, board.getState().version());
  }

  @Test
  void aRestartRecoversEverySwitchAndPublishesThem() {
    change(new SwitchPatch(null, null, null, null, true, null, null, 64, 900L, 3, Map.of("hot", 9), null, null), "ops");
    published.receiveMessage();
    State before = board.getState();
    State after = board.restart().state();
    assertEquals(before, after);
    assertEquals(9, after.values().difficultyFor("hot", 0));
    assertEquals(after, published.receiveMessage(), "after a full restart the journal's values go out again");
  }
}
