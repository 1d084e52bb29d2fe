package seckill.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import seckill.TestDatabases;
import seckill.TestNode;
import seckill.journal.Journal;
import seckill.sale.DeductionMode;
import seckill.sale.Sale;
import seckill.sale.SaleDefinition;
import seckill.sale.SaleSettings;

/**
 * A big sale, the entity alone (no HTTP, no sharding): one sale of {@code BIG_SALE_RESERVATIONS}
 * units (1,000,000 by default) sold to as many buyers in batches of {@code BIG_SALE_BATCH} (1,000),
 * one batch in flight, on an H2 file and on PostgreSQL (embedded binaries, {@code BIG_SALE_JOURNALS}
 * to pick), after a warm-up sale of {@code BIG_SALE_WARM_UP} (200,000) that is not counted. Prints
 * the rate of every 100,000-reservation chunk, the slowest batch of each chunk (a snapshot shows as
 * a stall), the heap the live sale holds per reservation (used heap after full GCs with the sale
 * alive, minus the same after it stopped), how long the sale takes to recover, and how long from
 * its events alone (its snapshots deleted). Not a test: run with load-tests/big-sale.sh (issue "Big sales").
 */
public final class BigSaleBench {

  private static final int BATCH = Integer.parseInt(System.getenv().getOrDefault("BIG_SALE_BATCH", "1000"));
  private static final int CHUNK = 100_000;

  private BigSaleBench() {}

