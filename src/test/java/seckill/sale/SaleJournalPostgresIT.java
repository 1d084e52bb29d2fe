package seckill.sale;

import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import org.junit.jupiter.api.Test;
import seckill.TestDatabases;
import seckill.sale.Sale.Command;

/** The journal contract on a real PostgreSQL, started from Maven Central's embedded binaries. */
class SaleJournalPostgresIT extends SaleJournalContract {
  @Override
  protected Config database() {
    return TestDatabases.postgres();
  }

  /**
   * A node frozen in the middle of a journal write (it sent a statement, then stopped before its
   * commit: SIGSTOP, a stalled VM) leaves a transaction open that holds what the sale's next copy
   * must write. The journal's connections have PostgreSQL end such a transaction, so the next copy
   * writes within seconds rather than when the frozen node comes back.
   */
  @Test
  void aJournalTransactionLeftOpenByAFrozenWriterIsEndedAndTheSalesNextCopyWrites() throws Exception {
    String id = newSaleId();
    ActorRef<Command> sale = spawn(id);
    define(sale, 10, DeductionMode.ON_ORDER, null);
    reserve(sale, "alice", "r1");
    testKit.stop(sale);

    // the frozen writer: a connection of the journal's own pool, in a transaction that holds the
    // journal's table against writes, then silent
    SlickExtensionImpl slick = (SlickExtensionImpl) SlickExtension.get(testKit.system().classicSystem());
    try (Connection frozen = slick.database(config.getConfig("jdbc-journal")).database().source().createConnection()) {
      frozen.setAutoCommit(false);
      try (Statement lock = frozen.createStatement()) {
        lock.execute("LOCK TABLE event_journal IN EXCLUSIVE MODE");
      }
      // the next copy's write waits for the lock until the server ends the frozen transaction
      // (the ask gives it 10 s; without the setting it would wait for as long as the writer is frozen)
      reserve(spawn(id), "bob", "r1");
      assertThrows(SQLException.class, () -> frozen.createStatement().execute("SELECT 1"),
          "the server ended the frozen writer's transaction");
    }
  }
}
