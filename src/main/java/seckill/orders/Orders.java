package seckill.orders;

import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.kafka.ProducerSettings;
import org.apache.pekko.kafka.javadsl.SendProducer;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires the downstream: topics, the orders projection and the payments consumer, when Kafka is configured. */
public final class Orders {

  private static final Logger log = LoggerFactory.getLogger(Orders.class);

  private Orders() {}

  public static void init(ActorSystem<?> system) {
    KafkaSettings settings = KafkaSettings.fromConfig(system.settings().config());
    if (!settings.enabled()) {
      log.info("Kafka is off (no SECKILL_KAFKA_BOOTSTRAP): orders are kept in the journal only");
      return;
    }
    HikariDataSource offsets = ProjectionSession.pool(system.settings().config());
    SendProducer<String, byte[]> producer = new SendProducer<>(
        ProducerSettings.create(system, new StringSerializer(), new ByteArraySerializer())
            .withBootstrapServers(settings.bootstrapServers()),
        system);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-kafka-producer",
        () -> producer.close().whenComplete((done, failure) -> offsets.close()).exceptionally(failure -> Done.getInstance()));
    start(system, settings, offsets, producer);
  }

  /** Offset tables, then topics, then the streams; a failed step is tried again after a backoff. */
  private static void start(ActorSystem<?> system, KafkaSettings settings, HikariDataSource offsets,
      SendProducer<String, byte[]> producer) {
    JdbcProjection.createTablesIfNotExists(() -> new ProjectionSession(offsets), system)
        .thenCompose(done -> createTopics(system, settings))
        .whenComplete((done, failure) -> {
          if (failure == null) {
            OrdersToKafka.init(system, settings, offsets, producer);
            PaymentsFromKafka.init(system, settings, producer);
            log.info("publishing orders to {} and sales to {}, consuming payments from {} at {}",
                settings.ordersTopic(), settings.salesTopic(), settings.paymentsTopic(), settings.bootstrapServers());
          } else if (!system.whenTerminated().isCompleted()) {
            log.warn("downstream not started yet ({}); trying again in {}", failure.getMessage(), settings.backoffMax());
            system.scheduler().scheduleOnce(settings.backoffMax(), () -> start(system, settings, offsets, producer),
                system.executionContext());
          }
        });
  }

  /** Creates the missing topics (unless ops own them). */
  private static CompletionStage<Done> createTopics(ActorSystem<?> system, KafkaSettings settings) {
    if (!settings.createTopics()) return CompletableFuture.completedFuture(Done.getInstance());
    Admin admin = settings.admin();
    return settings.createMissingTopics(admin).whenComplete((done, failure) -> admin.close(Duration.ZERO));
  }
}
