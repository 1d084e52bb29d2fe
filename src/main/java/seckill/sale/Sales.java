package seckill.sale;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion.ClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** Asks sale entities wherever they run in the cluster, with the HTTP ask timeout. */
public final class Sales {

  private final ClusterSharding sharding;
  private final Duration timeout;
  private final HashCodeMessageExtractor<Sale.Command> shards;
  private final Scheduler scheduler;

  public Sales(ActorSystem<?> system) {
    this.sharding = ClusterSharding.get(system);
    // the extractor Sale.init leaves in place: Pekko's default for a sharded entity
    this.shards = new HashCodeMessageExtractor<>(system.settings().config().getInt("pekko.cluster.sharding.number-of-shards"));
    this.scheduler = system.scheduler();
    this.timeout = system.settings().config().getDuration("seckill.http.ask-timeout");
  }

  public <T> CompletionStage<T> ask(String saleId, Function<ActorRef<T>, Sale.Command> command) {
    return sharding.entityRefFor(Sale.ENTITY_KEY, saleId).ask(command::apply, timeout);
  }

  public CompletionStage<Sale.Status> status(String saleId) {
    return ask(saleId, Sale.GetStatus::new);
  }

  /** Where a sale lives: its shard (Pekko's hash of the sale id) and the node whose region holds that shard now. */
  public record Placement(String saleId, String shard, String node) {}

  /** The sale's shard and the node that hosts it, from every region that answers within the ask timeout. */
  public CompletionStage<Placement> placement(String saleId) {
    String shard = shards.shardId(saleId);
    return AskPattern.<ClusterShardingQuery, ClusterShardingStats>ask(sharding.shardState(),
            replyTo -> new GetClusterShardingStats(Sale.ENTITY_KEY, timeout, replyTo), timeout.plusSeconds(1), scheduler)
        .thenApply(stats -> new Placement(saleId, shard, stats.getRegions().entrySet().stream()
            .filter(region -> region.getValue().getStats().containsKey(shard))
            .map(region -> region.getKey().toString()).findFirst().orElse(null)));
  }
}
