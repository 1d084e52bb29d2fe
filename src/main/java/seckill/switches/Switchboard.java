package seckill.switches;

import com.typesafe.config.Config;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import seckill.serialization.CborSerializable;
import seckill.journal.VerifiedAllocation;

/**
 * The operator switches of the whole cluster: one sharded entity, id {@value #ID}. It guards that a
 * switch is journaled before any node acts on it, so a full restart brings every switch back. After
 * each change (and after recovery) it hands its state to the node's {@link Switches}, which spreads
 * it to every node with Distributed Data.
 */
public final class Switchboard
    extends EventSourcedBehaviorWithEnforcedReplies<Switchboard.Command, Switchboard.Event, Switchboard.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Switchboard");

  /** The only entity of this type. */
  public static final String ID = "global";

  /** Starts sharding for the switchboard; it tells {@code publisher} its state after every change. */
  public static void init(ActorSystem<?> system, ActorRef<State> publisher) {
    Settings settings = Settings.fromConfig(system.settings().config().getConfig("seckill.switches"));
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(settings, publisher))
        .withAllocationStrategy(new VerifiedAllocation(system)));
  }

  public static Behavior<Command> create(Settings settings, ActorRef<State> publisher) {
    return Behaviors.setup(actor -> new Switchboard(settings, publisher, actor));
  }

  /** Entity settings from {@code seckill.switches}. */
  public record Settings(int historySize, int maxSales) {
    public static Settings fromConfig(Config c) {
      return new Settings(c.getInt("history-size"), c.getInt("max-sales"));
    }
  }

  // ---------------------------------------------------------------- protocol

  /** What the switchboard is asked. */
  public sealed interface Command extends CborSerializable {}

  /** Apply an operator's change; {@code by} names the operator for the record. */
  public record Change(SwitchPatch patch, String by, ActorRef<ChangeReply> replyTo) implements Command {}

  /** The switchboard as it is; each node asks once at start. */
  public record Get(ActorRef<State> replyTo) implements Command {}

  /** The answer to a {@link Change}. */
  public sealed interface ChangeReply extends CborSerializable {}

  /** The change is journaled (or changed nothing); the switchboard as it is now. */
  public record Changed(State state) implements ChangeReply {}

  /** The change would break a bound (too many sales); nothing was changed. */
  public record Refused(String message) implements ChangeReply {}

  /** Who set a switch, and when. */
  public record Stamp(String by, Instant at) implements CborSerializable {}

  /** One entry of the recent history: who changed which switches, when. */
  public record ChangeRecord(String by, Instant at, List<String> fields) implements CborSerializable {}

  // ---------------------------------------------------------------- events

  /** What the switchboard journals. */
  public sealed interface Event extends CborSerializable {}

  /** The whole values after the change, so recovery never depends on how a patch was applied. */
  public record SwitchesChanged(SwitchValues values, List<String> fields, String by, Instant at) implements Event {}

  // ---------------------------------------------------------------- state

  /**
   * The values, who last set each switch, the latest changes (newest first), and the number of
   * changes so far, which orders replicas: a higher version is always newer.
   */
  public record State(SwitchValues values, Map<String, Stamp> stamps, List<ChangeRecord> history, long version)
      implements CborSerializable {

    public static final State EMPTY = new State(SwitchValues.NONE, Map.of(), List.of(), 0);

    State changed(SwitchesChanged e, int historySize) {
      Map<String, Stamp> nextStamps = new TreeMap<>(stamps);
      e.fields().forEach(f -> nextStamps.put(f, new Stamp(e.by(), e.at())));
      List<ChangeRecord> nextHistory = new ArrayList<>(historySize);
      nextHistory.add(new ChangeRecord(e.by(), e.at(), e.fields()));
      history.stream().limit(Math.max(0, historySize - 1)).forEach(nextHistory::add);
      return new State(e.values(), Map.copyOf(nextStamps), List.copyOf(nextHistory), version + 1);
    }
  }

  // ---------------------------------------------------------------- behavior

  private final Settings settings;
  private final ActorRef<State> publisher;
  private final ActorContext<Command> context;

  private Switchboard(Settings settings, ActorRef<State> publisher, ActorContext<Command> context) {
    super(PersistenceId.of(ENTITY_KEY.name(), ID));
    this.settings = settings;
    this.publisher = publisher;
    this.context = context;
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public SignalHandler<State> signalHandler() {
    // after a full restart Distributed Data is empty: the journal's values go out again from here
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), state -> {
      if (state.version() > 0) publisher.tell(state);
    }).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Change.class, this::onChange)
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), state))
        .build();
  }

  private ReplyEffect<Event, State> onChange(State state, Change cmd) {
    SwitchValues next;
    try {
      next = cmd.patch().applyTo(state.values(), settings.maxSales());
    } catch (IllegalArgumentException e) {
      return Effect().reply(cmd.replyTo(), new Refused(e.getMessage()));
    }
    List<String> fields = state.values().differencesTo(next);
    if (fields.isEmpty()) return Effect().reply(cmd.replyTo(), new Changed(state));
    return Effect().persist(new SwitchesChanged(next, fields, cmd.by(), Instant.now()))
        .thenRun(s -> {
          context.getLog().info("switches {} changed by {}: {}", fields, cmd.by(), s.values());
          publisher.tell(s);
        })
        .thenReply(cmd.replyTo(), Changed::new);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(SwitchesChanged.class, (state, e) -> state.changed(e, settings.historySize()))
        .build();
  }
}
