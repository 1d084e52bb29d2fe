package seckill.orders;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.pekko.Done;

/** {@code seckill.kafka}: whether Kafka is on, where it is, and the topic names. */
public record KafkaSettings(
    String bootstrapServers,
    String ordersTopic,
    String salesTopic,
    String paymentsTopic,
    String deadLetterTopic,
    boolean createTopics,
    int partitions,
    short replicationFactor,
    String paymentsGroup,
    int paymentsParallelism,
    Duration paymentAskTimeout,
    boolean readinessCheck,
    Duration readinessTimeout,
    Duration backoffMin,
    Duration backoffMax,
    double backoffRandomFactor,
    int saveOffsetAfterEnvelopes,
    Duration saveOffsetAfterDuration) {

  public static KafkaSettings fromConfig(Config root) {
    Config c = root.getConfig("seckill.kafka");
    return new KafkaSettings(
        c.getString("bootstrap-servers").trim(),
        c.getString("topics.orders"),
        c.getString("topics.sales"),
        c.getString("topics.payments"),
        c.getString("topics.payments-dead-letter"),
        c.getBoolean("topics.create"),
        c.getInt("topics.partitions"),
        (short) c.getInt("topics.replication-factor"),
        c.getString("payments-group"),
        c.getInt("payments-parallelism"),
        c.getDuration("payment-ask-timeout"),
        c.getBoolean("readiness-check"),
        c.getDuration("readiness-timeout"),
        c.getDuration("restart-backoff.min"),
        c.getDuration("restart-backoff.max"),
        c.getDouble("restart-backoff.random-factor"),
        c.getInt("save-offset.after-envelopes"),
        c.getDuration("save-offset.after-duration"));
  }

  /** Kafka is used only when a bootstrap server is configured. */
  public boolean enabled() {
    return !bootstrapServers.isEmpty();
  }

  Admin admin() {
    return Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) readinessTimeout.toMillis() * 5,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) readinessTimeout.toMillis()));
  }

  /** Creates the topics that do not exist yet; ones that exist are left as they are. */
  CompletionStage<Done> createMissingTopics(Admin admin) {
    List<String> names = List.of(ordersTopic, salesTopic, paymentsTopic, deadLetterTopic);
    return admin.listTopics().names().toCompletionStage().thenCompose(existing -> {
      // acks=all means "all in-sync replicas": with replicas, at least two must have a record before it counts
      Map<String, String> configs = Map.of("min.insync.replicas", String.valueOf(Math.min(2, replicationFactor)));
      List<NewTopic> missing = names.stream().filter(n -> !existing.contains(n))
          .map(n -> new NewTopic(n, partitions, replicationFactor).configs(configs)).toList();
      if (missing.isEmpty()) return CompletableFuture.completedFuture(Done.getInstance());
      return admin.createTopics(missing).all().toCompletionStage().handle((ok, failure) -> {
        // another node created them at the same moment: that is fine
        if (failure != null && !(rootCause(failure) instanceof TopicExistsException)) {
          throw new IllegalStateException("cannot create topics " + missing + ": " + failure.getMessage(), failure);
        }
        return Done.getInstance();
      });
    });
  }

  private static Throwable rootCause(Throwable t) {
    Set<Throwable> seen = new HashSet<>();
    while (t.getCause() != null && seen.add(t)) t = t.getCause();
    return t;
  }
}
