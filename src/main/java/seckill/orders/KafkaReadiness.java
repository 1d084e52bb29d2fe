package seckill.orders;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.CoordinatedShutdown;

/**
 * Readiness check for Pekko Management: with Kafka configured (and the check not turned off), the
 * broker answers a cluster description.
 */
public final class KafkaReadiness implements Supplier<CompletionStage<Boolean>> {

  private final KafkaSettings settings;
  private final Admin admin;

  public KafkaReadiness(ActorSystem system) {
    this.settings = KafkaSettings.fromConfig(system.settings().config());
    this.admin = settings.enabled() && settings.readinessCheck() ? settings.admin() : null;
    if (admin != null) {
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-kafka-readiness",
          () -> CompletableFuture.supplyAsync(() -> {
            admin.close(Duration.ZERO);
            return Done.getInstance();
          }, system.dispatcher()));
    }
  }

  @Override
  public CompletionStage<Boolean> get() {
    if (admin == null) return CompletableFuture.completedFuture(true);
    int timeout = (int) settings.readinessTimeout().toMillis();
    return admin.describeCluster(new DescribeClusterOptions().timeoutMs(timeout)).nodes().toCompletionStage()
        .toCompletableFuture()
        .orTimeout(timeout, TimeUnit.MILLISECONDS)
        .handle((nodes, failure) -> failure == null && !nodes.isEmpty());
  }
}
