package seckill.waitingroom;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/** A line's void places (leased, never given out) as merged ranges from → to (exclusive), and how many there were. */
final class VoidPlaces {

  private final TreeMap<Long, Long> ranges = new TreeMap<>();
  private long total;

  void add(long from, long to) {
    if (to <= from) return;
    total += to - from;
    Map.Entry<Long, Long> before = ranges.floorEntry(from);
    if (before != null && before.getValue() >= from) {
      from = before.getKey();
      to = Math.max(to, before.getValue());
    }
    Map.Entry<Long, Long> after;
    while ((after = ranges.ceilingEntry(from)) != null && after.getKey() <= to) {
      to = Math.max(to, after.getValue());
      ranges.remove(after.getKey());
    }
    ranges.put(from, to);
  }

  boolean contains(long place) {
    Map.Entry<Long, Long> found = ranges.floorEntry(place);
    return found != null && place < found.getValue();
  }

  /** Forgets the ranges that end at or below {@code passed}; {@link #total} still counts them. */
  void forgetBelow(long passed) {
    while (!ranges.isEmpty() && ranges.firstEntry().getValue() <= passed) ranges.pollFirstEntry();
  }

  /** Every void place reported, forgotten ones included. */
  long total() {
    return total;
  }

  NavigableMap<Long, Long> ranges() {
    return ranges;
  }
}
