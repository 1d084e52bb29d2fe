package seckill.sale;

import com.typesafe.config.Config;
import seckill.TestDatabases;

/** The concurrency contract on a real PostgreSQL journal. */
class ConcurrentReservationsPostgresIT extends ConcurrentReservationsContract {
  @Override
  protected Config database() {
    return TestDatabases.postgres();
  }
}
