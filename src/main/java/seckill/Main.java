package seckill;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.reject;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import seckill.admin.AdminRoutes;
import seckill.admission.ReserveRoutes;
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
import seckill.sale.Sale;
import seckill.sale.SaleRoutes;
import seckill.sale.SaleViews;
import seckill.switches.Switches;
import seckill.waitingroom.WaitingRoom;
import seckill.waitingroom.WaitingRoomRoutes;
import seckill.web.WebRoutes;

/** Starts a seckill node: journal, cluster, sale entities, HTTP front, and the demo sale when enabled. */
public final class Main {

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    run(parts -> reject());
  }

  /** Starts a node from its config, as {@link #main} does, with {@code extraRoutes} after the API's (the benchmark's). */
  public static void run(Function<Parts, Route> extraRoutes) {
    Config config = Journal.config(SeedNodes.listed(ConfigFactory.load()));
    Journal.prepare(config);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "seckill", config);
    try {
      start(system, extraRoutes).serving().whenComplete((binding, failure) -> {
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
  public record Bindings(ServerBinding api, Optional<ServerBinding> management) {}

  /** A node on its way: Pekko Management as soon as it is bound, the API once the journal is verified. */
  public record Started(CompletionStage<Optional<ServerBinding>> management, CompletionStage<Bindings> serving) {}

  /** The started parts of a node that routes are built from. */
  public record Parts(ActorSystem<?> system, BuyerTokens tokens, Challenges challenges, WaitingRoom room) {}

  /** Wires every feature into {@code system} and binds HTTP; tests call this with their own config (ports 0 included). */
  public static Started start(ActorSystem<?> system) {
    return start(system, parts -> reject());
  }

  /** As {@link #start(ActorSystem)}, with {@code extraRoutes} built from the started parts, after the API's. */
  public static Started start(ActorSystem<?> system, Function<Parts, Route> extraRoutes) {
    Config config = system.settings().config();
    BuyerTokens tokens = BuyerTokens.init(system); // first: refuses the shipped secrets outside dev mode
    CompletionStage<Optional<ServerBinding>> management = HttpServer.startManagement(system);
    joinCluster(system, config);
    // nothing that serves or consumes starts before this node's journal is known to be the cluster's:
    // a node on another journal stops meanwhile, having bound no API port and joined no consumer group
    return new Started(management, SharedJournal.get(system).verified().thenComposeAsync(
        verified -> serve(system, tokens, management, extraRoutes), system.executionContext()));
  }

  private static CompletionStage<Bindings> serve(ActorSystem<?> system, BuyerTokens tokens,
      CompletionStage<Optional<ServerBinding>> management, Function<Parts, Route> extraRoutes) {
    SaleViews views = SaleViews.get(system); // this node's copy of every sale, which the edge answers from
    Sale.init(system, views.publisher()); // the sale's shards; each entity keeps every node's views current
    Switches.init(system); // this node's copy of the operator switches, and the switchboard's shard
    Orders.init(system);
    Challenges challenges = Challenges.init(system);
    WaitingRoom room = WaitingRoom.init(system);
    ReserveRoutes reserve = new ReserveRoutes(system, tokens, challenges, room);
    Route routes = concat(
        reserve.routes(),
        SaleRoutes.init(system, tokens, reserve), // a sale's status shows the way in that the reserve's edge keeps
        WaitingRoomRoutes.init(system, tokens, room, challenges),
        ChallengeRoutes.init(system, tokens, challenges),
        WebRoutes.init(system), // before the admin API: the dashboard's page at /admin/ needs no token
        AdminRoutes.init(system),
        DevTokenRoutes.init(system, tokens),
        extraRoutes.apply(new Parts(system, tokens, challenges, room)));

    return management.thenCompose(managed -> new HttpServer(system).start(routes).thenApply(binding -> {
      String baseUrl = "http://" + binding.localAddress().getHostString() + ":" + binding.localAddress().getPort();
      log.info("HTTP bound at {}", baseUrl);
      if (system.settings().config().getBoolean("seckill.demo.enabled")) DemoSale.startWhenUp(system, tokens, baseUrl);
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
