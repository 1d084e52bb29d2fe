package seckill.waitingroom;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * A line's waits, for operators: when each block of places was leased, and for each place let in
 * the time from its lease to its admission. A desk gives a leased place out within its lease
 * lifetime, so a wait counts from at most that long before the buyer joined. Memory only: places
 * leased before the line's restart have no lease time and count no wait.
 */
final class LineWaits {

  /** The waits the median and p90 are taken over: the last places let in. */
  static final int KEPT = 1024;

  /** The last admission's wait, and the median and p90 over the last {@value #KEPT}; null before the first. */
  record Summary(Double lastSeconds, Double medianSeconds, Double p90Seconds) {
    static final Summary NONE = new Summary(null, null, null);
  }

  /** Lease times by the first place of each lease: place → leased at millis, up to the next entry. */
  private final TreeMap<Long, Long> leasedAt = new TreeMap<>();
  private final long[] millis = new long[KEPT];
  private long count;
  private long last = -1;
  private Summary summary = Summary.NONE;
  private boolean changed;

  /** Places from {@code from} on were leased at {@code atMillis} (until the next lease's first place). */
  void leased(long from, long atMillis) {
    leasedAt.put(from, atMillis);
  }

  /** {@code place} was let in at {@code atMillis}: its wait counts when its lease time is known. */
  void admitted(long place, long atMillis) {
    Map.Entry<Long, Long> lease = leasedAt.floorEntry(place);
    if (lease == null) return;
    last = Math.max(0, atMillis - lease.getValue());
    millis[(int) (count++ % KEPT)] = last;
    changed = true;
  }

  /** Forgets the lease times of places below {@code passed}: none of them is let in again. */
  void forgetBelow(long passed) {
    Long keep = leasedAt.floorKey(passed);
    if (keep != null) leasedAt.headMap(keep, false).clear();
  }

  /** The figures; sorted again only when a wait came in since the last call (once per publish at most). */
  Summary summary() {
    if (!changed) return summary;
    changed = false;
    long[] sorted = Arrays.copyOf(millis, (int) Math.min(count, KEPT));
    Arrays.sort(sorted);
    summary = new Summary(last / 1000.0, quantileSeconds(sorted, 0.5), quantileSeconds(sorted, 0.9));
    return summary;
  }

  /** The {@code q} quantile of sorted milliseconds, in seconds (the sample at that share); null when there is none. */
  static Double quantileSeconds(long[] sortedMillis, double q) {
    if (sortedMillis.length == 0) return null;
    return sortedMillis[Math.min(sortedMillis.length - 1, (int) (sortedMillis.length * q))] / 1000.0;
  }
}
