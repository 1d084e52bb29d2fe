package seckill.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import seckill.Api;
import seckill.BuyerSwarm;
import seckill.BuyerSwarm.Retry;
import seckill.NodeProcess;
import seckill.TestKafka;
import seckill.TestPorts;
import seckill.TestPostgres;
import seckill.orders.TopicReader;
import seckill.orders.TopicReader.Rec;

/**
 * One node process on a PostgreSQL and a Kafka broker of the test's own, and each of the three
 * killed with SIGKILL in turn during a sale: the node while its projection publishes orders, the
 * database (every server process), the broker. Nothing answered 201 is lost or doubled, every order
 * reaches the topic, and a record published twice is the same bytes both times.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DownstreamCrashIT {

  private static final int STOCK = 100_000;
  private static final String ORDERS = "seckill.orders";

  private TestPostgres postgres;
  private TestKafka kafka;
  private NodeProcess node;
  private Api api;

  @BeforeAll
  void start() throws Exception {
    postgres = TestPostgres.start();
    kafka = TestKafka.start();
    Map<String, String> settings = new HashMap<>();
    postgres.config().entrySet().forEach(e -> settings.put(e.getKey(), e.getValue().unwrapped().toString()));
    settings.put("seckill.kafka.bootstrap-servers", kafka.bootstrap);
    settings.put("seckill.kafka.restart-backoff.min", "200ms");
    settings.put("seckill.kafka.restart-backoff.max", "1s");
    // offsets are saved rarely, so the kill always lands between a publish and its saved offset:
    // what was published before it is published again, and the copies must be the same bytes
    settings.put("seckill.kafka.save-offset.after-envelopes", "1000000");
    settings.put("seckill.kafka.save-offset.after-duration", "10m");
    node = NodeProcess.create("downstream-crash", TestPorts.reserve(), settings).start();
    api = node.api();
  }

  @AfterAll
  void stop() throws Exception {
    if (node != null) node.close();
    if (kafka != null) kafka.close();
    if (postgres != null) postgres.close();
  }

  private String openSale(String saleId) {
    api.defineSale(saleId, Api.sale(STOCK, 1, "ON_ORDER", null));
    return api.reservePath(saleId);
  }

  @Test
  @Order(1)
  void killingTheNodeWhileItPublishesLosesNoOrderAndRepeatsAreIdentical() throws Exception {
    String path = openSale("published");
    BuyerSwarm buyers = BuyerSwarm.keepReserving("p-b", BuyerSwarm.roundRobin(List.of(api)), path, 16, Retry.NONE);
    buyers.awaitAcknowledged(100, Duration.ofSeconds(60));
    // while buyers keep reserving: the projection has published some of this sale's orders
    TopicReader.readUntil(kafka.bootstrap, ORDERS, got -> got.stream()
        .anyMatch(r -> r.type().equals("reservation.placed") && r.key().startsWith("published.")), Duration.ofSeconds(30));
    Thread.sleep(ThreadLocalRandom.current().nextLong(0, 300)); // the kill's random moment is the point
    node.kill();
    buyers.close();
    assertEquals(List.of(), buyers.unexpected);
    node.start();
    api.awaitState("published", "OPEN");
    Map<String, String> acknowledged = new ConcurrentHashMap<>(buyers.acknowledged);
    NothingLostOrDoubled.verify(api, "published", STOCK, buyers.attempted, acknowledged);
    int repeats = assertEveryOrderOnTheTopic(Set.copyOf(acknowledged.values()));
    assertTrue(repeats > 0, "the kill came between publishing and saving the offset, so records were published again");
    System.out.printf("DOWNSTREAM node killed while publishing: %d orders on the topic, %d records published again%n",
        acknowledged.size(), repeats);
  }

  @Test
  @Order(2)
  void aDatabaseCrashGivesFast503sAndTheNodeRecoversWithoutARestart() throws Exception {
    String path = openSale("db-crash");
    long pid = node.pid();
    BuyerSwarm buyers = BuyerSwarm.keepReserving("d-b", BuyerSwarm.roundRobin(List.of(api)), path, 8, Retry.EAGER);
    buyers.awaitAcknowledged(50, Duration.ofSeconds(60));
    postgres.kill();
    int atCrash = buyers.acknowledged.size();
    int unavailableBefore = buyers.serviceUnavailable.get();
    Thread.sleep(5000); // the outage under test lasts 5 s: what buyers get meanwhile is measured
    int duringOutage = buyers.acknowledged.size() - atCrash;
    int refusedDuringOutage = buyers.serviceUnavailable.get() - unavailableBefore;
    double slowest503 = buyers.slowest503Seconds();
    long restartedAt = System.nanoTime();
    postgres.startServer();
    buyers.awaitAcknowledged(buyers.acknowledged.size() + 50, Duration.ofSeconds(60));
    double recoveredAfter = (System.nanoTime() - restartedAt) / 1e9;
    buyers.close();
    System.out.printf("DOWNSTREAM database killed for 5 s: %d 201s (in flight at the crash) and %d 503s during the"
            + " outage, slowest 503 %.1f s; 201s again %.1f s after the database was back%n", duringOutage,
        refusedDuringOutage, slowest503, recoveredAfter);

    assertEquals(List.of(), buyers.unexpected, "only 201 and 503 during the outage: no 500, no other answer");
    assertTrue(refusedDuringOutage > 0, "the outage was answered 503");
    assertTrue(slowest503 <= 5.0, "503s came fast, not after a hang: slowest " + slowest503 + " s");
    assertEquals(pid, node.pid(), "the node recovered by itself, without a restart");
    Map<String, String> acknowledged = new ConcurrentHashMap<>(buyers.acknowledged);
    NothingLostOrDoubled.verify(api, "db-crash", STOCK, buyers.attempted, acknowledged);
    assertEveryOrderOnTheTopic(Set.copyOf(acknowledged.values()));
  }

  @Test
  @Order(3)
  void aBrokerCrashLeavesReservesUnaffectedAndTheBacklogIsPublishedAfter() throws Exception {
    String path = openSale("broker-crash");
    BuyerSwarm buyers = BuyerSwarm.keepReserving("k-b", BuyerSwarm.roundRobin(List.of(api)), path, 8, Retry.EAGER);
    buyers.awaitAcknowledged(50, Duration.ofSeconds(60));
    kafka.kill();
    int atCrash = buyers.acknowledged.size();
    buyers.awaitAcknowledged(atCrash + 200, Duration.ofSeconds(30));
    buyers.close();
    kafka.startBroker();
    assertEquals(List.of(), buyers.unexpected);
    assertEquals(0, buyers.serviceUnavailable.get(), "reserves do not need the broker");
    Map<String, String> acknowledged = new ConcurrentHashMap<>(buyers.acknowledged);
    NothingLostOrDoubled.verify(api, "broker-crash", STOCK, buyers.attempted, acknowledged);
    int repeats = assertEveryOrderOnTheTopic(Set.copyOf(acknowledged.values()));
    System.out.printf("DOWNSTREAM broker killed: %d orders placed while it was down, all published after;"
        + " %d records published again%n", buyers.acknowledged.size() - atCrash, repeats);
  }

  /** Every reservation has its reservation.placed record; copies of one record are byte-identical. Returns the copies. */
  private int assertEveryOrderOnTheTopic(Set<String> reservationIds) {
    List<Rec> records = TopicReader.readUntil(kafka.bootstrap, ORDERS, got -> got.stream()
        .filter(r -> r.type().equals("reservation.placed")).map(Rec::key).collect(Collectors.toSet())
        .containsAll(reservationIds), Duration.ofSeconds(90));
    Set<String> published = records.stream().filter(r -> r.type().equals("reservation.placed")).map(Rec::key)
        .collect(Collectors.toSet());
    Set<String> missing = new HashSet<>(reservationIds);
    missing.removeAll(published);
    assertTrue(missing.isEmpty(), missing.size() + " orders never reached the topic, e.g. " + missing.stream().limit(3).toList());
    Map<String, Set<String>> copies = records.stream().collect(Collectors.groupingBy(r -> r.value().get("eventId").asText(),
        Collectors.mapping(Rec::raw, Collectors.toSet())));
    copies.forEach((eventId, raws) -> assertEquals(1, raws.size(), "copies of " + eventId + " differ: " + raws));
    return records.size() - copies.size();
  }
}
