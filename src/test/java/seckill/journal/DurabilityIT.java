package seckill.journal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import seckill.TestPorts;
import seckill.Api;
import seckill.NodeProcess;
import seckill.TestDatabases;
import seckill.TestNode;
import seckill.TestPostgres;

/** A journal that would acknowledge commits it may lose is refused at start, unless explicitly allowed. */
class DurabilityIT {

  private static Config withDefaults(Config db) {
    return db.withFallback(ConfigFactory.parseResources("persistence.conf")).withFallback(ConfigFactory.parseResources("auth.conf"))
        .resolve();
  }

  @Test
  void anH2UrlIsSafeOnlyWithWriteDelayZero() {
    assertTrue(Durability.ofH2("jdbc:h2:file:./data/x;DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0").safe());
    assertTrue(Durability.ofH2("jdbc:h2:file:./data/x;write_delay = 0").safe());
    assertTrue(Durability.ofH2("jdbc:h2:file:./data/x;DB_CLOSE_ON_EXIT=FALSE").risks().get(0).contains("WRITE_DELAY=500"));
    assertTrue(Durability.ofH2("jdbc:h2:file:./data/x;WRITE_DELAY=100").risks().get(0).contains("WRITE_DELAY=100"));
    assertTrue(Durability.ofH2("jdbc:h2:mem:x").risks().get(0).contains("in memory"));
    assertTrue(Durability.ofH2(withDefaults(ConfigFactory.empty()).getString("seckill.db.url")).safe(),
        "the embedded default is durable");
  }

  @Test
  void outsideDevModeTheJournalMustBeNamed() {
    Config production = ConfigFactory.parseString("seckill.auth.dev-mode = off")
        .withFallback(ConfigFactory.parseResources("persistence.conf")).withFallback(ConfigFactory.parseResources("auth.conf"))
        .resolve();
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> Journal.prepare(production));
    assertTrue(refused.getMessage().contains("SECKILL_DB_URL"), refused.getMessage());
    assertDoesNotThrow(() -> Journal.prepare(withDefaults(TestDatabases.h2()
        .withValue("seckill.auth.dev-mode", com.typesafe.config.ConfigValueFactory.fromAnyRef(false)))));
  }

  @Test
  void refusesALazyH2UnlessAllowed() {
    Config lazy = withDefaults(ConfigFactory.parseMap(Map.of("seckill.db.url", "jdbc:h2:file:./data/x;DB_CLOSE_ON_EXIT=FALSE")));
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> Journal.prepare(lazy));
    assertTrue(refused.getMessage().contains("SECKILL_DB_ALLOW_UNSAFE_COMMITS"), refused.getMessage());
    Config allowed = withDefaults(TestDatabases.h2().withValue("seckill.db.allow-unsafe-commits",
        com.typesafe.config.ConfigValueFactory.fromAnyRef(true)));
    assertDoesNotThrow(() -> Journal.prepare(allowed.withValue("seckill.db.url", com.typesafe.config.ConfigValueFactory
        .fromAnyRef(allowed.getString("seckill.db.url").replace(";WRITE_DELAY=0", "")))));
  }

  @Test
  void refusesAPostgresThatAcknowledgesCommitsBeforeTheyAreFlushed() throws Exception {
    Config db = withDefaults(TestDatabases.postgres());
    Journal.prepare(db); // fsync and synchronous_commit as shipped: on
    String name = db.getString("seckill.db.url").substring(db.getString("seckill.db.url").lastIndexOf('/') + 1);
    try (Connection c = Journal.connect(db)) {
      c.createStatement().execute("ALTER DATABASE " + name + " SET synchronous_commit = off");
    }
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> Journal.prepare(db));
    assertTrue(refused.getMessage().contains("synchronous_commit = off"), refused.getMessage());
    assertDoesNotThrow(() -> Journal.prepare(db.withValue("seckill.db.allow-unsafe-commits",
        com.typesafe.config.ConfigValueFactory.fromAnyRef(true))));
  }

  @Test
  void aNodeOnALazyJournalExitsNonZeroAndSaysWhy() throws Exception {
    Path data = Files.createTempDirectory("seckill-lazy-");
    NodeProcess node = NodeProcess.create("lazy-journal", TestPorts.reserve(), Map.of(
        "seckill.db.url", "jdbc:h2:file:" + data.resolve("seckill") + ";DB_CLOSE_ON_EXIT=FALSE"));
    try {
      node.launch();
      assertNotEquals(0, node.awaitExit(Duration.ofSeconds(60)), "a refused start exits non-zero");
      String log = Files.readString(node.log());
      assertTrue(log.contains("WRITE_DELAY") && log.contains("SECKILL_DB_ALLOW_UNSAFE_COMMITS"), log);
      assertEquals(false, Files.exists(data.resolve("seckill.mv.db")), "nothing was written");
    } finally {
      node.close();
    }
  }

  @Test
  void aNodeThatFindsItsPostgresUnsafeOnceItAnswersStopsWithAFailureCode() throws Exception {
    TestPostgres pg = TestPostgres.start();
    try (Connection c = Journal.connect(pg.config())) {
      c.createStatement().execute("ALTER DATABASE seckill SET synchronous_commit = off");
    }
    pg.kill(); // not there when the node starts: it cannot check, so it starts and checks later
    Map<String, String> settings = new java.util.HashMap<>();
    pg.config().entrySet().forEach(e -> settings.put(e.getKey(), e.getValue().unwrapped().toString()));
    NodeProcess node = NodeProcess.create("unsafe-later", TestPorts.reserve(), settings);
    try {
      node.launch();
      Api mgmt = new Api(node.managementUrl());
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      boolean databaseBack = false;
      while (node.isAlive()) {
        assertTrue(System.nanoTime() < deadline, "the node never stopped; log: " + node.log());
        if (!databaseBack && Files.readString(node.log()).contains("does not answer yet")) {
          pg.startServer();
          databaseBack = true;
        }
        try {
          assertNotEquals(200, mgmt.get("/ready", null).status(), "never ready on an unsafe journal");
        } catch (IllegalStateException notListening) {
          // not bound yet, or already gone
        }
        Thread.sleep(200); // the poll interval of this wait for the node's answer
      }
      assertTrue(databaseBack, "the node started while the database was away");
      assertEquals(1, node.awaitExit(Duration.ofSeconds(5)));
      assertTrue(Files.readString(node.log()).contains("synchronous_commit = off"), "the log says why");
    } finally {
      node.close();
      pg.close();
    }
  }
}
