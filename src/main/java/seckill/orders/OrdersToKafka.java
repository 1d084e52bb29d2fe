package seckill.orders;

import com.zaxxer.hikari.HikariDataSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.kafka.javadsl.SendProducer;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.projection.Projection;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.Handler;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;
import seckill.sale.Sale;

/**
 * Publishes what the journal holds to Kafka: one projection per sale tag, spread over the cluster
 * by ShardedDaemonProcess, offsets in the journal's database. Nothing on the request path talks to
 * Kafka, so a buyer's answer never waits for the broker and a crash never loses an order: whatever
 * was persisted is published, at least once, after the offset it last saved.
 */
public final class OrdersToKafka {

  public static final String PROJECTION_NAME = "orders-to-kafka";

  private OrdersToKafka() {}

  /** Starts one projection instance per tag somewhere in the cluster. */
  public static void init(ActorSystem<?> system, KafkaSettings settings, HikariDataSource offsets,
      SendProducer<String, byte[]> producer) {
    ShardedDaemonProcess.get(system).init(
        ProjectionBehavior.Command.class,
        PROJECTION_NAME,
        Sale.TAGS.size(),
        i -> ProjectionPrints.logged(ProjectionBehavior.create(projection(system, settings, offsets, producer, Sale.TAGS.get(i)))),
        ShardedDaemonProcessSettings.create(system),
        Optional.of(ProjectionBehavior.stopMessage()));
  }

  private static Projection<EventEnvelope<Sale.Event>> projection(ActorSystem<?> system, KafkaSettings settings,
      HikariDataSource offsets, SendProducer<String, byte[]> producer, String tag) {
    SourceProvider<Offset, EventEnvelope<Sale.Event>> source =
        EventSourcedProvider.eventsByTag(system, JdbcReadJournal.Identifier(), tag);
    return JdbcProjection.atLeastOnceAsync(
            ProjectionId.of(PROJECTION_NAME, tag),
            source,
            () -> new ProjectionSession(offsets),
            () -> new Publisher(settings, producer),
            system)
        .withSaveOffset(settings.saveOffsetAfterEnvelopes(), settings.saveOffsetAfterDuration())
        .withRestartBackoff(settings.backoffMin(), settings.backoffMax(), settings.backoffRandomFactor());
  }

  /** One journal event → its records; the offset moves on only once the broker acknowledged all of them. */
  static final class Publisher extends Handler<EventEnvelope<Sale.Event>> {
    private final KafkaSettings settings;
    private final SendProducer<String, byte[]> producer;

    Publisher(KafkaSettings settings, SendProducer<String, byte[]> producer) {
      this.settings = settings;
      this.producer = producer;
    }

    @Override
    public CompletionStage<Done> process(EventEnvelope<Sale.Event> envelope) {
      String saleId = PersistenceId.extractEntityId(envelope.persistenceId());
      List<CompletableFuture<?>> sent = new ArrayList<>();
      for (OrderContract.Outgoing out : OrderContract.of(saleId, envelope.sequenceNr(), envelope.event())) {
        String topic = out.order() ? settings.ordersTopic() : settings.salesTopic();
        // sent in order: one key's records land on one partition in the order of the journal
        sent.add(producer.send(new ProducerRecord<>(topic, out.key(), out.value())).toCompletableFuture());
      }
      return CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).thenApply(x -> Done.getInstance());
    }
  }
}
