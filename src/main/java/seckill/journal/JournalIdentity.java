package seckill.journal;

import java.time.Duration;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import java.sql.SQLException;
import org.apache.pekko.persistence.typed.JournalPersistFailed;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import seckill.serialization.CborSerializable;

/**
 * The journal's own name: a random id written once into the journal by the first node that asks,
 * read back by every node after. Nodes on one journal read the same id; a node started against
 * another database reads (or writes) another. Each node runs its own copy, not sharded: two first
 * writers race for sequence number 1, the loser's write fails on the journal's key and it recovers
 * the winner's id: one line in the log, no stack trace (a failure is said once, by the signal
 * handler; the restart that follows is not logged again). Id: {@code JournalIdentity|journal}.
 */
public final class JournalIdentity
    extends EventSourcedBehaviorWithEnforcedReplies<JournalIdentity.Get, JournalIdentity.Named, JournalIdentity.State> {

  private static final Logger log = LoggerFactory.getLogger(JournalIdentity.class);
  /** SQL's unique_violation, on PostgreSQL and H2 alike: another writer took sequence number 1. */
  private static final String UNIQUE_VIOLATION = "23505";

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
    super(PersistenceId.of("JournalIdentity", "journal"),
        SupervisorStrategy.restartWithBackoff(backoffMin, backoffMax, randomFactor).withLoggingEnabled(false));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(JournalPersistFailed.class, (state, failed) -> {
          if (lostRace(failed.getFailure())) {
            log.info("another node named the journal first; reading its id");
          } else {
            log.warn("could not name the journal ({}); trying again", rootMessage(failed.getFailure()));
          }
        })
        .onSignal(RecoveryFailed.class, (state, failed) ->
            log.warn("could not read the journal's id ({}); trying again", rootMessage(failed.getFailure())))
        .build();
  }

  private static boolean lostRace(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && UNIQUE_VIOLATION.equals(sql.getSQLState())) return true;
    }
    return false;
  }

  private static String rootMessage(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    String message = String.valueOf(root.getMessage());
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
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
