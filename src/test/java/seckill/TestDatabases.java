package seckill;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import seckill.journal.Journal;
import seckill.journal.Migrations;

/** Real journals for tests: an H2 file in a temp folder, or a fresh database on an embedded PostgreSQL. */
public final class TestDatabases {

  private static final AtomicInteger COUNTER = new AtomicInteger();
  /** The H2 folders this JVM made: removed when it exits (a 10M big sale leaves 6 GB behind). */
  private static final java.util.Set<Path> H2_FOLDERS = java.util.concurrent.ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> H2_FOLDERS.forEach(TestDatabases::deleteFolder)));
  }

  private static void deleteFolder(Path folder) {
    try (var files = Files.walk(folder)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException | RuntimeException gone) {
      // already gone, or not ours to remove
    }
  }
  private static EmbeddedPostgres postgres;

  private TestDatabases() {}

  /** A new, empty H2 file database; the node creates its schema at start like the embedded default. */
  public static Config h2() {
    try {
      Path dir = Files.createTempDirectory("seckill-h2-");
      H2_FOLDERS.add(dir);
      return ConfigFactory.parseMap(Map.of(
          "seckill.db.url", "jdbc:h2:file:" + dir.resolve("seckill") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0",
          "seckill.db.user", "sa",
          "seckill.db.password", ""));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * zonky starts PostgreSQL with fsync, synchronous_commit and full_page_writes off for speed: a
   * server that acknowledges commits it may lose, which the service refuses. Ours run as shipped.
   */
  public static EmbeddedPostgres.Builder durable(EmbeddedPostgres.Builder builder) {
    return builder.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on")
        .setServerConfig("full_page_writes", "on");
  }

  /** A new database on the shared embedded PostgreSQL, migrated as a node migrates it at start. */
  public static Config postgres() {
    Config config = emptyPostgres();
    try {
      Migrations.migrate(config);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot migrate " + config.getString("seckill.db.url"), e);
    }
    return config;
  }

  /** A new, empty database on the shared embedded PostgreSQL. */
  public static synchronized Config emptyPostgres() {
    try {
      if (postgres == null) {
        postgres = durable(EmbeddedPostgres.builder()).setPort(TestPorts.reserve()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          try {
            postgres.close();
          } catch (IOException ignored) {
            // the JVM is going away
          }
        }));
      }
      String name = "seckill_" + COUNTER.incrementAndGet();
      try (Connection c = postgres.getPostgresDatabase().getConnection()) {
        c.createStatement().execute("CREATE DATABASE " + name);
      }
      return ConfigFactory.parseMap(Map.of(
          "seckill.db.url", "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + name,
          "seckill.db.user", "postgres",
          "seckill.db.password", "postgres"));
    } catch (IOException | SQLException e) {
      throw new IllegalStateException("cannot start embedded PostgreSQL", e);
    }
  }

  /**
   * Runs each statement of a SQL resource on its own, in autocommit, as ops did with psql before the
   * service migrated its own schema: the tables, and no Flyway history.
   */
  public static void applyOutOfBand(Config config, String resource) {
    try (InputStream in = TestDatabases.class.getClassLoader().getResourceAsStream(resource);
        Connection c = Journal.connect(config);
        Statement st = c.createStatement()) {
      if (in == null) throw new IllegalStateException("missing resource " + resource);
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      String withoutComments = text.lines().filter(l -> !l.trim().startsWith("--")).collect(Collectors.joining("\n"));
      for (String sql : withoutComments.split(";")) {
        if (!sql.isBlank()) st.execute(sql.trim());
      }
    } catch (IOException | SQLException e) {
      throw new IllegalStateException("cannot apply " + resource + ": " + e.getMessage(), e);
    }
  }
}
