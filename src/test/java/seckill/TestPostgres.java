package seckill;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Map;
import seckill.journal.Migrations;

/**
 * A PostgreSQL server of a test's own (zonky's embedded binaries, durable settings) that the test can
 * kill with SIGKILL, every server process at once, and start again on the same data and port: a
 * database crash, followed by PostgreSQL's own crash recovery.
 */
public final class TestPostgres implements AutoCloseable {

  private final Path data;
  private final int port;
  private EmbeddedPostgres server;

  private TestPostgres(Path data, int port) {
    this.data = data;
    this.port = port;
  }

  /** A fresh server with a {@code seckill} database, migrated as a node migrates it at start. */
  public static TestPostgres start() throws Exception {
    TestPostgres pg = startEmpty();
    Migrations.migrate(pg.config());
    return pg;
  }

  /** A fresh server with an empty {@code seckill} database. */
  public static TestPostgres startEmpty() throws Exception {
    TestPostgres pg = new TestPostgres(Files.createTempDirectory("seckill-pg-"), TestPorts.reserve());
    pg.startServer();
    try (Connection c = pg.server.getPostgresDatabase().getConnection()) {
      c.createStatement().execute("CREATE DATABASE seckill");
    }
    return pg;
  }

  /** Starts the server (again) on its data folder and port. */
  public synchronized void startServer() throws Exception {
    server = TestDatabases.durable(EmbeddedPostgres.builder()).setDataDirectory(data).setCleanDataDirectory(false)
        .setPort(port).start();
  }

  /** SIGKILL to the postmaster and every backend; the data folder stays as the crash left it. */
  public synchronized void kill() throws Exception {
    long pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
    ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow();
    postmaster.descendants().forEach(ProcessHandle::destroyForcibly);
    postmaster.destroyForcibly();
    postmaster.onExit().get();
    while (postmaster.descendants().anyMatch(ProcessHandle::isAlive)) Thread.sleep(50); // poll: no event when the last backend is gone
    try {
      server.close(); // releases zonky's lock on the folder; its pg_ctl stop finds nothing to stop
    } catch (Exception alreadyDead) {
      // expected: the server is gone
    }
  }

  /** The journal settings for the service ({@code seckill.db.*}). */
  public Config config() {
    return ConfigFactory.parseMap(Map.of(
        "seckill.db.url", "jdbc:postgresql://127.0.0.1:" + port + "/seckill",
        "seckill.db.user", "postgres",
        "seckill.db.password", "postgres"));
  }

  @Override
  public void close() throws Exception {
    server.close();
  }
}
