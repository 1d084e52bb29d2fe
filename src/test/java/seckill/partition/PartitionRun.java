package seckill.partition;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import seckill.Api;
import seckill.Await;
import seckill.NodeProcess;
import seckill.TestDatabases;
import seckill.TestNode;
import seckill.TestPorts;
import seckill.journal.Migrations;
import seckill.partition.HistoryChecker.FinalState;
import seckill.partition.HistoryChecker.JournalEntry;
import seckill.sale.Sale;

/**
 * What every partition scenario starts from: a {@link Netns} network, a PostgreSQL every node
 * namespace reaches (listening on the test's side of the bridge), node processes (three, or five),
 * each in its namespace, and one sale open on all of them; then {@link #finalState} reads the sale's
 * counters and journal for {@link HistoryChecker}. Closing it stops the nodes, the database and the
 * network.
 */
public final class PartitionRun implements AutoCloseable {

  public static final String SALE = "partitioned";

  public final Netns net;
  public final List<NodeProcess> nodes = new ArrayList<>();
  public final int stock;
  private final EmbeddedPostgres postgres;
  private final Map<String, String> extra;

  private PartitionRun(Netns net, EmbeddedPostgres postgres, int stock, Map<String, String> extra) {
    this.net = net;
    this.postgres = postgres;
    this.stock = stock;
    this.extra = Map.copyOf(extra);
  }

  /**
   * The network, the database and {@code size} nodes with {@code extra} settings, ready; the sale open
   * with {@code stock}.
   */
  public static PartitionRun start(String scenario, int size, int stock, Map<String, String> extra) throws Exception {
    Netns net = Netns.create(size);
    EmbeddedPostgres pg = null;
    PartitionRun run = null;
    try {
      Path data = Files.createTempDirectory("seckill-partition-pg-");
      String hba = "host all all " + net.hostAddress().replaceAll("\\.1$", ".0") + "/24 trust\n";
      pg = TestDatabases.durable(EmbeddedPostgres.builder()).setPort(TestPorts.reserve()).setDataDirectory(data)
          .setCleanDataDirectory(true)
          .setServerConfig("listen_addresses", "127.0.0.1," + net.hostAddress())
          .setDataDirectoryCustomizer(dir -> appendTo(dir.toPath().resolve("pg_hba.conf"), hba)).start();
      try (Connection c = pg.getPostgresDatabase().getConnection()) {
        c.createStatement().execute("CREATE DATABASE seckill");
      }
      run = new PartitionRun(net, pg, stock, extra);
      Migrations.migrate(run.rootDb());
      int[] remote = new int[size];
      for (int i = 0; i < size; i++) remote[i] = TestPorts.reserve();
      for (int i = 0; i < size; i++) {
        Map<String, String> settings = new HashMap<>(Map.of(
            "seckill.db.url", "jdbc:postgresql://" + net.hostAddress() + ":" + pg.getPort() + "/seckill",
            "seckill.db.user", "postgres",
            "seckill.db.password", "postgres",
            "seckill.cluster.join-self", "off",
            "pekko.cluster.seed-nodes.0", "pekko://seckill@" + net.address(0) + ":" + remote[0],
            "pekko.cluster.seed-nodes.1", "pekko://seckill@" + net.address(1) + ":" + remote[1]));
        settings.putAll(extra);
        run.nodes.add(NodeProcess.launchedBy(net.inNamespace(i), net.address(i), scenario + "-" + (i + 1), remote[i],
            settings));
      }
      for (NodeProcess n : run.nodes) n.launch();
      for (NodeProcess n : run.nodes) n.awaitReady();
      Api first = run.api(0);
      first.defineSale(SALE, Api.sale(stock, 1, "HOLD", 3600L));
      for (int i = 0; i < size; i++) run.api(i).awaitState(SALE, "OPEN");
      return run;
    } catch (Exception | Error e) {
      if (run != null) run.close();
      else {
        if (pg != null) pg.close();
        net.close();
      }
      throw e;
    }
  }

  private static void appendTo(Path file, String text) {
    try {
      Files.writeString(file, text, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new IllegalStateException("cannot let the node namespaces reach PostgreSQL: " + file, e);
    }
  }

  /** The journal settings as the test JVM (in the root namespace) reaches the database. */
  public Config rootDb() {
    return ConfigFactory.parseMap(Map.of(
        "seckill.db.url", "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/seckill",
        "seckill.db.user", "postgres",
        "seckill.db.password", "postgres"));
  }

  public Api api(int i) {
    return nodes.get(i).api();
  }

  public List<String> baseUrls() {
    return nodes.stream().map(NodeProcess::baseUrl).toList();
  }

  /**
   * A setting as the nodes read it: their own settings over application.conf, resolved with the
   * environment they inherit from this JVM (so {@code SECKILL_SBR_STABLE_AFTER} and the like count).
   */
  public Duration setting(String path) {
    return ConfigFactory.parseMap(extra).withFallback(ConfigFactory.load()).getDuration(path);
  }

  /** SIGSTOP to node {@code i}'s JVM: it stops at once, as in a long GC pause, and holds its sockets. */
  public void pause(int i) throws Exception {
    signal(i, "STOP");
  }

  /** SIGCONT: the paused JVM goes on where it stopped. */
  public void resume(int i) throws Exception {
    signal(i, "CONT");
  }

  private void signal(int i, String signal) throws Exception {
    // `ip netns exec` execs java in place, so the process started is the JVM itself
    Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(nodes.get(i).pid())).inheritIO().start();
    if (kill.waitFor() != 0) throw new IllegalStateException("kill -" + signal + " of " + nodes.get(i).name + " failed");
  }

