package seckill.journal;

import com.typesafe.config.Config;
import seckill.TestDatabases;

/** The snapshot store on a real PostgreSQL, started from Maven Central's embedded binaries. */
class PartedSnapshotStorePostgresIT extends PartedSnapshotStoreContract {
  @Override
  protected Config database() {
    return TestDatabases.postgres();
  }
}
