package seckill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Secrets outside dev mode: defaults, the repository's examples, short ones and two alike refused
 * with a failure exit code (the reason in the log, the value never), the demo sale
 * off unless asked for, and no secret ever in the log. Real node processes, so the exit code is real.
 */
class SecretsIT {

  private static final Map<String, String> STRONG = Map.of(
      "seckill.auth.dev-mode", "off",
      "seckill.auth.hs256-secret", "a-test-jwt-secret-that-is-long-enough-0123",
      "seckill.auth.admin-token", "a-test-admin-token-that-is-long-enough-0123",
      "seckill.admission.sale-key-secret", "a-test-sale-key-secret-long-enough-012345",
      "seckill.challenge.secret", "a-test-challenge-secret-long-enough-0123456",
      "seckill.waiting-room.secret", "a-test-waiting-room-secret-long-enough-01234");

  private static NodeProcess node(String name, Map<String, String> settings) throws Exception {
    Path data = Files.createTempDirectory("seckill-secrets-");
    Map<String, String> all = new HashMap<>(settings);
    all.put("seckill.db.url", "jdbc:h2:file:" + data.resolve("seckill") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0");
    return NodeProcess.create(name, TestPorts.reserve(), all);
  }

  private static String refusedStart(String name, Map<String, String> settings) throws Exception {
    NodeProcess n = node(name, settings);
    try {
      n.launch();
      assertEquals(1, n.awaitExit(Duration.ofSeconds(60)), "a refused start exits with 1; log: " + n.log());
      return Files.readString(n.log());
    } finally {
      n.close();
    }
  }

  @Test
  void refusedStartsExitWithAFailureCodeAndSayWhy() throws Exception {
    assertTrue(refusedStart("secrets-default", Map.of("seckill.auth.dev-mode", "off")).contains("SECKILL_"));
    Map<String, String> shortToken = new HashMap<>(STRONG);
    shortToken.put("seckill.auth.admin-token", "a");
    assertTrue(refusedStart("secrets-short", shortToken).contains("shorter than 32 bytes"));
    Map<String, String> shortSaleKey = new HashMap<>(STRONG);
    shortSaleKey.put("seckill.admission.sale-key-secret", "s");
    assertTrue(refusedStart("secrets-short-sale-key", shortSaleKey).contains("SECKILL_SALE_KEY_SECRET"));
    // a value shown in this repository (k8s/overlays/local), and two secrets alike: named, never shown
    String example = "local-only-admin-token-not-for-production-0002";
    Map<String, String> exampleToken = new HashMap<>(STRONG);
    exampleToken.put("seckill.auth.admin-token", example);
    String exampleLog = refusedStart("secrets-example", exampleToken);
    assertTrue(exampleLog.contains("seckill.auth.admin-token is an example value"), exampleLog);
    assertFalse(exampleLog.contains(example), "the value is in the log");
    Map<String, String> equal = new HashMap<>(STRONG);
    equal.put("seckill.waiting-room.secret", STRONG.get("seckill.challenge.secret"));
    String equalLog = refusedStart("secrets-equal", equal);
    assertTrue(equalLog.contains("SECKILL_WAITING_ROOM_SECRET equals SECKILL_CHALLENGE_SECRET"), equalLog);
    assertFalse(equalLog.contains(STRONG.get("seckill.challenge.secret")), "the value is in the log");
    Map<String, String> badBoolean = new HashMap<>(STRONG);
    badBoolean.put("seckill.auth.dev-mode", "0");
    assertTrue(refusedStart("secrets-bad-boolean", badBoolean).contains("dev-mode"));
  }

  @Test
  void theDemoFollowsDevModeUnlessAskedFor() {
    var dev = ConfigFactory.parseResources("application.conf").resolve();
    assertTrue(dev.getBoolean("seckill.demo.enabled"));
    var production = ConfigFactory.parseString("seckill.auth.dev-mode = off")
        .withFallback(ConfigFactory.parseResources("application.conf")).resolve();
    assertFalse(production.getBoolean("seckill.demo.enabled"));
  }

  @Test
  void noSecretReachesTheLogWithTheDemoOnInOrOutOfDevMode() throws Exception {
    NodeProcess dev = node("secrets-demo-dev", Map.of("seckill.demo.enabled", "on", "seckill.demo.opens-after", "0s"));
    Map<String, String> outside = new HashMap<>(STRONG);
    outside.put("seckill.demo.enabled", "on");
    NodeProcess production = node("secrets-demo-production", outside);
    try {
      for (NodeProcess n : new NodeProcess[] {dev, production}) {
        n.start();
        Await.until(Duration.ofSeconds(30), "no demo banner; log: " + n.log(), () -> {
          try {
            return Files.readString(n.log()).contains("Demo sale");
          } catch (java.io.IOException notYet) {
            return false;
          }
        });
      }
      String devLog = Files.readString(dev.log());
      assertFalse(devLog.contains("eyJ"), "no buyer token in the log");
      assertTrue(devLog.contains("/dev/tokens"), "the banner says how to get one");
      String productionLog = Files.readString(production.log());
      STRONG.forEach((key, value) -> {
        if (!key.endsWith("dev-mode")) assertFalse(productionLog.contains(value), key + " is in the log");
      });
      assertTrue(productionLog.contains("$SECKILL_ADMIN_TOKEN"));
    } finally {
      dev.close();
      production.close();
    }
  }
}
