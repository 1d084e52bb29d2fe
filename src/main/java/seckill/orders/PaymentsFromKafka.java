package seckill.orders;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.kafka.CommitterSettings;
import org.apache.pekko.kafka.ConsumerSettings;
import org.apache.pekko.kafka.Subscriptions;
import org.apache.pekko.kafka.javadsl.Committer;
import org.apache.pekko.kafka.javadsl.Consumer;
import org.apache.pekko.kafka.javadsl.SendProducer;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import seckill.sale.SaleViews;
import seckill.http.Json;
import seckill.sale.Sale;
import seckill.sale.SaleIds;

/**
 * Turns payment results from {@code seckill.payments} into confirm/fail commands on the sale. The
 * operator's read-only switch does not hold them back: holds keep expiring meanwhile, so a held-back
 * payment would come too late and the buyer who paid in time would get a refund instead of the unit. An
 * offset is committed only after the sale answered; a sale that does not answer fails the stream,
 * which restarts from the last commit (the commands are idempotent per payment id). Duplicates and
 * refusals are acknowledged without effect; malformed messages go to the dead-letter topic.
 */
public final class PaymentsFromKafka {

  private static final Logger log = LoggerFactory.getLogger(PaymentsFromKafka.class);

  /**
   * Strict on types like the HTTP API, but fields we do not know are ignored: the payment system may
   * add fields (amount, currency) without its successful payments being dead-lettered.
   */
  private static final ObjectMapper PAYMENTS = Json.MAPPER.copy()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** The payment system's message, keyed by reservation id: {@code status} is SUCCEEDED or FAILED. */
  public record PaymentMessage(String reservationId, String paymentId, String status) {}

  /** What the dead-letter topic holds: why, where it came from, and the message as it was. */
  public record DeadLetter(int version, String reason, String topic, int partition, long offset, String key,
      String payload) {}

  private final ActorSystem<?> system;
  private final KafkaSettings settings;
  private final SendProducer<String, byte[]> producer;
  private final ClusterSharding sharding;
  private final SaleViews views;

  private PaymentsFromKafka(ActorSystem<?> system, KafkaSettings settings, SendProducer<String, byte[]> producer) {
    this.system = system;
    this.settings = settings;
    this.producer = producer;
    this.sharding = ClusterSharding.get(system);
    this.views = SaleViews.get(system);
  }

