package seckill.journal;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.flywaydb.core.Flyway;

/**
 * The journal's schema, brought by Flyway to the newest migration under {@code db/migration/<vendor>/}
 * when a node starts ({@code seckill.db.migrate}). A database with every table of V1 but no Flyway
 * history (made before the service migrated its own schema) is taken as version 1 and V1 does not run
 * on it; any other non-empty schema gets V1, which creates only what is missing.
 */
public final class Migrations {

  /**
   * PostgreSQL advisory lock held while a node decides on the baseline and migrates, so nodes that
   * start together take turns: Flyway's own lock covers a migration, not the look at an unversioned
   * schema before it. Any fixed number that nothing else on the database locks.
   */
  private static final long LOCK_KEY = 0x5EC1_0001L;

  /** The tables V1 creates; V1 never changes, so neither does this list. */
  private static final List<String> V1_TABLES = List.of("event_journal", "event_tag", "snapshot", "snapshot_part");

  private static final List<String> V1_TABLES_POSTGRES_ONLY =
      List.of("pekko_projection_offset_store", "pekko_projection_management");

  private Migrations() {}

  /** On unless {@code seckill.db.migrate} is off (a team that migrates the schema out of band). */
  public static boolean enabled(Config config) {
    return config.getBoolean("seckill.db.migrate");
  }

  /** The classpath folder of the journal's vendor (also the folder under src/main/resources). */
  public static String location(Config config) {
    return "db/migration/" + (Journal.isPostgres(config) ? "postgres" : "h2");
  }

  /**
   * Applies the migrations the database lacks; a no-op when it is up to date. Throws SQLException when
   * the database does not answer, and Flyway's exception when a migration fails or an applied one
   * differs from its file.
   */
  public static void migrate(Config config) throws SQLException {
    boolean postgres = Journal.isPostgres(config);
    try (Connection lock = Journal.connect(config)) {
      if (postgres) execute(lock, "SELECT pg_advisory_lock(" + LOCK_KEY + ")");
      try {
        boolean todays = hasTables(lock, V1_TABLES)
            && (!postgres || hasTables(lock, V1_TABLES_POSTGRES_ONLY));
        Flyway.configure(Migrations.class.getClassLoader())
            .loggers("slf4j")
            .dataSource(config.getString("seckill.db.url"), config.getString("seckill.db.user"),
                config.getString("seckill.db.password"))
            .locations("classpath:" + location(config))
            .baselineOnMigrate(true)
            .baselineVersion(todays ? "1" : "0")
            // no quote mark in it: Flyway 13.12.2 then drops the baseline row without a word and runs V1
            .baselineDescription(todays ? "the tables of V1, made before migrations" : "before V1")
            .load()
            .migrate();
      } finally {
        if (postgres) execute(lock, "SELECT pg_advisory_unlock(" + LOCK_KEY + ")");
      }
    }
  }

  private static boolean hasTables(Connection c, List<String> tables) throws SQLException {
    for (String table : tables) {
      try (ResultSet rs = c.getMetaData().getTables(null, c.getSchema(), table, null)) {
        if (!rs.next()) return false;
      }
    }
    return true;
  }

  private static void execute(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }
}