  /**
   * Waits until the cluster has settled after a fault: every node's process has exited or it sees
   * exactly the nodes still running, all Up, none unreachable (Pekko Management's
   * {@code /cluster/members}).
   */
  public void awaitSettled(Duration atMost) {
    Await.until(atMost, "the cluster never settled", () -> {
      Set<String> running = new TreeSet<>();
      for (NodeProcess n : nodes) if (n.isAlive()) running.add(n.address());
      for (NodeProcess n : nodes) {
        if (!n.isAlive()) continue;
        JsonNode view = new Api(n.managementUrl()).get("/cluster/members", null).json();
        if (view == null || !view.get("unreachable").isEmpty()) return false;
        Set<String> up = new TreeSet<>();
        for (JsonNode m : view.get("members")) {
          if (!m.get("status").asText().equals("Up")) return false;
          up.add(m.get("node").asText());
        }
        if (!up.equals(running)) return false;
      }
      return true;
    });
  }

  /** The index of the node hosting the sale, as node {@code asked} tells (admin API). */
  public int hostOf(int asked) {
    return Await.value(Duration.ofSeconds(30), "no node hosts " + SALE, () -> {
      Api.Response r = api(asked).admin("GET", "/admin/sales/" + SALE + "/placement", null);
      if (r.status() == 200 && r.json().hasNonNull("node")) {
        for (int i = 0; i < nodes.size(); i++) if (nodes.get(i).address().equals(r.json().get("node").asText())) return i;
      }
      return null;
    });
  }

  /**
   * Seconds after {@code cutAt} (ms since the epoch) at which node {@code i} first logged {@code text}
   * since it was launched, or NaN (its log lines start with the UTC time, HH:mm:ss.SSS).
   */
  public double loggedAfter(int i, long cutAt, String text) throws IOException {
    LocalTime cut = LocalTime.ofInstant(Instant.ofEpochMilli(cutAt), ZoneOffset.UTC);
    for (String line : nodes.get(i).logSinceStart()) {
      if (!line.contains(text) || line.length() < 12) continue;
      try {
        double after = Duration.between(cut, LocalTime.parse(line.substring(0, 12))).toMillis() / 1000.0;
        if (after >= 0) return after;
      } catch (DateTimeParseException continuation) {
        // not a line of its own
      }
    }
    return Double.NaN;
  }

  /** The sale's counters (asked of node {@code asked}) and every reservation its journal placed. */
  public FinalState finalState(int asked) throws Exception {
    Map<Long, String> writers = new HashMap<>();
    Map<Long, Long> written = new HashMap<>();
    try (Connection c = DriverManager.getConnection(rootDb().getString("seckill.db.url"), "postgres", "postgres");
        PreparedStatement q = c.prepareStatement(
            "SELECT sequence_number, writer, write_timestamp FROM event_journal WHERE persistence_id = ?")) {
      q.setString(1, "Sale|" + SALE);
      try (ResultSet rows = q.executeQuery()) {
        while (rows.next()) {
          writers.put(rows.getLong(1), rows.getString(2));
          written.put(rows.getLong(1), rows.getLong(3));
        }
      }
    }
    Config config = TestNode.config(rootDb(), ConfigFactory.parseString("pekko.actor.provider = local"));
    ActorSystem<Void> reader = ActorSystem.create(Behaviors.empty(), "journal-reader", config);
    try {
      return finalState(api(asked), stock, placements(reader, writers, written));
    } finally {
      reader.terminate();
      reader.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** The sale's definition and counters, as {@code api}'s node tells them, with {@code journal}. */
  public static FinalState finalState(Api api, int stock, List<JournalEntry> journal) {
    JsonNode c = Await.value(Duration.ofSeconds(60), "the node never gave the counters", () -> {
      Api.Response r = api.admin("GET", "/admin/sales/" + SALE, null);
      return r.status() == 200 ? r.json() : null;
    });
    return new FinalState(stock, 1, c.get("sold").asInt(), c.get("held").asInt(), c.get("available").asInt(),
        c.get("topBuyerUnits").asInt(), journal);
  }

  /**
   * Every reservation the sale's journal placed, read with Pekko's JDBC read journal in {@code reader};
   * each event's writer and write time, which the envelope does not carry, from the journal's rows
   * (by sequence number; null and 0 where not given).
   */
  public static List<JournalEntry> placements(ActorSystem<?> reader, Map<Long, String> writers, Map<Long, Long> written)
      throws Exception {
    List<JournalEntry> placed = new ArrayList<>();
    PersistenceQuery.get(reader).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier())
        .currentEventsByPersistenceId("Sale|" + SALE, 0, Long.MAX_VALUE)
        .runWith(Sink.seq(), reader).toCompletableFuture().get(60, TimeUnit.SECONDS)
        .forEach(e -> {
          if (e.event() instanceof Sale.ReservationsPlaced p) {
            p.reservations().forEach(r -> placed.add(new JournalEntry(r.id(), r.buyer(), r.requestId(), r.quantity(),
                writers.get(e.sequenceNr()), written.getOrDefault(e.sequenceNr(), 0L))));
          }
        });
    return placed;
  }

  /** Kills what still runs, then removes the database and the network. */
  @Override
  public void close() throws Exception {
    try {
      for (NodeProcess n : nodes) n.kill(); // fails if one survives SIGKILL
    } finally {
      try {
        postgres.close();
      } finally {
        net.close(); // zonky removed the data folder (clean-data-directory)
      }
    }
  }
}
