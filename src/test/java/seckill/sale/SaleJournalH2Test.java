package seckill.sale;

import com.typesafe.config.Config;
import seckill.TestDatabases;

/** The journal contract on an H2 file, the embedded default. */
class SaleJournalH2Test extends SaleJournalContract {
  @Override
  protected Config database() {
    return TestDatabases.h2();
  }
}
