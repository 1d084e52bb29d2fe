package seckill;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import seckill.admin.AdminRoutes;
import seckill.switches.Switches;
import seckill.admission.AdmissionRoutes;
import seckill.admission.EdgeLadder;
import seckill.auth.BuyerTokens;
import seckill.auth.DevTokenRoutes;
import seckill.challenge.ChallengeRoutes;
import seckill.challenge.Challenges;
import seckill.config.SeedNodes;
import seckill.demo.DemoSale;
import seckill.http.HttpServer;
import seckill.journal.Journal;
import seckill.journal.SharedJournal;
import seckill.orders.Orders;
import seckill.sale.SaleRoutes;
import seckill.waitingroom.WaitingRoom;
import seckill.waitingroom.WaitingRoomRoutes;
import seckill.web.WebRoutes;

/** Starts a seckill node: journal, cluster, sale entities, HTTP front, and the demo sale when enabled. */
public final class Main {

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    Config config = Journal.config(SeedNodes.listed(ConfigFactory.load()));
    Journal.prepare(config);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "seckill", config);
    try {
      start(system).serving().whenComplete((binding, failure) -> {
        if (failure != null) {
          log.error("could not start: {}", failure.getMessage());
          CoordinatedShutdown.get(system).run(StartFailed.INSTANCE);
        }
      });
    } catch (RuntimeException e) {
      // half wired is worse than down: a node without HTTP would still hold shards
      log.error("could not start: {}", e.getMessage(), e);
      CoordinatedShutdown.get(system).run(StartFailed.INSTANCE);
    }
  }

  /** Why a node stops when its wiring failed: exit code 1 (cluster.conf), so scripts and Kubernetes see the failure. */
  public static final class StartFailed implements CoordinatedShutdown.Reason {
    static final StartFailed INSTANCE = new StartFailed();
  }

  /** Where a started node listens: the API, and Pekko Management when it is enabled. */
  public record Bindings(ServerBinding api, java.util.Optional<ServerBinding> management) {}

  /** A node on its way: Pekko Management as soon as it is bound, the API once the journal is verified. */
  public record Started(CompletionStage<java.util.Optional<ServerBinding>> management, CompletionStage<Bindings> serving) {}

  /** Wires every feature into {@code system} and binds HTTP; tests call this with their own config (ports 0 included). */
  public static Started start(ActorSystem<?> system) {
    Config config = system.settings().config();
    BuyerTokens tokens = BuyerTokens.init(system); // first: refuses the shipped secrets outside dev mode
    CompletionStage<java.util.Optional<ServerBinding>> management = HttpServer.startManagement(system);
    joinCluster(system, config);
    // nothing that serves or consumes starts before this node's journal is known to be the cluster's:
    // a node on another journal stops meanwhile, having bound no API port and joined no consumer group
    return new Started(management, SharedJournal.get(system).verified().thenComposeAsync(
        verified -> serve(system, tokens, management), system.executionContext()));
  }

  private static CompletionStage<Bindings> serve(ActorSystem<?> system, BuyerTokens tokens,
      CompletionStage<java.util.Optional<ServerBinding>> management) {
    Config config = system.settings().config();
    Orders.init(system);
    Switches.get(system); // this node's copy of the operator switches, and the switchboard's shard
    Challenges challenges = Challenges.init(system);
    WaitingRoom room = WaitingRoom.init(system);
    Route routes = Directives.concat(
        AdmissionRoutes.init(system, tokens, challenges, room),
        WaitingRoomRoutes.init(system, tokens, room),
        ChallengeRoutes.init(system, tokens, challenges),
        SaleRoutes.init(system, tokens),
        WebRoutes.init(system), // before the admin API: the dashboard's page at /admin/ needs no token
        AdminRoutes.init(system),
        DevTokenRoutes.init(system, tokens),
        EdgeLadder.init(system, tokens, challenges, room));

    return management.thenCompose(managed -> new HttpServer(system).start(routes).thenApply(binding -> {
      String baseUrl = "http://" + binding.localAddress().getHostString() + ":" + binding.localAddress().getPort();
      log.info("HTTP bound at {}", baseUrl);
      if (config.getBoolean("seckill.demo.enabled")) DemoSale.startWhenUp(system, tokens, baseUrl);
      return new Bindings(binding, managed);
    }));
  }

  /** Kubernetes: Cluster Bootstrap; the embedded default: a cluster of one; else the seed nodes in config. */
  private static void joinCluster(ActorSystem<?> system, Config config) {
    if (config.getBoolean("seckill.cluster.bootstrap")) {
      ClusterBootstrap.get(Adapter.toClassic(system)).start();
    } else if (config.getBoolean("seckill.cluster.join-self")) {
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
  }
}
