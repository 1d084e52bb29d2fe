package seckill.auth;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import seckill.config.ShippedDefaults;

/**
 * The node's secrets (tokens, the admin token, sale keys, challenges, the waiting room): outside dev
 * mode never a value anyone can read (the shipped defaults, this repository's examples), never
 * short, and no two the same.
 */
public final class Secrets {

  private static final int MIN_SECRET_BYTES = 32;
  private static final String EXAMPLES = "auth/example-secrets.txt";
  /** Setting → its environment variable. */
  private static final Map<String, String> SECRETS = new LinkedHashMap<>();

  static {
    SECRETS.put("seckill.auth.hs256-secret", "SECKILL_JWT_SECRET");
    SECRETS.put("seckill.auth.admin-token", "SECKILL_ADMIN_TOKEN");
    SECRETS.put("seckill.admission.sale-key-secret", "SECKILL_SALE_KEY_SECRET");
    SECRETS.put("seckill.challenge.secret", "SECKILL_CHALLENGE_SECRET");
    SECRETS.put("seckill.waiting-room.secret", "SECKILL_WAITING_ROOM_SECRET");
  }

  private Secrets() {}

  /**
   * Outside dev mode refuses, naming the setting and never its value: an embedded default, a value
   * from this repository's examples or docs ({@value #EXAMPLES}), a secret shorter than 32 bytes, and
   * two secrets that are equal (the admin token must not sign buyer tokens).
   */
  public static void refuseDevSecretsOutsideDevMode(Config config) {
    if (config.getBoolean("seckill.auth.dev-mode")) return;
    Config defaults = ShippedDefaults.of("auth.conf", "admission.conf", "challenge.conf", "waitingroom.conf");
    Set<String> examples = examples();
    Map<String, String> seen = new LinkedHashMap<>();
    for (Map.Entry<String, String> secret : SECRETS.entrySet()) {
      String key = secret.getKey();
      String env = secret.getValue();
      boolean rs256 = key.endsWith("hs256-secret") && !config.getString("seckill.auth.rs256-public-key").isBlank();
      if (rs256) continue;
      String value = config.getString(key);
      if (value.equals(defaults.getString(key))) {
        throw new IllegalStateException(key + " still has its embedded default while dev mode is off: set " + env);
      }
      if (examples.contains(value)) {
        throw new IllegalStateException(key + " is an example value published in seckill's repository, readable by"
            + " anyone, while dev mode is off: set " + env + " to a random value of your own");
      }
      if (value.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
        throw new IllegalStateException(key + " is shorter than " + MIN_SECRET_BYTES + " bytes while dev mode is off: set "
            + env + " to a longer random value");
      }
      String same = seen.putIfAbsent(value, env);
      if (same != null) {
        throw new IllegalStateException(env + " equals " + same + " while dev mode is off: give each secret a"
            + " random value of its own");
      }
    }
  }

  /** The secret values shown in this repository's examples and docs. */
  public static Set<String> examples() {
    try (InputStream in = Secrets.class.getClassLoader().getResourceAsStream(EXAMPLES)) {
      if (in == null) throw new IllegalStateException("missing resource " + EXAMPLES);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::strip)
          .filter(l -> !l.isEmpty() && !l.startsWith("#")).collect(Collectors.toUnmodifiableSet());
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + EXAMPLES, e);
    }
  }
}
