package seckill.orders;

import com.zaxxer.hikari.HikariDataSource;
import java.util.concurrent.CompletableFuture;
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
        () -> producer.close().thenApply(done -> {
          offsets.close();
          return Done.getInstance();
        }));
    JdbcProjection.createTablesIfNotExists(() -> new ProjectionSession(offsets), system)
        .thenCompose(done -> topicsReady(system, settings))
        .whenComplete((done, failure) -> {
          if (failure != null) {
            log.error("downstream not started: {}", failure.getMessage(), failure);
            return;
          }
          OrdersToKafka.init(system, settings, offsets, producer);
          PaymentsFromKafka.init(system, settings, producer);
          log.info("publishing orders to {} and sales to {}, consuming payments from {} at {}",
              settings.ordersTopic(), settings.salesTopic(), settings.paymentsTopic(), settings.bootstrapServers());
        });
  }

  /** Creates missing topics, trying again while the broker cannot be reached. */
  private static java.util.concurrent.CompletionStage<Done> topicsReady(ActorSystem<?> system, KafkaSettings settings) {
    if (!settings.createTopics()) return CompletableFuture.completedFuture(Done.getInstance());
    CompletableFuture<Done> ready = new CompletableFuture<>();
    tryCreate(system, settings, ready);
    return ready;
  }

  private static void tryCreate(ActorSystem<?> system, KafkaSettings settings, CompletableFuture<Done> ready) {
    Admin admin = settings.admin();
    settings.createMissingTopics(admin).whenComplete((done, failure) -> {
      admin.close(java.time.Duration.ZERO);
      if (failure == null) {
        ready.complete(Done.getInstance());
      } else if (!system.whenTerminated().isCompleted()) {
        log.warn("cannot create Kafka topics yet ({}); trying again in {}", failure.getMessage(), settings.backoffMax());
        system.scheduler().scheduleOnce(settings.backoffMax(), () -> tryCreate(system, settings, ready),
            system.executionContext());
      }
    });
  }
}
