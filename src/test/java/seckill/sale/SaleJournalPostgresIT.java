package seckill.sale;

import com.typesafe.config.Config;
import seckill.TestDatabases;

/** The journal contract on a real PostgreSQL, started from Maven Central's embedded binaries. */
class SaleJournalPostgresIT extends SaleJournalContract {
  @Override
  protected Config database() {
    return TestDatabases.postgres();
  }
}