  public static void main(String[] args) throws Exception {
    int total = Integer.parseInt(System.getenv().getOrDefault("BIG_SALE_RESERVATIONS", "1000000"));
    int warmUp = Integer.parseInt(System.getenv().getOrDefault("BIG_SALE_WARM_UP", "200000"));
    List<String> databases = List.of(System.getenv().getOrDefault("BIG_SALE_JOURNALS", "H2 file,PostgreSQL").split(","));
    List<String> summary = new ArrayList<>();
    for (String db : databases) {
      Config dbConfig = db.startsWith("H2") ? TestDatabases.h2() : TestDatabases.postgres();
      Config config = TestNode.config(dbConfig, ConfigFactory.parseString("pekko.actor.provider = local\npekko.loglevel = WARNING"));
      Journal.prepare(config);
      ActorTestKit kit = ActorTestKit.create("big-sale", config);
      SaleSettings settings = SaleSettings.fromConfig(config.getConfig("seckill.sale"));
      try {
        if (warmUp > 0) {
          System.out.printf("%s: warm-up sale of %,d reservations (not counted)%n", db, warmUp);
          run(db, kit, settings, warmUp, config, false);
        }
        summary.add(run(db, kit, settings, total, config, true));
      } finally {
        kit.shutdownTestKit();
      }
    }
    System.out.println();
    Config sale = ConfigFactory.load().getConfig("seckill.sale");
    System.out.printf("big sale: one entity, %,d reservations in batches of %,d, one batch in flight, a snapshot after %d events"
        + " and %.0f%% of the sale changed, after a warm-up sale of %,d%n", total, BATCH, sale.getInt("snapshot-every"),
        100 * sale.getDouble("snapshot-after-share"), warmUp);
    System.out.println("| journal | first chunk /s | slowest chunk /s | fastest chunk /s | longest batch ms | heap per reservation"
        + " | recovery s | recovery from events alone s |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
    summary.forEach(System.out::println);
    System.exit(0);
  }

  private static String run(String db, ActorTestKit kit, SaleSettings settings, int total, Config config, boolean report)
      throws Exception {
    String saleId = "big-" + System.nanoTime();
    long heapBefore = usedHeapAfterGc();
    ActorRef<Sale.Command> sale = kit.spawn(Sale.create(saleId, settings, kit.system().ignoreRef()));
    TestProbe<Sale.Confirmation> probe = kit.createTestProbe();
    Instant now = Instant.now();
    sale.tell(new Sale.Define(new SaleDefinition("big", "", BigDecimal.ONE, "EUR", total, now.minusSeconds(1),
        now.plusSeconds(86_400), 1, DeductionMode.ON_ORDER, null), probe.ref()));
    probe.expectMessageClass(Sale.Accepted.class, Duration.ofSeconds(30));

    AtomicInteger remaining = new AtomicInteger();
    AtomicInteger reserved = new AtomicInteger();
    AtomicReference<CompletableFuture<Void>> done = new AtomicReference<>();
    ActorRef<Sale.ReserveReply> collector = kit.spawn(Behaviors.receiveMessage(reply -> {
      if (reply instanceof Sale.Reserved) reserved.incrementAndGet();
      if (remaining.decrementAndGet() == 0) done.get().complete(null);
      return Behaviors.same();
    }));
    List<Double> rates = new ArrayList<>();
    List<Double> longest = new ArrayList<>();
    int buyer = 0;
    long chunkStart = System.nanoTime();
    long chunkLongest = 0;
    while (buyer < total) {
      int n = Math.min(BATCH, total - buyer);
      List<Sale.Reserve> requests = new ArrayList<>(n);
      for (int i = 0; i < n; i++) requests.add(new Sale.Reserve("buyer-" + (++buyer), "r", 1, collector));
      CompletableFuture<Void> f = new CompletableFuture<>();
      done.set(f);
      remaining.set(n);
      long sent = System.nanoTime();
      sale.tell(new Sale.ReserveBatch(requests, null));
      f.get(120, TimeUnit.SECONDS);
      chunkLongest = Math.max(chunkLongest, System.nanoTime() - sent);
      if (buyer % CHUNK == 0 || buyer == total) {
        double seconds = (System.nanoTime() - chunkStart) / 1e9;
        rates.add((buyer % CHUNK == 0 ? CHUNK : buyer % CHUNK) / seconds);
        longest.add(chunkLongest / 1e6);
        if (report) System.out.printf("%s: %,d reserved, this chunk %.0f/s, its longest batch %.1f ms%n", db, buyer,
            rates.get(rates.size() - 1), chunkLongest / 1e6);
        chunkStart = System.nanoTime();
        chunkLongest = 0;
      }
    }
    if (reserved.get() != total) throw new IllegalStateException("reserved " + reserved.get() + " of " + total);
    if (!report) {
      kit.stop(sale);
      kit.stop(collector);
      return "";
    }
    // a snapshot may still be on its way to the database (written behind the sale, its bytes in the
    // heap meanwhile): wait till the latest snapshot in the database has not changed for 5 s
    long latest = -1;
    for (long unchangedSince = System.nanoTime(); System.nanoTime() - unchangedSince < 5_000_000_000L; Thread.sleep(500)) {
      long seen = latestSnapshot(config, saleId);
      if (seen != latest) {
        latest = seen;
        unchangedSince = System.nanoTime();
      }
    }
    long heapLive = usedHeapAfterGc();
    kit.stop(sale);
    long heapStopped = usedHeapAfterGc();
    // what stopping the sale frees: its state (the journal's own caches, H2's pages, stay)
    double perReservation = (double) (heapLive - heapStopped) / total;
    System.out.printf("%s: heap %,d MB before, %,d MB with the sale alive, %,d MB after it stopped: %.0f bytes per reservation%n",
        db, heapBefore >> 20, heapLive >> 20, heapStopped >> 20, perReservation);

    // recovery: a new incarnation of the same sale, from its snapshot and the events after it
    double recovery = recover(db, kit, settings, saleId, total, "snapshot");
    // and from the events alone: what a snapshot saves
    try (Connection c = Journal.connect(config);
        PreparedStatement st = c.prepareStatement("DELETE FROM \"snapshot\" WHERE \"persistence_id\" = ?")) {
      st.setString(1, "Sale|" + saleId);
      st.executeUpdate();
    }
    double fromEvents = recover(db, kit, settings, saleId, total, "events");
    kit.stop(collector);

    double first = rates.get(0);
    return String.format("| %s | %.0f | %.0f | %.0f | %.0f | %.0f B | %.2f | %.2f |", db, first,
        rates.stream().mapToDouble(Double::doubleValue).min().orElse(0),
        rates.stream().mapToDouble(Double::doubleValue).max().orElse(0),
        longest.stream().mapToDouble(Double::doubleValue).max().orElse(0), perReservation, recovery, fromEvents);
  }

  /** Recovers the sale; with BIG_SALE_PROFILE (a folder) a JFR profile of just this recovery is written there. */
  private static double recover(String db, ActorTestKit kit, SaleSettings settings, String saleId, int total, String from)
      throws Exception {
    String profileDir = System.getenv("BIG_SALE_PROFILE");
    Recording profile = null;
    if (profileDir != null) {
      profile = new Recording(Configuration.getConfiguration("profile"));
      profile.start();
    }
    long start = System.nanoTime();
    ActorRef<Sale.Command> again = kit.spawn(Sale.create(saleId, settings, kit.system().ignoreRef()));
    TestProbe<Sale.Status> status = kit.createTestProbe();
    again.tell(new Sale.GetStatus(status.ref()));
    Sale.Status recovered = status.expectMessageClass(Sale.Status.class, Duration.ofSeconds(300));
    double seconds = (System.nanoTime() - start) / 1e9;
    if (recovered.sold() != total) throw new IllegalStateException("recovered " + recovered.sold() + " sold of " + total);
    System.out.printf("%s: recovered %,d sold in %.2f s%n", db, recovered.sold(), seconds);
    if (profile != null) {
      profile.stop();
      Path file = Path.of(profileDir, "recovery-" + db.replace(' ', '-') + "-" + from + ".jfr");
      Files.createDirectories(file.getParent());
      profile.dump(file);
      profile.close();
      System.out.printf("%s: profile of the recovery from %s in %s%n", db, from, file);
    }
    kit.stop(again);
    return seconds;
  }

  private static long latestSnapshot(Config config, String saleId) throws Exception {
    try (Connection c = Journal.connect(config);
        PreparedStatement st = c.prepareStatement(
            "SELECT COALESCE(MAX(\"sequence_number\"), 0) FROM \"snapshot\" WHERE \"persistence_id\" = ?")) {
      st.setString(1, "Sale|" + saleId);
      try (var rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return rt.totalMemory() - rt.freeMemory();
  }
}
