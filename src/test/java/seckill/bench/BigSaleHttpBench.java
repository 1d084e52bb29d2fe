package seckill.bench;

import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import seckill.Api;
import seckill.TestDatabases;
import seckill.TestNode;
import seckill.sale.Sale;

/**
 * A sale of {@code BIG_SALE_UNITS} units (10,000,000 by default) on a whole node, end to end: it is
 * filled to all but two units straight through its entity (the HTTP edge of this machine would take
 * about an hour for ten million), then served over HTTP as a buyer and an operator would use it:
 * reserve, the owner's lookup, a payment, "sold out" for the next buyer; every unpaid hold expires
 * ({@code BIG_SALE_HOLD}, 240 s after it was made) and the units are back; the owner sees EXPIRED,
 * the payer still PAID, a new buyer reserves again; then the node restarts and the sale recovers.
 * Prints the time of each step. H2 file by default, PostgreSQL with {@code BIG_SALE_JOURNALS=PostgreSQL}.
 * Not a test: run with load-tests/big-sale-http.sh (issue "Big sales").
 */
public final class BigSaleHttpBench {

  private static final int BATCH = 1_000;
  private static final String SALE = "mega";

  private BigSaleHttpBench() {}

  public static void main(String[] args) throws Exception {
    int units = Integer.parseInt(System.getenv().getOrDefault("BIG_SALE_UNITS", "10000000"));
    long holdSeconds = Long.parseLong(System.getenv().getOrDefault("BIG_SALE_HOLD", "240"));
    boolean postgres = System.getenv().getOrDefault("BIG_SALE_JOURNALS", "H2 file").startsWith("PostgreSQL");
    Config db = postgres ? TestDatabases.postgres() : TestDatabases.h2();
    String journal = postgres ? "PostgreSQL" : "H2 file";
    List<String> lines = new ArrayList<>();

    TestNode node = TestNode.start(db);
    Api api = new Api(node.baseUrl);
    api.defineSale(SALE, Api.sale(units, 1, "HOLD", holdSeconds));
    long start = System.nanoTime();
    fill(node, units - 2);
    lines.add(step("filled " + String.format("%,d", units - 2) + " holds through the entity", start));

    start = System.nanoTime();
    Api.Response payer = expect(api.reserve(SALE, api.token("http-payer"), "r1", 1), 201, "reserve");
    String paidId = payer.json().get("reservationId").asText();
    String payerToken = api.token("http-payer");
    expect(api.get("/api/reservations/" + paidId, payerToken), 200, "owner lookup");
    Api.Response paid = expect(api.admin("POST", "/admin/reservations/" + paidId + "/payment", "{\"paymentId\":\"pay-1\"}"),
        200, "payment");
    check("PAID".equals(paid.json().get("status").asText()), "paid: " + paid.text());
    String lateToken = api.token("http-late");
    String lateId = expect(api.reserve(SALE, lateToken, "r1", 1), 201, "last unit").json().get("reservationId").asText();
    expect(api.reserve(SALE, api.token("http-too-late"), "r1", 1), 410, "sold out");
    lines.add(step("over HTTP: reserve, owner lookup, payment, the last unit, sold out", start));

    // every unpaid hold expires: the first ones made hold seconds after the fill began
    start = System.nanoTime();
    Sale.Status s = awaitStatus(node, st -> st.held() == 0, Duration.ofSeconds(holdSeconds + 600));
    check(s.available() == units - 1 && s.sold() == 1, "after expiry: " + s);
    lines.add(step("waited for every hold to expire (" + String.format("%,d", units - 1) + " holds, " + holdSeconds
        + " s each)", start));
    start = System.nanoTime();
    Api.Response late = expect(api.get("/api/reservations/" + lateId, lateToken), 200, "expired lookup");
    check("EXPIRED".equals(late.json().get("status").asText()), "late: " + late.text());
    Api.Response stillPaid = expect(api.get("/api/reservations/" + paidId, payerToken), 200, "paid lookup");
    check("PAID".equals(stillPaid.json().get("status").asText()), "paid: " + stillPaid.text());
    expect(api.reserve(SALE, api.token("http-after"), "r1", 1), 201, "reserve after expiry");
    lines.add(step("over HTTP: EXPIRED and PAID looked up by their owners, a unit reserved again", start));

    node.close();
    start = System.nanoTime();
    TestNode again = TestNode.start(db);
    Api api2 = new Api(again.baseUrl);
    Sale.Status recovered = awaitStatus(again, st -> st.definition() != null, Duration.ofSeconds(600));
    lines.add(step("node restarted, sale recovered (" + String.format("%,d", recovered.reservations()) + " reservations)",
        start));
    check(recovered.sold() == 1 && recovered.held() == 1, "recovered: " + recovered);
    start = System.nanoTime();
    expect(api2.get("/api/reservations/" + paidId, api2.token("http-payer")), 200, "lookup after restart");
    lines.add(step("over HTTP after the restart: the paid reservation looked up", start));
    again.close();

    System.out.println();
    System.out.printf("big sale over HTTP, %s: %,d units, HOLD %d s, limit 1%n", journal, units, holdSeconds);
    System.out.println("| step | seconds |");
    System.out.println("|---|---:|");
    lines.forEach(System.out::println);
    System.exit(0);
  }

