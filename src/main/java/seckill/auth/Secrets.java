package seckill.auth;

import com.typesafe.config.Config;
import java.nio.charset.StandardCharsets;
import seckill.config.ShippedDefaults;

/** The node's secrets (tokens, the admin token, sale keys, challenges, the waiting room): never the shipped ones in production. */
public final class Secrets {

  private static final int MIN_SECRET_BYTES = 32;

  private Secrets() {}

  /**
   * Outside dev mode the embedded defaults of the secrets, and secrets shorter than 32 bytes, are
   * refused: set them through the environment.
   */
  public static void refuseDevSecretsOutsideDevMode(Config config) {
    if (config.getBoolean("seckill.auth.dev-mode")) return;
    Config defaults = ShippedDefaults.of("auth.conf", "admission.conf", "challenge.conf", "waitingroom.conf");
    for (String[] secret : new String[][] {
        {"seckill.auth.hs256-secret", "SECKILL_JWT_SECRET"},
        {"seckill.auth.admin-token", "SECKILL_ADMIN_TOKEN"},
        {"seckill.admission.sale-key-secret", "SECKILL_SALE_KEY_SECRET"},
        {"seckill.challenge.secret", "SECKILL_CHALLENGE_SECRET"},
        {"seckill.waiting-room.secret", "SECKILL_WAITING_ROOM_SECRET"}}) {
      boolean rs256 = secret[0].endsWith("hs256-secret") && !config.getString("seckill.auth.rs256-public-key").isBlank();
      if (rs256) continue;
      String value = config.getString(secret[0]);
      if (value.equals(defaults.getString(secret[0]))) {
        throw new IllegalStateException(secret[0] + " still has its embedded default while dev mode is off: set " + secret[1]);
      }
      if (value.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
        throw new IllegalStateException(secret[0] + " is shorter than " + MIN_SECRET_BYTES + " bytes while dev mode is off: set "
            + secret[1] + " to a longer random value");
      }
    }
  }
}
