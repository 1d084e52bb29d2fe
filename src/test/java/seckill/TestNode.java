package seckill;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.ServerBinding;
import seckill.journal.Journal;
import seckill.sale.Sale;

/** A whole seckill node started through {@link Main#start} on ports it binds itself (0), against the given journal. */
public final class TestNode implements AutoCloseable {

  private static final Config TEST_DEFAULTS = ConfigFactory.parseString("""
      pekko.remote.artery.canonical.port = 0
      pekko.coordinated-shutdown.exit-jvm = off
      pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
      seckill.http.port = 0
      pekko.management.http.port = 0
      seckill.demo.enabled = off
      # tests play one buyer at machine speed (dozens of requests a second); the per-buyer throttle,
      # a defence against exactly that, is off unless a test turns it on (admission.HotSpotsTest)
      seckill.admission.hot-keys.buyer-rate-per-second = 1000000
      seckill.admission.hot-keys.buyer-burst = 1000000
      """);

  public final ActorSystem<Void> system;
  public final String baseUrl;
  public final Config config;
  private final String managementUrl;

  private TestNode(ActorSystem<Void> system, String baseUrl, String managementUrl, Config config) {
    this.system = system;
    this.baseUrl = baseUrl;
    this.managementUrl = managementUrl;
    this.config = config;
  }

  /** Full config of a test node: overrides, then the journal, then our application.conf. */
  public static Config config(Config db, Config overrides) {
    Config merged = overrides.withFallback(TEST_DEFAULTS).withFallback(db)
        .withFallback(ConfigFactory.parseResources("application.conf"));
    return Journal.config(ConfigFactory.load(merged));
  }

  public static TestNode start(Config db) {
    return start(db, ConfigFactory.empty());
  }

  public static TestNode start(Config db, Config overrides) {
    Config config = config(db, overrides);
    Journal.prepare(config);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "seckill", config);
    try {
      Main.Bindings bound = Main.start(system).serving().toCompletableFuture().get(30, TimeUnit.SECONDS);
      return new TestNode(system, url(bound.api()), bound.management().map(TestNode::url).orElse(null), config);
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("node did not start", e);
    }
  }

  /**
   * A node that may never serve (its journal not verified as a cluster's: unreachable, or no
   * cluster joined), started as far as Pekko Management; it has no API ({@link #api()} fails).
   */
  public static TestNode startUnverified(Config db, Config overrides) {
    Config config = config(db, overrides);
    Journal.prepare(config);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "seckill", config);
    try {
      String management = Main.start(system).management().toCompletableFuture().get(30, TimeUnit.SECONDS)
          .map(TestNode::url).orElse(null);
      return new TestNode(system, null, management, config);
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("node did not start", e);
    }
  }

  private static String url(ServerBinding binding) {
    return "http://127.0.0.1:" + binding.localAddress().getPort();
  }

  /** Pekko Management's base URL on this node. */
  public String managementUrl() {
    if (managementUrl == null) throw new IllegalStateException("this node runs without Pekko Management");
    return managementUrl;
  }

  /** The node's cluster address (its remoting port is the one it bound). */
  public String address() {
    return org.apache.pekko.cluster.typed.Cluster.get(system).selfMember().address().toString();
  }

  public Api api() {
    if (baseUrl == null) throw new IllegalStateException("this node serves no API: its journal was never verified");
    return new Api(baseUrl);
  }

  /** The ids of the sale entities this node runs now, from its shard region; throws when it does not answer. */
  public Set<String> runningSales() throws Exception {
    ShardRegion.CurrentShardRegionState state = AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
            ClusterSharding.get(system).shardState(), replyTo -> new GetShardRegionState(Sale.ENTITY_KEY, replyTo),
            Duration.ofSeconds(5), system.scheduler())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    Set<String> running = new HashSet<>();
    state.getShards().forEach(shard -> running.addAll(shard.getEntityIds()));
    return running;
  }

  /** Stops this node's sale shard region: asks of its sales go unanswered from then on. */
  public void stopSaleRegion() throws Exception {
    var classic = org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system);
    var region = org.apache.pekko.cluster.sharding.ClusterSharding.get(classic).shardRegion(Sale.ENTITY_KEY.name());
    boolean stopped = org.apache.pekko.pattern.Patterns.gracefulStop(region, Duration.ofSeconds(10),
        org.apache.pekko.cluster.sharding.ShardRegion.gracefulShutdownInstance()).toCompletableFuture().get(15, TimeUnit.SECONDS);
    if (!stopped) throw new IllegalStateException("the sale region did not stop");
  }

  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("node did not stop", e);
    }
  }
}
