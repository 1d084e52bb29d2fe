package seckill.admin;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;
import seckill.admission.Admission;
import seckill.admission.HotKeys;
import seckill.admission.LoadShedder;
import seckill.sale.SaleViews;

/**
 * This node's Prometheus metrics, scraped at {@code GET /metrics} on the management port. One per
 * actor system (a Pekko extension), so several nodes in one JVM keep separate registries.
 */
public final class Metrics implements Extension, ManagementRouteProvider {

  /** The extension id; also the route provider Pekko Management loads (management.conf). */
  public static final class Id extends AbstractExtensionId<Metrics> implements ExtensionIdProvider {
    @Override
    public Metrics createExtension(ExtendedActorSystem system) {
      return new Metrics();
    }

    @Override
    public Id lookup() {
      return ID;
    }
  }

  public static final Id ID = new Id();

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter reserves = Counter.builder().name("seckill_reserve_requests_total")
      .help("Reserve requests by how they were answered").labelNames("outcome").register(registry);
  private final Histogram batchSize = Histogram.builder().name("seckill_batch_size")
      .help("Requests per batch sent to a sale (one persisted event)")
      .classicUpperBounds(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000).register(registry);
  private final Histogram batchSeconds = Histogram.builder().name("seckill_batch_answer_seconds")
      .help("From sending a batch to a sale to its last answer: the persist and both hops").register(registry);

  private Metrics() {
    JvmMetrics.builder().register(registry);
  }

  public static Metrics get(ActorSystem<?> system) {
    return ID.get(Adapter.toClassic(system));
  }

  /** Gauges read at scrape time from the node's admission queue and sale views. */
  public void watch(Admission admission, SaleViews views) {
    GaugeWithCallback.builder().name("seckill_admission_queue_depth").help("Requests waiting in the admission queue")
        .callback(cb -> cb.call(admission.stats().queued())).register(registry);
    CounterWithCallback.builder().name("seckill_admission_rejected").help("Requests answered 503 by the queue")
        .labelNames("reason").callback(cb -> {
          Admission.Stats s = admission.stats();
          cb.call(s.rejectedFull(), "queue_full");
          cb.call(s.rejectedOverBudget(), "over_budget");
          cb.call(s.unanswered(), "unanswered");
        }).register(registry);
    CounterWithCallback.builder().name("seckill_admission_shed").help("Reserves answered 503 at once by load shedding")
        .labelNames("reason").callback(cb -> {
          LoadShedder.Stats s = admission.stats().shedding();
          cb.call(s.shedBreakerOpen(), "breaker_open");
          cb.call(s.shedOverBudget(), "over_budget");
        }).register(registry);
    GaugeWithCallback.builder().name("seckill_admission_shedding")
        .help("1 while a smoothed latency is over its budget and new reserves are shed")
        .callback(cb -> cb.call(admission.stats().shedding().shedding() ? 1 : 0)).register(registry);
    GaugeWithCallback.builder().name("seckill_breaker_state")
        .help("The persist circuit breaker: 0 closed, 1 half-open, 2 open")
        .callback(cb -> cb.call(admission.breakerState().ordinal())).register(registry);
    CounterWithCallback.builder().name("seckill_breaker_opened").help("Times the persist circuit breaker opened")
        .callback(cb -> cb.call(admission.stats().shedding().breakerOpened())).register(registry);
    GaugeWithCallback.builder().name("seckill_sale_units").help("A sale's units by state, from this node's view")
        .labelNames("sale", "state").callback(cb -> views.stock().forEach((sale, stock) -> {
          cb.call(stock.available(), sale, "available");
          cb.call(stock.sold(), sale, "sold");
          cb.call(stock.held(), sale, "held");
        })).register(registry);
  }

  /** Gauges of this node's copy of the operator switches: what it enforces right now. */
  public void watch(Switches switches) {
    GaugeWithCallback.builder().name("seckill_switch").help("Operator switches as this node sees them (absent: config)")
        .labelNames("switch").callback(cb -> {
          Switchboard.State state = switches.state();
          SwitchValues v = state.values();
          cb.call(state.version(), "version");
          cb.call(v.pauseAll() ? 1 : 0, "pauseAll");
          cb.call(v.pausedSales().size(), "pausedSales");
          cb.call(v.readOnly() ? 1 : 0, "readOnly");
          cb.call(v.disabledFeatures().size(), "disabledFeatures");
          cb.call(v.challengeDifficulty(), "challengeDifficulty");
          if (v.nodeRatePerSecond() != null) cb.call(v.nodeRatePerSecond(), "nodeRatePerSecond");
          if (v.queueSize() != null) cb.call(v.queueSize(), "queueSize");
          if (v.waitBudgetMillis() != null) cb.call(v.waitBudgetMillis(), "waitBudgetMillis");
        }).register(registry);
  }

  /** Gauges read at scrape time from this node's hot keys (only the top sales get a series: bounded labels). */
  public void watch(HotKeys hotKeys) {
    GaugeWithCallback.builder().name("seckill_hot_keys").help("Hot sales and throttled buyers on this node, over the window")
        .labelNames("kind").callback(cb -> {
          HotKeys.Hotspots h = hotKeys.hotspots();
          cb.call(h.hotSales(), "hot_sales");
          cb.call(h.throttledBuyers(), "throttled_buyers");
        }).register(registry);
    GaugeWithCallback.builder().name("seckill_sale_reserve_rate").help("Reserve attempts per second on this node, top sales")
        .labelNames("sale").callback(cb -> hotKeys.hotspots().sales()
            .forEach(s -> cb.call(s.reservesPerSecond(), s.sale()))).register(registry);
  }

  public void reserve(String outcome) {
    reserves.labelValues(outcome).inc();
  }

  public void batch(int size) {
    batchSize.observe(size);
  }

  public void batchAnswered(long nanos) {
    batchSeconds.observe(nanos / 1e9);
  }

  /** The Prometheus text format of everything above. */
  public byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      new PrometheusTextFormatWriter(false).write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return Directives.path("metrics", () -> Directives.get(() -> Directives.complete(HttpResponse.create()
        .withEntity(HttpEntities.create(ContentTypes.create(
            org.apache.pekko.http.javadsl.model.MediaTypes.TEXT_PLAIN, org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8),
            scrape())))));
  }
}
