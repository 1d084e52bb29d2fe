package seckill.journal;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/** Readiness check for Pekko Management: the journal answers a query through its own connection pool. */
public final class JournalReadiness implements Supplier<CompletionStage<Boolean>> {

  private final ActorSystem system;
  private final JdbcReadJournal journal;

  public JournalReadiness(ActorSystem system) {
    this.system = system;
    this.journal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
  }

  @Override
  public CompletionStage<Boolean> get() {
    // an id no entity has: the query costs one indexed lookup and proves the database answers
    return journal.currentEventsByPersistenceId("readiness-probe", 0, 1)
        .runWith(Sink.ignore(), system)
        // on the dispatcher: a converted Scala future's callback would otherwise get a thread of its own on 2 cores
        .handleAsync((done, failure) -> failure == null, system.dispatcher());
  }
}
