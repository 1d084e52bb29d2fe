package seckill.demo;

import com.typesafe.config.Config;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.pattern.Patterns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import seckill.auth.BuyerTokens;
import seckill.config.ShippedDefaults;
import seckill.sale.DeductionMode;
import seckill.sale.Sale;
import seckill.sale.SaleDefinition;
import seckill.sale.Sales;

/** Creates the demo sale on first start and prints how to try it. */
public final class DemoSale {

  private static final Logger log = LoggerFactory.getLogger(DemoSale.class);

  private DemoSale() {}

  /** Creates the demo sale once this node is Up in the cluster (the sale needs a shard to live in). */
  public static void startWhenUp(ActorSystem<?> system, BuyerTokens tokens, String baseUrl) {
    Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> start(system, tokens, baseUrl));
  }

  public static CompletionStage<Sale.Status> start(ActorSystem<?> system, BuyerTokens tokens, String baseUrl) {
    // shards may still be moving right after a cluster forms: retry a few times before giving up
    Config demo = system.settings().config().getConfig("seckill.demo");
    return Patterns.retry(() -> create(system, tokens, baseUrl), demo.getInt("create-attempts"), demo.getDuration("create-retry-interval"),
        Adapter.toClassic(system).scheduler(), system.executionContext());
  }

  private static CompletionStage<Sale.Status> create(ActorSystem<?> system, BuyerTokens tokens, String baseUrl) {
    Config demo = system.settings().config().getConfig("seckill.demo");
    String saleId = demo.getString("sale-id");
    Sales sales = new Sales(system);
    return sales.status(saleId)
        .thenCompose(status -> status.definition() != null
            ? CompletableFuture.completedFuture(status)
            : sales.<Sale.Confirmation>ask(saleId, r -> new Sale.Define(definition(demo), r))
                .thenCompose(reply -> sales.status(saleId)))
        .whenComplete((status, failure) -> {
          if (failure != null) log.warn("could not create the demo sale yet: {}", failure.getMessage());
          else log.info(instructions(system, tokens, baseUrl, demo, status));
        });
  }

  private static SaleDefinition definition(Config demo) {
    Instant startsAt = Instant.now().plus(demo.getDuration("opens-after")).truncatedTo(ChronoUnit.SECONDS);
    return new SaleDefinition(
        demo.getString("item"),
        demo.getString("description"),
        new BigDecimal(demo.getString("price")),
        demo.getString("currency"),
        demo.getInt("stock"),
        startsAt,
        startsAt.plus(demo.getDuration("lasts")),
        demo.getInt("per-buyer-limit"),
        DeductionMode.valueOf(demo.getString("mode")),
        demo.getDuration("hold"));
  }

  private static String instructions(ActorSystem<?> system, BuyerTokens tokens, String baseUrl, Config demo, Sale.Status s) {
    Config auth = system.settings().config().getConfig("seckill.auth");
    String sale = baseUrl + "/api/sales/" + s.saleId();
    StringBuilder out = new StringBuilder("\n\n  seckill is up at ").append(baseUrl).append("\n\n");
    SaleDefinition d = s.definition();
    out.append(String.format("  Demo sale '%s': %s, %d units, %d per buyer, mode %s, %s%n",
        s.saleId(), d.item(), d.stock(), d.perBuyerLimit(), d.mode(), describe(s)));
    out.append("    sale page: ").append(baseUrl).append("/sales/").append(s.saleId()).append('\n');
    out.append("    status:    curl ").append(sale).append("/status\n");
    // secrets are never logged: the admin token only when it is the embedded default the README shows anyway
    String admin = auth.getString("admin-token");
    boolean publicAdminToken = admin.equals(ShippedDefaults.of("auth.conf").getString("seckill.auth.admin-token"));
    out.append("    counters:  curl -H \"Authorization: Bearer ").append(publicAdminToken ? admin : "$SECKILL_ADMIN_TOKEN")
        .append("\" ").append(baseUrl).append("/admin/sales/").append(s.saleId()).append('\n');
    out.append("    dashboard: ").append(baseUrl).append("/admin/ (asks for the admin token)\n");
    out.append("    API:       ").append(baseUrl).append("/api/openapi.json (OpenAPI 3.1)\n");
    if (auth.getBoolean("dev-mode") && tokens.canMint()) {
      String buyer = demo.getString("sample-buyer");
      out.append("    a token for buyer '").append(buyer).append("' (dev mode only):\n");
      out.append("      TOKEN=$(curl -s -X POST -H 'Content-Type: application/json' -d '{\"buyer\":\"").append(buyer)
          .append("\"}' ").append(baseUrl).append("/dev/tokens | sed -n 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/p')\n");
      out.append("    reserve, once open, at the reservePath the status publishes then:\n");
      out.append("      P=$(curl -s ").append(sale).append("/status | sed -n 's/.*\"reservePath\":\"\\([^\"]*\\)\".*/\\1/p')\n");
      out.append("      curl -X POST -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n")
          .append("        -d '{\"requestId\":\"r1\",\"quantity\":1}' ").append(baseUrl).append("$P\n");
    }
    return out.toString();
  }

  private static String describe(Sale.Status s) {
    return switch (s.phase()) {
      case UPCOMING -> "opens at " + s.definition().startsAt() + " (in "
          + Math.max(0, Duration.between(s.serverTime(), s.definition().startsAt()).toSeconds()) + " s)";
      case OPEN -> "open until " + s.definition().endsAt() + ", " + s.available() + " available";
      default -> "now " + s.phase() + " (delete ./data for a fresh demo sale)";
    };
  }
}
