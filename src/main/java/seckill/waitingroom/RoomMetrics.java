package seckill.waitingroom;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import seckill.sale.WaitingRoomPolicy;

/**
 * What this node counts of its waiting rooms, for Prometheus and the admin API: joins, sold-out
 * notices, the lines as it last heard them (with their rooms' pace and cap, switches applied), and
 * the waits (join to admission) of the buyers it was the first to tell they were admitted.
 */
final class RoomMetrics {

  /** This node's observed waits of one sale; median and p90 over the last {@value RoomMetrics#KEPT_WAITS}. */
  record Waits(long observed, Double medianSeconds, Double p90Seconds) {}

  private static final int KEPT_WAITS = 4096;

  /** The last waits of one sale, in milliseconds, as a ring. */
  private static final class WaitSamples {
    private final long[] millis = new long[KEPT_WAITS];
    private long count;

    synchronized void add(long wait) {
      millis[(int) (count++ % millis.length)] = wait;
    }

    synchronized long count() {
      return count;
    }

    synchronized long[] sorted() {
      long[] copy = Arrays.copyOf(millis, (int) Math.min(count, millis.length));
      Arrays.sort(copy);
      return copy;
    }
  }

  private final Counter joins;
  private final Counter soldOutNotices;
  private final Histogram waitSeconds;
  /** Sale and rank of the admissions already observed: a buyer's wait counts once, however often it polls. */
  private final Cache<String, Boolean> seenAdmitted;
  private final Map<String, WaitSamples> waits = new ConcurrentHashMap<>();

  RoomMetrics(PrometheusRegistry registry, long seenMax, LineCopies copies,
      Function<String, Optional<WaitingRoomPolicy>> rooms) {
    this.seenAdmitted = Caffeine.newBuilder().maximumSize(seenMax).expireAfterWrite(WaitingRoomPolicy.MAX_TTL).build();
    this.joins = Counter.builder().name("seckill_queue_joins_total")
        .help("Joins answered by this node: a new place, or the same place again").labelNames("sale", "kind").register(registry);
    this.soldOutNotices = Counter.builder().name("seckill_queue_sold_out_notices_total")
        .help("Polls answered SOLD_OUT and joins refused sold out, on this node").labelNames("sale").register(registry);
    this.waitSeconds = Histogram.builder().name("seckill_queue_wait_seconds")
        .help("From join to admission, for buyers this node first told they were admitted")
        .classicUpperBounds(1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600).labelNames("sale").register(registry);
    GaugeWithCallback.builder().name("seckill_queue_line").help("A waiting line as this node last heard from it")
        .labelNames("sale", "figure").callback(cb -> copies.forEach((sale, line) -> {
          LineView.Counts c = line.counts();
          cb.call(c.waiting(), sale, "waiting");
          cb.call(c.active(), sale, "active");
          cb.call(c.abandoned(), sale, "abandoned");
          cb.call(c.joinedPerSecond(), sale, "joined_per_second");
          cb.call(c.admittedPerSecond(), sale, "admitted_per_second");
          cb.call(line.admittedThrough(), sale, "admitted_through");
        })).register(registry);
    lineGauge(registry, copies, "last_admitted_wait_seconds",
        "From its lease to its admission, the wait of the last place the line let in", LineView.Counts::lastAdmittedWaitSeconds);
    lineGauge(registry, copies, "admitted_wait_median_seconds",
        "Median wait, lease to admission, of the last places the line let in", LineView.Counts::admittedWaitMedianSeconds);
    lineGauge(registry, copies, "admitted_wait_p90_seconds",
        "90th percentile wait, lease to admission, of the last places the line let in", LineView.Counts::admittedWaitP90Seconds);
    lineGauge(registry, copies, "back_of_line_eta_seconds",
        "Seconds until the last place given is let in, at the recent pace; absent while the line does not move",
        c -> c.backOfLineEtaSeconds() == null ? null : c.backOfLineEtaSeconds().doubleValue());
    roomGauge(registry, copies, rooms, "admit_per_second", "The room's pace, switches applied", WaitingRoomPolicy::admitPerSecond);
    roomGauge(registry, copies, rooms, "max_active", "The room's cap on admitted buyers not yet done, switches applied",
        WaitingRoomPolicy::maxActive);
  }

  /** A gauge per sale of a figure of its line as this node last heard it; no sample while the figure is null. */
  private static void lineGauge(PrometheusRegistry registry, LineCopies copies, String name, String help,
      Function<LineView.Counts, Double> figure) {
    GaugeWithCallback.builder().name("seckill_waiting_room_" + name).help(help).labelNames("sale")
        .callback(cb -> copies.forEach((sale, line) -> {
          Double value = figure.apply(line.counts());
          if (value != null) cb.call(value, sale);
        })).register(registry);
  }

  /** A gauge per sale with a line of a setting of its room, switches applied. */
  private static void roomGauge(PrometheusRegistry registry, LineCopies copies,
      Function<String, Optional<WaitingRoomPolicy>> rooms, String name, String help, ToDoubleFunction<WaitingRoomPolicy> setting) {
    GaugeWithCallback.builder().name("seckill_waiting_room_" + name).help(help).labelNames("sale")
        .callback(cb -> copies.forEach((sale, line) -> rooms.apply(sale).ifPresent(room -> cb.call(setting.applyAsDouble(room), sale))))
        .register(registry);
  }

  /** A join answered: a new place, or the same again. */
  void joined(String saleId, boolean again) {
    joins.labelValues(saleId, again ? "again" : "new").inc();
  }

  /** A poll or join told a buyer the sale is sold out. */
  void soldOutNotice(String saleId) {
    soldOutNotices.labelValues(saleId).inc();
  }

  /** A poll answered ADMITTED for {@code rank}, after a wait of {@code waitMillis}: counted the first time only. */
  void admitted(String saleId, long rank, long waitMillis) {
    if (seenAdmitted.asMap().putIfAbsent(saleId + '|' + rank, Boolean.TRUE) != null) return;
    waitSeconds.labelValues(saleId).observe(waitMillis / 1000.0);
    waits.computeIfAbsent(saleId, id -> new WaitSamples()).add(waitMillis);
  }

  Waits waits(String saleId) {
    WaitSamples samples = waits.get(saleId);
    if (samples == null) return new Waits(0, null, null);
    long[] sorted = samples.sorted();
    return new Waits(samples.count(), LineWaits.quantileSeconds(sorted, 0.5), LineWaits.quantileSeconds(sorted, 0.9));
  }
}
