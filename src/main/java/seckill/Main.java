package seckill;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Clock;
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
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import seckill.admin.AdminRoutes;
import seckill.admin.Metrics;
import seckill.admin.Switches;
import seckill.admission.Admission;
import seckill.admission.AdmissionRoutes;
import seckill.admission.EdgeGuards;
import seckill.admission.HotKeys;
import seckill.sale.SaleViews;
import seckill.auth.BuyerTokens;
import seckill.auth.DevTokenRoutes;
import seckill.challenge.ChallengeRoutes;
import seckill.challenge.Challenges;
import seckill.demo.DemoSale;
import seckill.http.HttpServer;
import seckill.journal.Journal;
import seckill.orders.Orders;
import seckill.sale.Sale;
import seckill.sale.SaleRoutes;
import seckill.web.WebRoutes;

/** Starts a seckill node: journal, cluster, sale entities, HTTP front, and the demo sale when enabled. */
public final class Main {

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private static final int MIN_SECRET_BYTES = 32;

  private Main() {}

  public static void main(String[] args) {
    Config config = Journal.config(ConfigFactory.load());
    Journal.prepare(config);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "seckill", config);
    try {
      start(system).whenComplete((binding, failure) -> {
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

  /**
   * Outside dev mode the embedded defaults of the secrets, and secrets shorter than 32 bytes, are
   * refused: set them through the environment.
   */
  static void refuseDevSecretsOutsideDevMode(Config config) {
    if (config.getBoolean("seckill.auth.dev-mode")) return;
    Config defaults = ShippedDefaults.of("auth.conf", "admission.conf", "challenge.conf");
    for (String[] secret : new String[][] {
        {"seckill.auth.hs256-secret", "SECKILL_JWT_SECRET"},
        {"seckill.auth.admin-token", "SECKILL_ADMIN_TOKEN"},
        {"seckill.admission.sale-key-secret", "SECKILL_SALE_KEY_SECRET"},
        {"seckill.challenge.secret", "SECKILL_CHALLENGE_SECRET"}}) {
      boolean rs256 = secret[0].endsWith("hs256-secret") && !config.getString("seckill.auth.rs256-public-key").isBlank();
      if (rs256) continue;
      String value = config.getString(secret[0]);
      if (value.equals(defaults.getString(secret[0]))) {
        throw new IllegalStateException(secret[0] + " still has its embedded default while dev mode is off: set " + secret[1]);
      }
      if (value.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
        throw new IllegalStateException(secret[0] + " is shorter than " + MIN_SECRET_BYTES + " bytes while dev mode is off: set "
            + secret[1] + " to a longer random value");
      }
    }
  }

  /** Wires every feature into {@code system} and binds HTTP; tests call this with their own config. */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system) {
    Config config = system.settings().config();
    refuseDevSecretsOutsideDevMode(config);
    CompletionStage<?> managementBinding = java.util.concurrent.CompletableFuture.completedFuture(null);
    if (config.getBoolean("seckill.management.enabled")) {
      // bound by us, so its errors are JSON like the API's; fails the start like the API's binding
      managementBinding = new HttpServer(system).startManagement(PekkoManagement.get(Adapter.toClassic(system)).getRoutes());
    }
    if (config.getBoolean("seckill.cluster.bootstrap")) {
      ClusterBootstrap.get(Adapter.toClassic(system)).start();
    } else if (config.getBoolean("seckill.cluster.join-self")) {
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    SaleViews views = SaleViews.get(system);
    Sale.init(system, views.publisher());
    Orders.init(system);
    Switches.get(system); // this node's copy of the operator switches, and the switchboard's shard

    BuyerTokens tokens = BuyerTokens.fromConfig(config.getConfig("seckill.auth"));
    Admission admission = new Admission(system);
    EdgeGuards guards = new EdgeGuards(config.getConfig("seckill.admission"));
    Metrics.get(system).watch(admission, views);
    Metrics.get(system).watch(HotKeys.get(system));
    Config challenge = config.getConfig("seckill.challenge");
    Challenges challenges = new Challenges(challenge,
        Switches.get(system).challengeDifficulty(Challenges.configuredDifficulty(challenge)), Clock.systemUTC());
    Route routes = Directives.concat(
        new AdmissionRoutes(system, views, admission, guards, tokens, challenges).routes(),
        new ChallengeRoutes(system, views, challenges, tokens).routes(),
        new SaleRoutes(system, tokens).routes(),
        new AdminRoutes(system, admission).routes(),
        new WebRoutes(system).routes(),
        config.getBoolean("seckill.auth.dev-mode") ? new DevTokenRoutes(system, tokens).routes() : Directives.reject());

    return managementBinding.thenCompose(management -> new HttpServer(system).start(routes)).thenApply(binding -> {
      String baseUrl = "http://" + binding.localAddress().getHostString() + ":" + binding.localAddress().getPort();
      log.info("HTTP bound at {}", baseUrl);
      // the demo sale needs a shard to live in: wait until this node is Up in the cluster
      if (config.getBoolean("seckill.demo.enabled")) {
        org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system))
            .registerOnMemberUp(() -> DemoSale.start(system, tokens, baseUrl));
      }
      return binding;
    });
  }
}
