package seckill.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import seckill.Api;
import seckill.TestDatabases;
import seckill.TestNode;

/** Each node brings the H2 journal's schema to the newest migration at start, and keeps what is there. */
class MigrationsTest {

  static final List<String> BUYERS = List.of("mia", "noah", "olga");

  private static Config node(Config db, boolean migrate) {
    return TestNode.config(db, ConfigFactory.parseString("seckill.db.migrate = " + (migrate ? "on" : "off")));
  }

  /** The rows of Flyway's history as "version type success", oldest first; empty when it has no history table. */
  static List<String> history(Config db) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection c = Journal.connect(db)) {
      if (!tableExists(c, "flyway_schema_history")) return rows;
      try (ResultSet rs = c.createStatement().executeQuery(
          // Flyway 13 writes a row of its own (type TABLE) when it creates the table
          "SELECT \"version\", \"type\", \"success\" FROM \"flyway_schema_history\" WHERE \"type\" <> 'TABLE'"
              + " ORDER BY \"installed_rank\"")) {
        while (rs.next()) rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getBoolean(3));
      }
    }
    return rows;
  }

  static boolean tableExists(Connection c, String table) throws SQLException {
    try (ResultSet rs = c.getMetaData().getTables(null, c.getSchema(), table, null)) {
      return rs.next();
    }
  }

  private static void execute(Config db, String sql) throws SQLException {
    try (Connection c = Journal.connect(db)) {
      c.createStatement().execute(sql);
    }
  }

  /** Defines a sale of 10 and reserves one unit for each buyer through the node's API. */
  static void sellOneEach(Api api, String sale) {
    api.defineSale(sale, Api.sale(10, 1, "ON_ORDER", null));
    for (String buyer : BUYERS) {
      Api.Response r = api.reserve(sale, api.token(buyer), "r-" + buyer, 1);
      assertEquals(201, r.status(), buyer + ": " + r.text());
    }
  }

  /** Every buyer still has the unit reserved before, and the sale still counts them. */
  static void assertOneEachKept(Api api, String sale) {
    api.awaitState(sale, "OPEN"); // the node's view of the sale comes back once its entity has recovered
    for (String buyer : BUYERS) {
      Api.Response r = api.get("/api/sales/" + sale + "/reservations", api.token(buyer));
      assertEquals(200, r.status(), buyer + ": " + r.text());
      assertEquals(1, r.json().get("total").asInt(), buyer + "'s reservation is kept: " + r.text());
    }
    Api.Response counters = api.admin("GET", "/admin/sales/" + sale, null);
    assertEquals(10 - BUYERS.size(), counters.json().get("available").asInt(), counters.text());
  }

  @Test
  void aFreshH2FileGetsVersion1() throws Exception {
    Config db = TestDatabases.h2();
    Journal.prepare(node(db, true));
    assertEquals(List.of("1 SQL true"), history(db));
    try (Connection c = Journal.connect(db)) {
      for (String table : List.of("event_journal", "event_tag", "snapshot", "snapshot_part")) {
        assertTrue(tableExists(c, table), table);
      }
    }
  }

  @Test
  void aSecondStartChangesNothingAndKeepsTheEvents() throws Exception {
    Config db = TestDatabases.h2();
    try (TestNode first = TestNode.start(db)) {
      sellOneEach(first.api(), "again");
    }
    List<String> before = history(db);
    assertEquals(List.of("1 SQL true"), before);
    try (TestNode second = TestNode.start(db)) {
      assertOneEachKept(second.api(), "again");
    }
    assertEquals(before, history(db), "the second start applied nothing");
  }

  @Test
  void anH2FileMadeWithTheOldDdlIsTakenAsVersion1AndItsEventsAreRead() throws Exception {
    Config db = TestDatabases.h2();
    // what the service did before it migrated: today's tables, statement by statement, no history
    TestDatabases.applyOutOfBand(db, "db/migration/h2/V1__journal.sql");
    try (TestNode old = TestNode.start(db, ConfigFactory.parseString("seckill.db.migrate = off"))) {
      sellOneEach(old.api(), "older");
    }
    assertEquals(List.of(), history(db));
    try (TestNode migrated = TestNode.start(db)) {
      assertEquals(List.of("1 BASELINE true"), history(db), "V1 did not run on the existing tables");
      assertOneEachKept(migrated.api(), "older");
    }
  }

  @Test
  void aSchemaWithoutEveryTableOfV1GetsV1WhichAddsWhatIsMissing() throws Exception {
    Config older = TestDatabases.h2(); // a journal from before snapshots were written in parts
    TestDatabases.applyOutOfBand(older, "db/migration/h2/V1__journal.sql");
    execute(older, "DROP TABLE PUBLIC.\"snapshot_part\"");
    Config shared = TestDatabases.h2(); // a database that holds other tables only
    execute(shared, "CREATE TABLE PUBLIC.\"someone_elses\" (\"id\" INT PRIMARY KEY)");
    for (Config db : List.of(older, shared)) {
      Journal.prepare(node(db, true));
      String url = db.getString("seckill.db.url");
      assertEquals(List.of("0 BASELINE true", "1 SQL true"), history(db), url);
      try (Connection c = Journal.connect(db)) {
        assertTrue(tableExists(c, "event_journal") && tableExists(c, "snapshot_part"), url);
      }
    }
  }

  @Test
  void withMigrateOffTheNodeLeavesTheSchemaAlone() throws Exception {
    Config db = TestDatabases.h2();
    Journal.prepare(node(db, false));
    try (Connection c = Journal.connect(db)) {
      assertFalse(tableExists(c, "event_journal"));
      assertFalse(tableExists(c, "flyway_schema_history"));
    }
  }
}
