package seckill.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
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
 * One sale entity alone (no HTTP, no sharding): reservations per second with batches of 1, 10,
 * 100 and 1000 requests, one batch in flight, on an H2 file and on PostgreSQL (embedded binaries).
 * Not a test: run with load-tests/entity-bench.sh. Prints a table.
 */
public final class EntityBench {

  private EntityBench() {}

  public static void main(String[] args) throws Exception {
    int seconds = Integer.parseInt(System.getenv().getOrDefault("BENCH_SECONDS", "5"));
    int[] batches = {1, 10, 100, 1000};
    List<String> rows = new ArrayList<>();
    // the second row is H2's own lazy write (the default before WRITE_DELAY=0): what durability costs
    for (String db : List.of("H2 file", "H2 file, WRITE_DELAY=500", "PostgreSQL")) {
      Config dbConfig = db.startsWith("H2") ? TestDatabases.h2() : TestDatabases.postgres();
      if (db.endsWith("500")) {
        dbConfig = ConfigFactory.parseMap(java.util.Map.of(
            "seckill.db.url", dbConfig.getString("seckill.db.url").replace("WRITE_DELAY=0", "WRITE_DELAY=500"),
            "seckill.db.allow-unsafe-commits", "on")).withFallback(dbConfig);
      }
      Config config = TestNode.config(dbConfig, ConfigFactory.parseString("pekko.actor.provider = local\npekko.loglevel = WARNING"));
      Journal.prepare(config);
      ActorTestKit kit = ActorTestKit.create("bench", config);
      SaleSettings settings = SaleSettings.fromConfig(config.getConfig("seckill.sale"));
      try {
        for (int batch : batches) {
          ActorRef<Sale.Command> sale = kit.spawn(Sale.create("bench-" + batch, settings, kit.system().ignoreRef()));
          TestProbe<Sale.Confirmation> probe = kit.createTestProbe();
          Instant now = Instant.now();
          sale.tell(new Sale.Define(new SaleDefinition("bench", "", BigDecimal.ONE, "EUR", SaleDefinition.MAX_STOCK,
              now.minusSeconds(1), now.plusSeconds(3600), 1, DeductionMode.ON_ORDER, null), probe.ref()));
          probe.expectMessageClass(Sale.Accepted.class, Duration.ofSeconds(10));

          AtomicInteger remaining = new AtomicInteger();
          AtomicInteger accepted = new AtomicInteger();
          AtomicReference<CompletableFuture<Void>> done = new AtomicReference<>();
          ActorRef<Sale.ReserveReply> collector = kit.spawn(Behaviors.receiveMessage(reply -> {
            if (reply instanceof Sale.Reserved) accepted.incrementAndGet();
            if (remaining.decrementAndGet() == 0) done.get().complete(null);
            return Behaviors.same();
          }));
          AtomicInteger buyer = new AtomicInteger();
          Runnable oneBatch = () -> {
            List<Sale.Reserve> requests = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) requests.add(new Sale.Reserve("b" + buyer.incrementAndGet(), "r", 1, collector));
            CompletableFuture<Void> f = new CompletableFuture<>();
            done.set(f);
            remaining.set(batch);
            sale.tell(new Sale.ReserveBatch(requests, null));
            try {
              f.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          };
          long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
          while (System.nanoTime() < warmupEnd) oneBatch.run();
          accepted.set(0);
          long persists = 0;
          long start = System.nanoTime();
          long end = start + TimeUnit.SECONDS.toNanos(seconds);
          while (System.nanoTime() < end) {
            oneBatch.run();
            persists++;
          }
          double elapsed = (System.nanoTime() - start) / 1e9;
          String row = String.format("| %s | %d | %.0f | %.0f | %.2f |", db, batch, accepted.get() / elapsed,
              persists / elapsed, 1000.0 * elapsed / persists);
          System.out.println(row);
          rows.add(row);
          kit.stop(sale);
        }
      } finally {
        kit.shutdownTestKit();
      }
    }
    System.out.println();
    System.out.printf("seckill entity alone: one sale, one batch in flight, %d s per row (after 1 s warm-up)%n", seconds);
    System.out.println("| journal | batch | reservations/s | persists/s | ms per persist |");
    System.out.println("|---|---:|---:|---:|---:|");
    rows.forEach(System.out::println);
    System.exit(0);
  }
}
