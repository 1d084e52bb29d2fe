package seckill.admission;

import seckill.http.RetryAdvice;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import seckill.metrics.Metrics;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.typesafe.config.Config;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.PriorityQueue;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import seckill.sale.SaleIds;

/**
 * This node's heat per sale and per buyer: request counts over a sliding window of short buckets,
 * kept in size-bounded Caffeine caches (frequency-based eviction keeps the busy keys). A sale whose
 * reserve rate passes the hot rate is hot; a buyer past their own token bucket is throttled.
 */
public final class HotKeys implements Extension {

  /** One per actor system: the edge, the queue and the admin API share the node's counts. */
  public static final class Id extends AbstractExtensionId<HotKeys> implements ExtensionIdProvider {
    @Override
    public HotKeys createExtension(ExtendedActorSystem system) {
      HotKeys hotKeys = new HotKeys(system.settings().config().getConfig("seckill.admission.hot-keys"), System::nanoTime);
      hotKeys.registerGauges(Metrics.get(Adapter.toTyped(system)).registry());
      return hotKeys;
    }

    @Override
    public Id lookup() {
      return ID;
    }
  }

  public static final Id ID = new Id();

  /** A sale's heat: reserve attempts and status polls in the window, and whether it counts as hot. */
  public record SaleHeat(String sale, double reservesPerSecond, long reserves, long statusPolls, boolean hot) {}

  /** A buyer's heat: reserve attempts in the window, how many of them were throttled (429). */
  public record BuyerHeat(String buyer, double reservesPerSecond, long reserves, long throttled) {}

  /** What {@code GET /admin/hotspots} answers: the hottest keys of this node, hottest first. */
  public record Hotspots(long windowSeconds, double hotSaleRate, double buyerRatePerSecond, long buyerBurst,
      int hotSales, int throttledBuyers, List<SaleHeat> sales, List<BuyerHeat> buyers) {}

  private static final int RESERVES = 0;
  private static final int STATUS_POLLS = 1;
  private static final int THROTTLED = 1;

  private final LongSupplier nanos;
  private final long tickNanos;
  private final int ticks;
  private final double windowSeconds;
  private final double hotSaleRate;
  private final long buyerRate;
  private final long buyerBurst;
  private final int top;
  private final TimeMeter meter;
  private final Cache<String, Window> sales;
  private final Cache<String, Buyer> buyers;

  /** {@code nanos} is the clock of the windows and the buckets: tests pass their own. */
  HotKeys(Config c, LongSupplier nanos) {
    this.nanos = nanos;
    Duration window = c.getDuration("window");
    this.ticks = c.getInt("buckets");
    this.tickNanos = Math.max(1, window.toNanos() / ticks);
    this.windowSeconds = tickNanos * ticks / 1e9;
    this.hotSaleRate = c.getDouble("hot-sale-rate");
    this.buyerRate = c.getLong("buyer-rate-per-second");
    this.buyerBurst = c.getLong("buyer-burst");
    this.top = c.getInt("top");
    this.meter = new TimeMeter() {
      @Override
      public long currentTimeNanos() {
        return nanos.getAsLong();
      }

      @Override
      public boolean isWallClockBased() {
        return false;
      }
    };
    // an idle buyer's entry may go once both its window and its bucket are back to nothing owed
    Duration refill = Duration.ofNanos(Math.max(1, buyerBurst * 1_000_000_000L / Math.max(1, buyerRate)));
    Duration idle = refill.compareTo(window) > 0 ? refill : window;
    // maintenance on the calling thread: no pool thread per eviction on a small machine
    this.sales = Caffeine.newBuilder().maximumSize(c.getLong("max-sales")).expireAfterAccess(window)
        .ticker(nanos::getAsLong).executor(Runnable::run).build();
    this.buyers = Caffeine.newBuilder().maximumSize(c.getLong("max-buyers")).expireAfterAccess(idle)
        .ticker(nanos::getAsLong).executor(Runnable::run).build();
  }

  public static HotKeys get(ActorSystem<?> system) {
    return ID.get(Adapter.toClassic(system));
  }

  /** Counts one reserve attempt on a sale, before any filter answers it. */
  public void reserveAttempt(String saleId) {
    if (SaleIds.isValidSaleId(saleId)) sales.get(saleId, k -> new Window(ticks)).add(tick(), RESERVES);
  }

  /** Counts one status poll of a sale. */
  public void statusPoll(String saleId) {
    if (SaleIds.isValidSaleId(saleId)) sales.get(saleId, k -> new Window(ticks)).add(tick(), STATUS_POLLS);
  }

  /** True while the sale's reserve attempts on this node average at least the hot rate over the window. */
  public boolean isHot(String saleId) {
    Window w = sales.getIfPresent(saleId);
    return w != null && w.sum(tick(), RESERVES) / windowSeconds >= hotSaleRate;
  }

  /**
   * Counts one reserve attempt of the buyer and takes one token of their bucket (atomic): empty
   * when it may pass, else the seconds to wait before the next one would.
   */
  public OptionalLong throttle(String buyer) {
    Buyer b = buyers.get(buyer, k -> new Buyer(new Window(ticks), nanos.getAsLong()));
    long now = tick();
    b.window.add(now, RESERVES);
    Bucket bucket = b.bucket(this);
    if (bucket == null) return OptionalLong.empty();
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
    if (probe.isConsumed()) return OptionalLong.empty();
    b.window.add(now, THROTTLED);
    return OptionalLong.of(RetryAdvice.wholeSeconds(probe.getNanosToWaitForRefill()));
  }