  /** Starts this node's member of the payments consumer group; it stops before the node leaves. */
  public static void init(ActorSystem<?> system, KafkaSettings settings, SendProducer<String, byte[]> producer) {
    PaymentsFromKafka payments = new PaymentsFromKafka(system, settings, producer);
    ConsumerSettings<String, byte[]> consumer =
        ConsumerSettings.create(system, new StringDeserializer(), new ByteArrayDeserializer())
            .withBootstrapServers(settings.bootstrapServers())
            .withGroupId(settings.paymentsGroup());
    CommitterSettings committer = CommitterSettings.create(system);
    RestartSettings restart = RestartSettings.create(settings.backoffMin(), settings.backoffMax(), settings.backoffRandomFactor());
    UniqueKillSwitch stop = RestartSource.onFailuresWithBackoff(restart, () ->
            Consumer.committableSource(consumer, Subscriptions.topics(settings.paymentsTopic()))
                .mapAsync(settings.paymentsParallelism(),
                    msg -> payments.handle(msg.record()).thenApply(done -> msg.committableOffset()))
                .via(Committer.flow(committer)))
        .viaMat(KillSwitches.single(), Keep.right())
        .toMat(Sink.ignore(), Keep.left())
        .run(system);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "stop-payments", () -> {
      stop.shutdown();
      return CompletableFuture.completedFuture(Done.getInstance());
    });
  }

  /** Completes once the message has had its effect (or is dead-lettered); fails when the sale did not answer. */
  CompletionStage<Done> handle(ConsumerRecord<String, byte[]> record) {
    PaymentMessage payment;
    try {
      payment = PAYMENTS.readValue(record.value(), PaymentMessage.class);
    } catch (Exception e) {
      return deadLetter(record, "malformed JSON: " + firstLine(e.getMessage()));
    }
    String problem = problemOf(payment);
    if (problem != null) return deadLetter(record, problem);
    var saleId = SaleIds.saleIdOf(payment.reservationId());
    // until this node has read the sale views from a majority, "unknown" could only mean "not seen yet"
    if (!views.synced()) return CompletableFuture.failedFuture(new IllegalStateException("sale views not read yet"));
    // a sale the cluster does not know: no entity is started (and remembered) for it
    if (saleId.isEmpty() || views.surelyUnknown(saleId.get())) {
      log.warn("payment {} for unknown reservation {}: acknowledged without effect", payment.paymentId(),
          payment.reservationId());
      return rejected(saleId.orElse(""), payment, "RESERVATION_NOT_FOUND");
    }
    boolean succeeded = payment.status().equals("SUCCEEDED");
    CompletionStage<Sale.ReservationReply> reply = sharding.entityRefFor(Sale.ENTITY_KEY, saleId.get()).ask(
        r -> succeeded
            ? new Sale.ConfirmPayment(payment.reservationId(), payment.paymentId(), r)
            : new Sale.FailPayment(payment.reservationId(), payment.paymentId(), r),
        settings.paymentAskTimeout());
    // async on the actor dispatcher: the ask's stage comes from Scala's FutureConverters, whose "sync"
    // callbacks would go to the JDK's common pool (a new thread per task on a 2-core machine)
    return reply.thenComposeAsync(answer -> {
      if (answer instanceof Sale.Rejected rejected) {
        log.info("payment {} ({}) for {} refused: {} {}", payment.paymentId(), payment.status(),
            payment.reservationId(), rejected.reason(), rejected.message());
        return rejected(saleId.get(), payment, rejected.reason().name());
      }
      log.debug("payment {} ({}) for {} applied", payment.paymentId(), payment.status(), payment.reservationId());
      return CompletableFuture.completedFuture(Done.getInstance());
    }, system.executionContext());
  }

  private static String problemOf(PaymentMessage p) {
    if (p == null) return "empty message";
    if (p.reservationId() == null || p.reservationId().isBlank()) return "reservationId is required";
    if (p.paymentId() == null || p.paymentId().isBlank() || p.paymentId().length() > 100)
      return "paymentId must be 1 to 100 characters";
    if (!"SUCCEEDED".equals(p.status()) && !"FAILED".equals(p.status())) return "status must be SUCCEEDED or FAILED";
    return null;
  }

  /** A refused successful payment took money for no unit: the payment system learns of it to refund. */
  private CompletionStage<Done> rejected(String saleId, PaymentMessage payment, String reason) {
    if (!payment.status().equals("SUCCEEDED")) return CompletableFuture.completedFuture(Done.getInstance());
    OrderContract.Outgoing out = OrderContract.paymentRejected(saleId, payment.reservationId(), payment.paymentId(), reason);
    return producer.send(new ProducerRecord<>(settings.ordersTopic(), out.key(), out.value()))
        .thenApply(x -> Done.getInstance());
  }

  private CompletionStage<Done> deadLetter(ConsumerRecord<String, byte[]> record, String reason) {
    log.warn("payment message at {}-{}@{} is dead-lettered: {}", record.topic(), record.partition(), record.offset(),
        reason);
    String payload = record.value() == null ? null : new String(record.value(), StandardCharsets.UTF_8);
    DeadLetter letter = new DeadLetter(OrderContract.VERSION, reason, record.topic(), record.partition(),
        record.offset(), record.key(), payload);
    return producer.send(new ProducerRecord<>(settings.deadLetterTopic(), record.key(), OrderContract.bytes(letter)))
        .thenApply(x -> Done.getInstance());
  }

  private static String firstLine(String message) {
    if (message == null) return "unreadable";
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
