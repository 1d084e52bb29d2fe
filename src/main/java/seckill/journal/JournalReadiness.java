package seckill.journal;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Readiness check for Pekko Management: the journal's durability settings were checked
 * ({@link Durability}) and its schema migrated ({@link Migrations}), and it answers a query through its
 * own connection pool. A PostgreSQL that was not reachable at start is checked and migrated here the
 * first time it answers; a node on an unsafe one, or whose migration fails, stops.
 */
public final class JournalReadiness implements Supplier<CompletionStage<Boolean>> {

  private static final Logger log = LoggerFactory.getLogger(JournalReadiness.class);

  private final ActorSystem system;
  private final JdbcReadJournal journal;
  private final AtomicBoolean prepared = new AtomicBoolean();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final SharedJournal shared;

  public JournalReadiness(ActorSystem system) {
    this.system = system;
    this.journal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    this.shared = SharedJournal.get(Adapter.toTyped(system));
    // H2's verdict comes from its URL and its schema was migrated, both before the node started
    prepared.set(!Journal.isPostgres(system.settings().config()));
  }

  @Override
  public CompletionStage<Boolean> get() {
    return prepared()
        // an id no entity has: the query costs one indexed lookup and proves the database answers
        .thenCompose(ok -> ok ? answers() : CompletableFuture.completedFuture(false))
        // and it is the cluster's journal (a node on another one stops)
        .thenApply(ready -> ready && shared.agreesOrStops());
  }

  private CompletionStage<Boolean> answers() {
    return journal.currentEventsByPersistenceId("readiness-probe", 0, 1)
        .runWith(Sink.ignore(), system)
        // on the dispatcher: a converted Scala future's callback would otherwise get a thread of its own on 2 cores
        .handleAsync((done, failure) -> failure == null, system.dispatcher());
  }

  /** Durability checked and schema migrated, once, the first time PostgreSQL answers. */
  private CompletionStage<Boolean> prepared() {
    if (prepared.get()) return CompletableFuture.completedFuture(true);
    if (stopping.get()) return CompletableFuture.completedFuture(false);
    Config config = system.settings().config();
    return CompletableFuture.supplyAsync(() -> {
      try (Connection c = Journal.connect(config)) {
        Durability.require(config, Durability.ofPostgres(c));
      } catch (IllegalStateException refused) {
        return stop(refused.getMessage(), UnsafeJournal.INSTANCE);
      } catch (Exception notNow) {
        return false;
      }
      try {
        if (Migrations.enabled(config)) Migrations.migrate(config);
      } catch (SQLException notNow) {
        return false;
      } catch (RuntimeException failed) {
        return stop("cannot migrate the journal schema: " + failed.getMessage(), MigrationFailed.INSTANCE);
      }
      prepared.set(true);
      return true;
    }, system.dispatchers().lookup("pekko.actor.default-blocking-io-dispatcher"));
  }

  private boolean stop(String why, CoordinatedShutdown.Reason reason) {
    if (stopping.compareAndSet(false, true)) {
      log.error("stopping: {}", why);
      CoordinatedShutdown.get(system).run(reason);
    }
    return false;
  }

  /** Why the node stops when its journal turns out to acknowledge commits it may lose (exit code 1, persistence.conf). */
  public static final class UnsafeJournal implements CoordinatedShutdown.Reason {
    static final UnsafeJournal INSTANCE = new UnsafeJournal();
  }

  /** Why the node stops when a migration of a journal that was away at start fails (exit code 1, persistence.conf). */
  public static final class MigrationFailed implements CoordinatedShutdown.Reason {
    static final MigrationFailed INSTANCE = new MigrationFailed();
  }
}
