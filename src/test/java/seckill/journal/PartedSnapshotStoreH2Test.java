package seckill.journal;

import com.typesafe.config.Config;
import seckill.TestDatabases;

/** The snapshot store on the embedded default, an H2 file. */
class PartedSnapshotStoreH2Test extends PartedSnapshotStoreContract {
  @Override
  protected Config database() {
    return TestDatabases.h2();
  }
}
