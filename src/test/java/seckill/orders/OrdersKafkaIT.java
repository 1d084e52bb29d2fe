package seckill.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static seckill.orders.TopicReader.count;
import static seckill.orders.TopicReader.distinctKeys;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.Await;
import seckill.BuyerSwarm;
import seckill.TestDatabases;
import seckill.TestKafka;
import seckill.TestNode;
import seckill.journal.Journal;
import seckill.orders.TopicReader.Rec;

/** Orders out and payments in, through a real KRaft broker: nothing lost, nothing doubled that differs. */
@ExtendWith(LogCapturingExtension.class)
class OrdersKafkaIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final AtomicInteger RUN = new AtomicInteger();
  private static TestKafka kafka;

  @BeforeAll
  static void startBroker() throws Exception {
    kafka = TestKafka.start();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    kafka.close();
  }

  /** Topic names of their own for each test, so one test's records never count in another's. */
  private record Topics(String orders, String sales, String payments, String deadLetter, Config config) {
    static Topics fresh(String extra) {
      String p = "t" + RUN.incrementAndGet() + ".";
      return new Topics(p + "orders", p + "sales", p + "payments", p + "dead", ConfigFactory.parseString(
          "seckill.kafka { bootstrap-servers = \"" + kafka.bootstrap + "\"\n"
              + "topics { orders = \"" + p + "orders\", sales = \"" + p + "sales\", payments = \"" + p + "payments\","
              + " payments-dead-letter = \"" + p + "dead\", partitions = 3 }\n"
              + "payments-group = \"" + p + "group\"\n"
              + "restart-backoff { min = 200ms, max = 1s }\n}\n" + extra));
    }
  }

  private static List<String> reserveAll(Api api, String saleId, int buyers) throws Exception {
    return reserveAll(api, saleId, "buyer-", buyers);
  }

  private static List<String> reserveAll(Api api, String saleId, String prefix, int buyers) throws Exception {
    try (BuyerSwarm swarm = new BuyerSwarm(16)) {
      List<CompletableFuture<Response>> answers = new ArrayList<>();
      for (int i = 0; i < buyers; i++) {
        String buyer = prefix + i;
        String token = api.token(buyer);
        answers.add(swarm.send(() -> api.reserve(saleId, token, "r-" + buyer, 1)));
      }
      List<String> ids = new ArrayList<>();
      for (CompletableFuture<Response> a : answers) {
        Response r = a.get(30, TimeUnit.SECONDS);
        assertEquals(201, r.status(), r.text());
        ids.add(r.json().get("reservationId").asText());
      }
      return ids;
    }
  }

  private static void pay(List<String[]> keyAndValue, String topic) throws Exception {
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
        new StringSerializer(), new StringSerializer())) {
      for (String[] kv : keyAndValue) producer.send(new ProducerRecord<>(topic, kv[0], kv[1])).get(30, TimeUnit.SECONDS);
    }
  }

  private static String[] payment(String reservationId, String paymentId, String status) {
    return new String[] {reservationId,
        "{\"reservationId\":\"" + reservationId + "\",\"paymentId\":\"" + paymentId + "\",\"status\":\"" + status + "\"}"};
  }

  private static String statusOf(Api api, String reservationId) {
    return api.admin("GET", "/admin/reservations/" + reservationId, null).json().get("status").asText();
  }

  /** Polls {@code done} until it holds, failing with {@code what} after {@link #WAIT}. */
  private static void await(String what, BooleanSupplier done) throws InterruptedException {
    Await.until(WAIT, what, done);
  }

  private static void awaitStatus(Api api, String reservationId, String status) throws InterruptedException {
    await(reservationId + " never became " + status, () -> status.equals(statusOf(api, reservationId)));
  }

  private static void forgetSavedOffsets(Config db) throws Exception {
    try (Connection c = Journal.connect(db);
        PreparedStatement delete = c.prepareStatement(
            "DELETE FROM pekko_projection_offset_store WHERE projection_name = ?")) {
      delete.setString(1, OrdersToKafka.PROJECTION_NAME);
      delete.executeUpdate();
    }
  }

  private static boolean committedToEnd(Admin admin, Topics t) {
    try {
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(
          t.payments().replace("payments", "group")).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
      long committedTotal = committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum();
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int p = 0; p < 3; p++) latest.put(new TopicPartition(t.payments(), p), OffsetSpec.latest());
      long end = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS).values().stream()
          .mapToLong(o -> o.offset()).sum();
      return committedTotal == end;
    } catch (Exception e) {
      throw new IllegalStateException("cannot read the group's offsets", e);
    }
  }

  @Test
  void reservationsPaymentsAndExpiriesAllReachTheOrdersTopic() throws Exception {
    Topics t = Topics.fresh("");
    try (TestNode node = TestNode.start(TestDatabases.h2(), t.config())) {
      Api api = node.api();
      api.defineSale("kafka-e2e", Api.sale(20, 1, "HOLD", 4L));
      List<String> ids = reserveAll(api, "kafka-e2e", 12);

      List<Rec> placed = TopicReader.readUntil(kafka.bootstrap, t.orders(),
          recs -> distinctKeys(recs, "reservation.placed") == 12, WAIT);
      assertEquals(12, count(placed, "reservation.placed"), "exactly one record per reservation");
      assertEquals(Set.copyOf(ids), Set.copyOf(placed.stream().map(Rec::key).toList()));
      Rec first = placed.get(0);
      assertEquals(1, first.value().get("version").asInt());
      assertEquals("HOLD", first.value().get("mode").asText());
      assertEquals("HELD", first.value().get("status").asText());
      assertTrue(first.value().hasNonNull("expiresAt"));
      assertEquals("kafka-e2e", first.value().get("saleId").asText());

      List<String[]> payments = new ArrayList<>();
      for (int i = 0; i < 5; i++) payments.add(payment(ids.get(i), "pay-" + i, "SUCCEEDED"));
      pay(payments, t.payments());
      for (int i = 0; i < 5; i++) awaitStatus(api, ids.get(i), "PAID");

      List<Rec> all = TopicReader.readUntil(kafka.bootstrap, t.orders(),
          recs -> count(recs, "reservation.paid") >= 5 && count(recs, "reservation.expired") >= 7, WAIT);
      assertEquals(5, distinctKeys(all, "reservation.paid"));
      assertEquals(Set.copyOf(ids.subList(5, 12)), Set.copyOf(all.stream()
          .filter(r -> r.type().equals("reservation.expired")).map(Rec::key).toList()), "the unpaid holds expired");
      for (Rec r : all) assertEquals(r.key(), r.value().get("reservationId").asText(), "keyed by reservation id");
      Response counters = api.admin("GET", "/admin/sales/kafka-e2e", null);
      assertEquals(5, counters.json().get("sold").asInt());
      assertEquals(15, counters.json().get("available").asInt());

      List<Rec> sales = TopicReader.readUntil(kafka.bootstrap, t.sales(), recs -> !recs.isEmpty(), WAIT);
      assertEquals("sale.defined", sales.get(0).type());
      assertEquals("kafka-e2e", sales.get(0).key());
    }
  }

  @Test
  void restartingTheNodeWhilePublishingLosesNoOrderAndRepeatsOnlyIdenticalRecords() throws Exception {
    // offsets are saved rarely, as if the node died between the broker's acknowledgement and the offset
    Topics t = Topics.fresh("seckill.kafka.save-offset { after-envelopes = 10000, after-duration = 1h }");
    Config db = TestDatabases.postgres(); // the projection's offsets on PostgreSQL too (the others run on H2)
    List<String> ids;
    try (TestNode node = TestNode.start(db, t.config())) {
      node.api().defineSale("kafka-restart", Api.sale(300, 1, "ON_ORDER", null));
      ids = new ArrayList<>(reserveAll(node.api(), "kafka-restart", 80));
      // stop while the projection is still sending (or just after): the next node must finish the job
      TopicReader.readUntil(kafka.bootstrap, t.orders(), recs -> !recs.isEmpty(), WAIT);
    }
    // A graceful stop may still flush the offset of what it sent; a crash would not. Take the saved
    // offsets back so the next node sees what a crash leaves: records on the broker, no offset for them.
    forgetSavedOffsets(db);
    try (TestNode node = TestNode.start(db, t.config())) {
      node.api().awaitState("kafka-restart", "OPEN");
      List<Rec> all = TopicReader.readUntil(kafka.bootstrap, t.orders(),
          recs -> distinctKeys(recs, "reservation.placed") == ids.size(), WAIT);
      assertEquals(Set.copyOf(ids), Set.copyOf(all.stream().map(Rec::key).toList()), "every order is there");
      Map<String, String> byEventId = new HashMap<>();
      int duplicates = 0;
      for (Rec r : all) {
        String earlier = byEventId.putIfAbsent(r.value().get("eventId").asText(), r.raw());
        if (earlier != null) {
          duplicates++;
          assertEquals(earlier, r.raw(), "a repeated record is the same record");
        }
      }
      assertTrue(duplicates > 0, "offsets were never saved, so the second node published again");
      assertEquals(ids.size(), all.size() - duplicates);
    }
  }

  @Test
  void reservesWorkWhileTheBrokerIsDownAndTheBacklogIsPublishedWhenItReturns() throws Exception {
    Topics t = Topics.fresh("");
    try (TestNode node = TestNode.start(TestDatabases.h2(), t.config())) {
      Api api = node.api();
      api.defineSale("kafka-down", Api.sale(50, 1, "ON_ORDER", null));
      List<String> ids = new ArrayList<>(reserveAll(api, "kafka-down", 5));
      TopicReader.readUntil(kafka.bootstrap, t.orders(), recs -> recs.size() == 5, WAIT);

      kafka.stop();
      try {
        List<String> later = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          String buyer = "late-" + i;
          Response r = api.reserve("kafka-down", api.token(buyer), "r-" + buyer, 1);
          assertEquals(201, r.status(), "reserving never waits for Kafka: " + r.text());
          later.add(r.json().get("reservationId").asText());
        }
        ids.addAll(later);
        Response ready = new Api(node.managementUrl()).get("/ready", null);
        assertNotEquals(200, ready.status(), "not ready while Kafka is away: " + ready.text());
      } finally {
        kafka.startBroker();
      }
      List<Rec> all = TopicReader.readUntil(kafka.bootstrap, t.orders(),
          recs -> distinctKeys(recs, "reservation.placed") == 15, WAIT);
      assertEquals(Set.copyOf(ids), Set.copyOf(all.stream().map(Rec::key).toList()));
      await("ready again once Kafka is back", () -> new Api(node.managementUrl()).get("/ready", null).status() == 200);
    }
  }

  @Test
  void paymentConsumerIgnoresDuplicatesUnknownAndLatePaymentsAndDeadLettersMalformedOnes() throws Exception {
    Topics t = Topics.fresh("");
    try (TestNode node = TestNode.start(TestDatabases.h2(), t.config())) {
      Api api = node.api();
      api.defineSale("kafka-late", Api.sale(5, 1, "HOLD", 1L));
      String late = reserveAll(api, "kafka-late", 1).get(0);
      awaitStatus(api, late, "EXPIRED");
      api.defineSale("kafka-pay", Api.sale(5, 1, "HOLD", 600L));
      List<String> ids = reserveAll(api, "kafka-pay", 3);
      String paid = ids.get(0);
      String failed = ids.get(1);
      String afterwards = ids.get(2);

      String key = "one-partition"; // in order on one partition: a bad message must not block the next
      pay(List.of(
          new String[] {key, payment(paid, "p1", "SUCCEEDED")[1]},
          new String[] {key, payment(paid, "p1", "SUCCEEDED")[1]},
          new String[] {key, payment("kafka-pay.nosuchid", "p9", "SUCCEEDED")[1]},
          new String[] {key, payment("no-such-sale.abc", "p8", "SUCCEEDED")[1]},
          new String[] {key, payment(failed, "p2", "FAILED")[1]},
          new String[] {key, payment(late, "p3", "SUCCEEDED")[1]},
          new String[] {key, "this is not json"},
          new String[] {key, "{\"reservationId\":\"" + paid + "\"}"},
          new String[] {key, "{\"reservationId\":\"" + paid + "\",\"paymentId\":\"p4\",\"status\":\"MAYBE\"}"},
          new String[] {key, "{\"reservationId\":\"" + afterwards + "\",\"paymentId\":\"p5\",\"status\":\"SUCCEEDED\","
              + "\"amount\":\"49.00\"}"}), t.payments());

      awaitStatus(api, afterwards, "PAID");
      assertEquals("PAID", statusOf(api, paid));
      assertEquals("p1", api.admin("GET", "/admin/reservations/" + paid, null).json().get("paymentId").asText());
      assertEquals("PAYMENT_FAILED", statusOf(api, failed));
      assertEquals("EXPIRED", statusOf(api, late), "a late payment never revives an expired hold");
      Response counters = api.admin("GET", "/admin/sales/kafka-pay", null);
      assertEquals(2, counters.json().get("sold").asInt());
      assertEquals(0, counters.json().get("held").asInt());
      assertEquals(3, counters.json().get("available").asInt());

      List<Rec> dead = TopicReader.readUntil(kafka.bootstrap, t.deadLetter(), recs -> recs.size() >= 3, WAIT);
      assertEquals(3, dead.size());
      // dead letters are sent as their messages are handled, several at a time: compare them as a set
      Map<String, String> reasonByPayload = new HashMap<>();
      dead.forEach(d -> reasonByPayload.put(d.value().get("payload").asText(),
          d.value().get("reason").asText().startsWith("malformed JSON") ? "malformed JSON" : d.value().get("reason").asText()));
      assertEquals(Map.of(
          "this is not json", "malformed JSON",
          "{\"reservationId\":\"" + paid + "\"}", "paymentId must be 1 to 100 characters",
          "{\"reservationId\":\"" + paid + "\",\"paymentId\":\"p4\",\"status\":\"MAYBE\"}", "status must be SUCCEEDED or FAILED"),
          reasonByPayload);

      List<Rec> orders = TopicReader.readUntil(kafka.bootstrap, t.orders(),
          recs -> count(recs, "payment.rejected") >= 3 && count(recs, "reservation.paid") >= 2, WAIT);
      assertEquals(2, count(orders, "reservation.paid"), "the duplicate payment changed nothing");
      assertEquals(1, count(orders, "reservation.payment_failed"));
      Set<String> refused = new HashSet<>();
      orders.stream().filter(r -> r.type().equals("payment.rejected"))
          .forEach(r -> refused.add(r.key() + " " + r.value().get("reason").asText()));
      assertEquals(Set.of("kafka-pay.nosuchid RESERVATION_NOT_FOUND", "no-such-sale.abc RESERVATION_NOT_FOUND",
          late + " RESERVATION_EXPIRED"), refused);

      // every message was acknowledged: the group's committed offsets reach the end of the topic
      try (Admin admin = kafka.admin()) {
        await("the group committed every payment message", () -> committedToEnd(admin, t));
      }

      // read-only stops buyers and operators, not the payment system: a hold paid in time stays sold
      String paidInReadOnly = reserveAll(api, "kafka-pay", "ro-", 1).get(0);
      assertEquals(200, api.send("PATCH", "/admin/switches", Api.ADMIN_TOKEN, "{\"by\":\"t\",\"readOnly\":true}",
          Map.of()).status());
      assertEquals(503, api.reserve("kafka-pay", api.token("ro-late"), "r", 1).status(), "buyers are held off");
      pay(List.<String[]>of(payment(paidInReadOnly, "p6", "SUCCEEDED")), t.payments());
      awaitStatus(api, paidInReadOnly, "PAID");
    }
  }
}
