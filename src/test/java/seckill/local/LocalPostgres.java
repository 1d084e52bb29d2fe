package seckill.local;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;

/**
 * A PostgreSQL for local clusters (cluster-config/cluster.sh): zonky's embedded binaries from Maven
 * Central, data kept in a folder across restarts; the nodes migrate the schema when they start. Runs until killed.
 */
public final class LocalPostgres {

  private LocalPostgres() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    Path data = Path.of(args[1]).toAbsolutePath();
    boolean fresh = !data.resolve("PG_VERSION").toFile().exists();
    EmbeddedPostgres pg = seckill.TestDatabases.durable(EmbeddedPostgres.builder())
        .setPort(port)
        .setDataDirectory(data)
        .setCleanDataDirectory(false)
        .start();
    try (Connection c = pg.getPostgresDatabase().getConnection();
        ResultSet rs = c.createStatement().executeQuery("SELECT 1 FROM pg_database WHERE datname = 'seckill'")) {
      if (!rs.next()) c.createStatement().execute("CREATE DATABASE seckill");
    }
    String url = "jdbc:postgresql://127.0.0.1:" + port + "/seckill";
    System.out.println("PostgreSQL ready at " + url + (fresh ? " (new)" : " (existing data)"));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        pg.close();
      } catch (Exception ignored) {
        // going down anyway
      }
    }));
    Thread.currentThread().join();
  }
}
