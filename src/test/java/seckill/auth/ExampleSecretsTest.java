package seckill.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Outside dev mode a node refuses every secret value this repository shows (README, docs, k8s,
 * cluster-config, load-tests, the Dockerfile) and two equal secrets, naming the setting, never the
 * value. The node processes that exit with 1 for it are in {@code SecretsIT}.
 */
class ExampleSecretsTest {

  private static final Pattern ASSIGNED = Pattern.compile(
      "(SECKILL_(?:JWT_SECRET|ADMIN_TOKEN|SALE_KEY_SECRET|CHALLENGE_SECRET|WAITING_ROOM_SECRET))(?::-|[=:]\\s*\"?)([^\\s\"'}$<]+)");
  private static final Map<String, String> STRONG = Map.of(
      "seckill.auth.dev-mode", "off",
      "seckill.auth.hs256-secret", "a-unit-jwt-secret-that-is-long-enough-0123",
      "seckill.auth.admin-token", "a-unit-admin-token-that-is-long-enough-0123",
      "seckill.admission.sale-key-secret", "a-unit-sale-key-secret-long-enough-012345",
      "seckill.challenge.secret", "a-unit-challenge-secret-long-enough-0123456",
      "seckill.waiting-room.secret", "a-unit-waiting-room-secret-long-enough-01234");

  private static Config config(Map<String, String> settings) {
    return ConfigFactory.parseMap(settings).withFallback(ConfigFactory.load()).resolve();
  }

  /** The literal secret values the repository shows, with where. */
  static Map<String, String> shownInTheRepository() throws IOException {
    Map<String, String> shown = new HashMap<>();
    List<Path> files = new ArrayList<>(List.of(Path.of("README.md"), Path.of("Dockerfile")));
    for (String dir : List.of("docs", "k8s", "cluster-config", "load-tests")) {
      try (Stream<Path> walk = Files.walk(Path.of(dir))) {
        walk.filter(Files::isRegularFile).filter(f -> f.toString().matches(".*\\.(md|ya?ml|sh|conf|java|js|lua|txt)$"))
            .filter(f -> !f.startsWith(Path.of("cluster-config/run"))).forEach(files::add);
      }
    }
    for (Path file : files) {
      Matcher m = ASSIGNED.matcher(Files.readString(file));
      while (m.find()) {
        String value = m.group(2);
        if (!value.equals("...") && !value.startsWith("(")) shown.put(value, file + " (" + m.group(1) + ")");
      }
    }
    return shown;
  }

  @Test
  void everySecretValueTheRepositoryShowsIsRefused() throws IOException {
    Map<String, String> shown = shownInTheRepository();
    assertTrue(shown.size() >= 5, "the local overlay's secrets at least: " + shown);
    for (Map.Entry<String, String> s : shown.entrySet()) {
      assertTrue(Secrets.examples().contains(s.getKey()), s.getValue() + " shows '" + s.getKey()
          + "': add it to src/main/resources/auth/example-secrets.txt so no node outside dev mode takes it");
    }
  }

  @Test
  void strongDistinctSecretsAreTaken() {
    Secrets.refuseDevSecretsOutsideDevMode(config(STRONG));
  }

  @Test
  void anExampleValueIsRefusedByNameNeverShown() {
    for (String key : STRONG.keySet()) {
      if (key.endsWith("dev-mode")) continue;
      for (String example : Secrets.examples()) {
        Map<String, String> settings = new HashMap<>(STRONG);
        settings.put(key, example);
        IllegalStateException refused = assertThrows(IllegalStateException.class,
            () -> Secrets.refuseDevSecretsOutsideDevMode(config(settings)), key + " = " + example);
        assertTrue(refused.getMessage().startsWith(key + " is an example value"), refused.getMessage());
        assertFalse(refused.getMessage().contains(example), "the value is in the message");
      }
    }
  }

  @Test
  void twoEqualSecretsAreRefused() {
    Map<String, String> settings = new HashMap<>(STRONG);
    settings.put("seckill.auth.admin-token", STRONG.get("seckill.auth.hs256-secret"));
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> Secrets.refuseDevSecretsOutsideDevMode(config(settings)));
    assertEquals("SECKILL_ADMIN_TOKEN equals SECKILL_JWT_SECRET while dev mode is off: give each secret a random value"
        + " of its own", refused.getMessage());
  }

  @Test
  void devModeTakesAnything() {
    Map<String, String> settings = new HashMap<>(STRONG);
    settings.put("seckill.auth.dev-mode", "on");
    settings.put("seckill.auth.admin-token", "change-me-to-at-least-32-random-bytes-0000");
    settings.put("seckill.challenge.secret", "change-me-to-at-least-32-random-bytes-0000");
    Secrets.refuseDevSecretsOutsideDevMode(config(settings));
  }
}
