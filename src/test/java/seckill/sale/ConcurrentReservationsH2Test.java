package seckill.sale;

import com.typesafe.config.Config;
import seckill.TestDatabases;

/** The concurrency contract on the embedded default's H2 file journal. */
class ConcurrentReservationsH2Test extends ConcurrentReservationsContract {
  @Override
  protected Config database() {
    return TestDatabases.h2();
  }
}
