package seckill.sale;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * A sale entity's settings, from {@code seckill.sale}: when it snapshots ({@link SnapshotCadence}), how
 * often its holds may expire ({@link ExpiryTimer}), how it backs off a failed journal write, and how many
 * reservations one buyer may make in one sale, ended ones included.
 */
public record SaleSettings(
    int snapshotEvery, double snapshotAfterShare, Duration expiryTick, Duration backoffMin, Duration backoffMax,
    double backoffRandomFactor, int maxReservationsPerBuyer) {

  public static SaleSettings fromConfig(Config c) {
    return new SaleSettings(
        c.getInt("snapshot-every"),
        c.getDouble("snapshot-after-share"),
        c.getDuration("expiry-tick"),
        c.getDuration("persist-failure-backoff.min"),
        c.getDuration("persist-failure-backoff.max"),
        c.getDouble("persist-failure-backoff.random-factor"),
        c.getInt("max-reservations-per-buyer"));
  }
}