  private static void fill(TestNode node, int total) throws Exception {
    EntityRef<Sale.Command> sale = ClusterSharding.get(node.system).entityRefFor(Sale.ENTITY_KEY, SALE);
    int buyer = 0;
    long chunkStart = System.nanoTime();
    while (buyer < total) {
      int n = Math.min(BATCH, total - buyer);
      int first = buyer;
      buyer += n;
      // the replies of one batch, gathered by a small collector actor: one batch in flight
      Integer reserved = AskPattern.<Sale.Command, Integer>ask(sale, replyTo -> {
        List<Sale.Reserve> requests = new ArrayList<>(n);
        var collector = Collector.spawn(node, n, replyTo);
        for (int i = 0; i < n; i++) requests.add(new Sale.Reserve("buyer-" + (first + i), "r", 1, collector));
        return new Sale.ReserveBatch(requests, null);
      }, Duration.ofSeconds(120), node.system.scheduler()).toCompletableFuture().get(130, TimeUnit.SECONDS);
      if (reserved != n) throw new IllegalStateException("batch at " + first + ": " + reserved + " of " + n + " reserved");
      if (buyer % 1_000_000 == 0 || buyer == total) {
        System.out.printf("%,d holds, this million at %.0f/s%n", buyer, Math.min(1_000_000, buyer) / ((System.nanoTime() - chunkStart) / 1e9));
        chunkStart = System.nanoTime();
      }
    }
  }

  /** Counts one batch's replies and answers how many were reservations. */
  private static final class Collector {
    private static final java.util.concurrent.atomic.AtomicLong NEXT = new java.util.concurrent.atomic.AtomicLong();

    static org.apache.pekko.actor.typed.ActorRef<Sale.ReserveReply> spawn(TestNode node, int n,
        org.apache.pekko.actor.typed.ActorRef<Integer> done) {
      int[] counts = new int[2];
      return node.system.systemActorOf(
          org.apache.pekko.actor.typed.javadsl.Behaviors.<Sale.ReserveReply>receiveMessage(reply -> {
            if (reply instanceof Sale.Reserved) counts[0]++;
            if (++counts[1] == n) {
              done.tell(counts[0]);
              return org.apache.pekko.actor.typed.javadsl.Behaviors.stopped();
            }
            return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
          }), "collector-" + NEXT.incrementAndGet(), org.apache.pekko.actor.typed.Props.empty());
    }
  }

  private static Sale.Status awaitStatus(TestNode node, java.util.function.Predicate<Sale.Status> until, Duration patience)
      throws Exception {
    EntityRef<Sale.Command> sale = ClusterSharding.get(node.system).entityRefFor(Sale.ENTITY_KEY, SALE);
    long deadline = System.nanoTime() + patience.toNanos();
    while (true) {
      try {
        Sale.Status s = AskPattern.<Sale.Command, Sale.Status>ask(sale, Sale.GetStatus::new, Duration.ofSeconds(60),
            node.system.scheduler()).toCompletableFuture().get(70, TimeUnit.SECONDS);
        if (until.test(s)) return s;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) throw e;
      }
      if (System.nanoTime() > deadline) throw new IllegalStateException("not reached within " + patience);
      Thread.sleep(500);
    }
  }

  private static Api.Response expect(Api.Response r, int status, String what) {
    check(r.status() == status, what + ": expected " + status + ", got " + r.status() + " " + r.text());
    return r;
  }

  private static void check(boolean ok, String message) {
    if (!ok) throw new IllegalStateException(message);
  }

  private static String step(String what, long startNanos) {
    String line = String.format("| %s | %.1f |", what, (System.nanoTime() - startNanos) / 1e9);
    System.out.println(Instant.now() + " " + line);
    return line;
  }
}