  /** A buyer's token bucket after their first burst, {@code sinceFirstNanos} after their first attempt. */
  private Bucket bucketAfter(long sinceFirstNanos) {
    long refilled = (long) Math.min(buyerBurst, (double) buyerRate * sinceFirstNanos / 1e9);
    return Bucket.builder()
        .addLimit(Bandwidth.builder().capacity(buyerBurst).refillGreedy(buyerRate, Duration.ofSeconds(1))
            .initialTokens(refilled).build())
        .withCustomTimePrecision(meter).build();
  }

  /** The hottest sales and buyers of this node right now (walks the bounded caches: for operators, not per request). */
  public Hotspots hotspots() {
    long now = tick();
    int[] hot = {0};
    List<SaleHeat> topSales = topOf(sales.asMap(), (id, w) -> {
      long reserves = w.sum(now, RESERVES);
      SaleHeat heat = new SaleHeat(id, reserves / windowSeconds, reserves, w.sum(now, STATUS_POLLS),
          reserves / windowSeconds >= hotSaleRate);
      if (heat.hot()) hot[0]++;
      return heat;
    }, Comparator.comparingLong(SaleHeat::reserves).thenComparingLong(SaleHeat::statusPolls));
    int[] throttled = {0};
    List<BuyerHeat> topBuyers = topOf(buyers.asMap(), (id, b) -> {
      long reserves = b.window.sum(now, RESERVES);
      BuyerHeat heat = new BuyerHeat(id, reserves / windowSeconds, reserves, b.window.sum(now, THROTTLED));
      if (heat.throttled() > 0) throttled[0]++;
      return heat;
    }, Comparator.comparingLong(BuyerHeat::reserves).thenComparingLong(BuyerHeat::throttled));
    return new Hotspots(Math.round(windowSeconds), hotSaleRate, buyerRate, buyerBurst, hot[0], throttled[0],
        topSales, topBuyers);
  }

  private interface Heat<V, H> {
    H of(String key, V value);
  }

  /** The {@code top} largest by {@code order}, largest first, through a heap of that size. */
  private <V, H> List<H> topOf(Map<String, V> entries, Heat<V, H> heat, Comparator<H> order) {
    PriorityQueue<H> heap = new PriorityQueue<>(top + 1, order);
    entries.forEach((key, value) -> {
      heap.add(heat.of(key, value));
      if (heap.size() > top) heap.poll();
    });
    List<H> sorted = new ArrayList<>(heap);
    sorted.sort(order.reversed());
    return sorted;
  }

  private long tick() {
    return Math.floorDiv(nanos.getAsLong(), tickNanos);
  }

  /**
   * A buyer's window and token bucket. A bucket starts full, so a buyer's first {@code burst}
   * attempts always pass: the bucket is made only when one more comes, and most buyers of a flash
   * sale (one or two attempts) never cost one. It starts with what refill gave since the first
   * attempt (at most full): never less than a bucket made at once would hold, at most one burst more
   * for a buyer who paused before the burst, as a flood never does.
   */
  private static final class Buyer {
    final Window window;
    final long firstNanos;
    private long attempts;
    private Bucket bucket;

    Buyer(Window window, long firstNanos) {
      this.window = window;
      this.firstNanos = firstNanos;
    }

    /** Counts an attempt; the bucket to take it from, or null while the first burst lasts. */
    synchronized Bucket bucket(HotKeys keys) {
      if (bucket != null) return bucket;
      if (++attempts <= keys.buyerBurst) return null;
      bucket = keys.bucketAfter(keys.nanos.getAsLong() - firstNanos);
      return bucket;
    }
  }

  /**
   * Two counters over a ring of {@code n} buckets; a bucket is reset when its tick comes round
   * again. Synchronized: a hot sale's window is touched by every request, and get-then-set would
   * lose counts.
   */
  private static final class Window {
    private final long[] tickOf;
    private final long[][] counts;

    Window(int n) {
      tickOf = new long[n];
      Arrays.fill(tickOf, Long.MIN_VALUE);
      counts = new long[2][n];
    }

    synchronized void add(long tick, int counter) {
      int i = (int) Math.floorMod(tick, (long) tickOf.length);
      if (tickOf[i] != tick) {
        tickOf[i] = tick;
        counts[0][i] = 0;
        counts[1][i] = 0;
      }
      counts[counter][i]++;
    }

    synchronized long sum(long tick, int counter) {
      long sum = 0;
      for (int i = 0; i < tickOf.length; i++) {
        if (tickOf[i] > tick - tickOf.length && tickOf[i] <= tick) sum += counts[counter][i];
      }
      return sum;
    }
  }

  /** Gauges read at scrape time (only the top sales get a series: bounded labels). */
  private void registerGauges(PrometheusRegistry registry) {
    GaugeWithCallback.builder().name("seckill_hot_keys").help("Hot sales and throttled buyers on this node, over the window")
        .labelNames("kind").callback(cb -> {
          Hotspots h = hotspots();
          cb.call(h.hotSales(), "hot_sales");
          cb.call(h.throttledBuyers(), "throttled_buyers");
        }).register(registry);
    GaugeWithCallback.builder().name("seckill_sale_reserve_rate").help("Reserve attempts per second on this node, top sales")
        .labelNames("sale").callback(cb -> hotspots().sales()
            .forEach(s -> cb.call(s.reservesPerSecond(), s.sale()))).register(registry);
  }
}
