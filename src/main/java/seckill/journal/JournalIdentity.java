package seckill.journal;

import java.time.Duration;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.slf4j.event.Level;
import seckill.serialization.CborSerializable;

/**
 * The journal's own name: a random id written once into the journal by the first node that asks,
 * read back by every node after. Nodes on one journal read the same id; a node started against
 * another database reads (or writes) another. Each node runs its own copy, not sharded: two first
 * writers race for sequence number 1, the loser's write fails on the journal's key and it recovers
 * the winner's id. Id: {@code JournalIdentity|journal}.
 */
public final class JournalIdentity
    extends EventSourcedBehaviorWithEnforcedReplies<JournalIdentity.Get, JournalIdentity.Named, JournalIdentity.State> {

  /** Asks for the journal's id, naming the journal first if nobody has. */
  public record Get(ActorRef<String> replyTo) implements CborSerializable {}

  /** The id given to the journal. */
  public record Named(String id) implements CborSerializable {}

  /** The id, or null before the journal has one. */
  public record State(String id) implements CborSerializable {}

  static Behavior<Get> create(Duration backoffMin, Duration backoffMax, double randomFactor) {
    return new JournalIdentity(backoffMin, backoffMax, randomFactor);
  }

  private JournalIdentity(Duration backoffMin, Duration backoffMax, double randomFactor) {
    // a lost race for the first write is expected when nodes start together: not an error
    super(PersistenceId.of("JournalIdentity", "journal"),
        SupervisorStrategy.restartWithBackoff(backoffMin, backoffMax, randomFactor).withLogLevel(Level.INFO));
  }

  @Override
  public State emptyState() {
    return new State(null);
  }

  @Override
  public CommandHandlerWithReply<Get, Named, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState().onCommand(Get.class, this::onGet).build();
  }

  private ReplyEffect<Named, State> onGet(State state, Get get) {
    if (state.id() != null) return Effect().reply(get.replyTo(), state.id());
    return Effect().persist(new Named(UUID.randomUUID().toString())).thenReply(get.replyTo(), State::id);
  }

  @Override
  public EventHandler<State, Named> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onEvent(Named.class, (state, named) -> new State(named.id())).build();
  }
}
