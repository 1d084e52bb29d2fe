package seckill.journal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import seckill.config.ShippedDefaults;

/** Picks the journal's database from {@code seckill.db.url}, refuses an unsafe one and migrates its schema. */
public final class Journal {

  private static final Logger log = LoggerFactory.getLogger(Journal.class);

  private Journal() {}

  /** The config with the PostgreSQL profile and driver laid over it when the URL is a PostgreSQL one. */
  public static Config config(Config config) {
    if (isPostgres(config)) {
      return ConfigFactory.parseResources("persistence-postgres.conf").withFallback(config).resolve();
    }
    return config;
  }

  public static boolean isPostgres(Config config) {
    return config.getString("seckill.db.url").startsWith("jdbc:postgresql:");
  }

  /**
   * Refuses a journal that would acknowledge commits it may lose ({@link Durability}) and brings its
   * schema to the newest migration ({@link Migrations}) unless {@code seckill.db.migrate} is off. A
   * PostgreSQL that does not answer yet is checked and migrated by the readiness probe once it does
   * ({@link JournalReadiness}): the node is not ready, and takes no shard, before that.
   */
  public static void prepare(Config config) {
    requireExplicitOutsideDevMode(config);
    if (!isPostgres(config)) {
      Durability.require(config, Durability.ofH2(config.getString("seckill.db.url")));
      migrate(config);
      return;
    }
    try (Connection c = connect(config)) {
      Durability.require(config, Durability.ofPostgres(c));
    } catch (SQLException unreachable) {
      log.warn("PostgreSQL does not answer yet ({}); its durability settings are checked and its schema migrated"
          + " before the node is ready", unreachable.getMessage());
      return;
    }
    migrate(config);
  }

  private static void migrate(Config config) {
    if (!Migrations.enabled(config)) return;
    try {
      Migrations.migrate(config);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot migrate the journal schema: " + e.getMessage(), e);
    }
  }

  /**
   * Outside dev mode the journal must be named: a node started without SECKILL_DB_URL would otherwise
   * write a fresh H2 file under ./data while its cluster uses PostgreSQL, and serve sales it knows
   * nothing about.
   */
  static void requireExplicitOutsideDevMode(Config config) {
    if (config.getBoolean("seckill.auth.dev-mode")) return;
    String shipped = ShippedDefaults.of("persistence.conf").getString("seckill.db.url");
    if (config.getString("seckill.db.url").equals(shipped)) {
      throw new IllegalStateException("dev mode is off but no journal is configured: set SECKILL_DB_URL"
          + " (the embedded H2 default is for a laptop, and a cluster's nodes must share one journal)");
    }
  }

  /**
   * A small pool on the journal's database ({@code seckill.db}) for work beside Pekko's own pools. Its
   * connections stay open: an embedded H2 closes when its last connection does, and opened and
   * closed again from several threads at once it lost committed rows and corrupted its file (H2 2.2).
   */
  public static HikariDataSource pool(Config config, String name, int size) {
    return pool(config, name, size, Map.of());
  }

  /** The same, with JDBC driver properties for its connections. */
  public static HikariDataSource pool(Config config, String name, int size, Map<String, String> driverProperties) {
    HikariConfig hc = new HikariConfig();
    driverProperties.forEach(hc::addDataSourceProperty);
    hc.setJdbcUrl(config.getString("seckill.db.url"));
    hc.setUsername(config.getString("seckill.db.user"));
    hc.setPassword(config.getString("seckill.db.password"));
    hc.setMaximumPoolSize(size);
    hc.setMinimumIdle(1);
    hc.setConnectionTimeout(config.getDuration("seckill.db.connection-timeout").toMillis());
    hc.setPoolName(name);
    // connect on first use: a database away at start must not stop the node from starting
    hc.setInitializationFailTimeout(-1);
    return new HikariDataSource(hc);
  }

  /** A plain JDBC connection to the journal's database ({@code seckill.db}), outside Pekko's pools. */
  public static Connection connect(Config config) throws SQLException {
    return DriverManager.getConnection(
        config.getString("seckill.db.url"), config.getString("seckill.db.user"), config.getString("seckill.db.password"));
  }
}
