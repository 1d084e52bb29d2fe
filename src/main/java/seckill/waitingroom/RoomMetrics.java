package seckill.waitingroom;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import seckill.sale.WaitingRoomPolicy;

/**
 * What this node counts of its waiting rooms, for Prometheus and the admin API: joins, sold-out
 * notices, the lines as it last heard them, and the waits (join to admission) of the buyers it was
 * the first to tell they were admitted.
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

  RoomMetrics(PrometheusRegistry registry, long seenMax, LineCopies copies) {
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
    Double median = sorted.length == 0 ? null : sorted[sorted.length / 2] / 1000.0;
    Double p90 = sorted.length == 0 ? null : sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.9))] / 1000.0;
    return new Waits(samples.count(), median, p90);
  }
}
