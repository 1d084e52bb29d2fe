package seckill.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import seckill.Api;
import seckill.NodeProcess;
import seckill.TestDatabases;
import seckill.TestPorts;
import seckill.TestPostgres;
import seckill.crash.ClusterCrashIT;

/** Node processes migrate a PostgreSQL journal at start: together, on a schema made before, and late. */
class MigrationsPostgresIT {

  private static Map<String, String> settings(Config db, String migrate) {
    Map<String, String> settings = new HashMap<>();
    db.entrySet().forEach(e -> settings.put(e.getKey(), e.getValue().unwrapped().toString()));
    settings.put("seckill.db.migrate", migrate);
    return settings;
  }

  @Test
  void threeNodesStartingAtOnceOnAnEmptyDatabaseLeaveOneSchema() throws Exception {
    Config db = TestDatabases.emptyPostgres();
    List<NodeProcess> nodes = ClusterCrashIT.cluster("migrate-together", db, Map.of());
    try {
      ClusterCrashIT.startAll(nodes); // launched together; each ready, none logged an ERROR
      assertEquals(List.of("1 SQL true"), MigrationsTest.history(db), "V1 applied once, no baseline");
      int applied = 0;
      for (NodeProcess n : nodes) {
        if (n.logSinceStart().stream().anyMatch(l -> l.contains("Successfully applied 1 migration"))) applied++;
      }
      assertEquals(1, applied, "one node migrated, the others found nothing left to do");
      MigrationsTest.sellOneEach(nodes.get(1).api(), "together");
      MigrationsTest.assertOneEachKept(nodes.get(2).api(), "together");
    } finally {
      for (NodeProcess n : nodes) n.close();
    }
  }

  @Test
  void aDatabaseMadeWithTheOldDdlIsTakenAsVersion1AndItsEventsAreRead() throws Exception {
    Config db = TestDatabases.emptyPostgres();
    // what ops did before the service migrated: today's statements with psql, no history
    TestDatabases.applyOutOfBand(db, "db/migration/postgres/V1__journal.sql");
    NodeProcess old = NodeProcess.create("migrate-old", TestPorts.reserve(), settings(db, "off"));
    try {
      old.start();
      MigrationsTest.sellOneEach(old.api(), "older");
    } finally {
      old.stop();
    }
    assertEquals(List.of(), MigrationsTest.history(db));

    NodeProcess migrated = NodeProcess.create("migrate-baseline", TestPorts.reserve(), settings(db, "on"));
    try {
      migrated.start();
      assertEquals(List.of(), migrated.errorsSinceStart());
      assertEquals(List.of("1 BASELINE true"), MigrationsTest.history(db), "V1 did not run on the existing tables");
      MigrationsTest.assertOneEachKept(migrated.api(), "older");
    } finally {
      migrated.close();
    }
  }

  @Test
  void aNodeStartedWhilePostgresIsAwayMigratesItOnceItAnswersAndIsNotReadyBefore() throws Exception {
    TestPostgres pg = TestPostgres.startEmpty();
    pg.kill(); // not there when the node starts
    NodeProcess node = NodeProcess.create("migrate-late", TestPorts.reserve(), settings(pg.config(), "on"));
    try {
      node.launch();
      Api mgmt = new Api(node.managementUrl());
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (node.logSinceStart().stream().noneMatch(l -> l.contains("does not answer yet"))) {
        assertTrue(node.isAlive() && System.nanoTime() < deadline, "the node started; log: " + node.log());
        Thread.sleep(200); // the poll interval of this wait for the node's warning
      }
      // the management port binds a little after the warning: wait for an answer, which must be a no
      int status = seckill.Await.value(Duration.ofSeconds(60), "management never answered", () -> {
        try {
          return mgmt.get("/ready", null).status();
        } catch (IllegalStateException notBoundYet) {
          return null;
        }
      });
      assertNotEquals(200, status, "not ready without its database");
      pg.startServer();
      node.awaitReady();
      assertEquals(List.of("1 SQL true"), MigrationsTest.history(pg.config()), "migrated once it answered");
      MigrationsTest.sellOneEach(node.api(), "late");
    } finally {
      node.close();
      pg.close();
    }
  }
}
