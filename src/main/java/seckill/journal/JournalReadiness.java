package seckill.journal;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Readiness check for Pekko Management: the journal answers a query through its own connection pool,
 * and its durability settings were checked ({@link Durability}); a PostgreSQL that was not reachable
 * at start is checked here the first time it answers, and a node on an unsafe one stops.
 */
public final class JournalReadiness implements Supplier<CompletionStage<Boolean>> {

  private static final Logger log = LoggerFactory.getLogger(JournalReadiness.class);

  private final ActorSystem system;
  private final JdbcReadJournal journal;
  private final AtomicBoolean durabilityChecked = new AtomicBoolean();
  private final AtomicBoolean unsafe = new AtomicBoolean();
  private final SharedJournal shared;

  public JournalReadiness(ActorSystem system) {
    this.system = system;
    this.journal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    this.shared = SharedJournal.get(org.apache.pekko.actor.typed.javadsl.Adapter.toTyped(system));
    // H2's verdict comes from its URL and was given before the node started
    durabilityChecked.set(!Journal.isPostgres(system.settings().config()));
  }

  @Override
  public CompletionStage<Boolean> get() {
    // an id no entity has: the query costs one indexed lookup and proves the database answers
    return journal.currentEventsByPersistenceId("readiness-probe", 0, 1)
        .runWith(Sink.ignore(), system)
        // on the dispatcher: a converted Scala future's callback would otherwise get a thread of its own on 2 cores
        .handleAsync((done, failure) -> failure == null, system.dispatcher())
        .thenCompose(answers -> answers ? durable() : CompletableFuture.completedFuture(false))
        // and it is the cluster's journal (a node on another one stops)
        .thenApply(ready -> ready && shared.agreesOrStops());
  }

  private CompletionStage<Boolean> durable() {
    if (durabilityChecked.get()) return CompletableFuture.completedFuture(true);
    if (unsafe.get()) return CompletableFuture.completedFuture(false);
    Config config = system.settings().config();
    return CompletableFuture.supplyAsync(() -> {
      try (Connection c = Journal.connect(config)) {
        Durability.require(config, Durability.ofPostgres(c));
        durabilityChecked.set(true);
        return true;
      } catch (IllegalStateException refused) {
        if (unsafe.compareAndSet(false, true)) {
          log.error("stopping: {}", refused.getMessage());
          CoordinatedShutdown.get(system).run(UnsafeJournal.INSTANCE);
        }
        return false;
      } catch (Exception notNow) {
        return false;
      }
    }, system.dispatchers().lookup("pekko.actor.default-blocking-io-dispatcher"));
  }

  /** Why the node stops when its journal turns out to acknowledge commits it may lose (exit code 1, persistence.conf). */
  public static final class UnsafeJournal implements CoordinatedShutdown.Reason {
    static final UnsafeJournal INSTANCE = new UnsafeJournal();
  }
}
