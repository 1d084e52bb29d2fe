package seckill.waitingroom;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A line's admission waves still within their admission time: which ranks in each finished
 * (reserved, or void after all), so the line knows how many admitted buyers may still reserve.
 */
final class ActiveAdmissions {

  /** One wave: its time (moved on by every stop of the sale since) and the ranks in it that are done. */
  private static final class Live {
    final WaitingLine.Wave wave;
    long atMillis;
    final int voids;
    final Set<Long> done = new HashSet<>();

    Live(WaitingLine.Wave wave, int voids) {
      this.wave = wave;
      this.atMillis = wave.atMillis();
      this.voids = voids;
    }

    int active() {
      return (int) (wave.through() - wave.from()) - voids - done.size();
    }
  }

  private final ArrayDeque<Live> live = new ArrayDeque<>();
  private final TreeMap<Long, Live> byFrom = new TreeMap<>();
  private long abandoned;
  private int finished;

  /** A wave just admitted, with {@code voids} void places skipped in it. */
  void add(WaitingLine.Wave wave, int voids) {
    Live added = new Live(wave, voids);
    live.addLast(added);
    byFrom.put(wave.from(), added);
  }

  boolean isEmpty() {
    return live.isEmpty();
  }

  /** The sale stopped selling for {@code millis}: every admission runs out that much later. */
  void defer(long millis) {
    for (Live l : live) l.atMillis += millis;
  }

  /** Drops the waves admitted at or before {@code beforeMillis}: what in them was not done was abandoned. */
  void expire(long beforeMillis) {
    while (!live.isEmpty() && live.peekFirst().atMillis <= beforeMillis) {
      Live gone = live.pollFirst();
      byFrom.remove(gone.wave.from());
      abandoned += gone.active();
    }
  }

  /** Admitted and not done. */
  int active() {
    long sum = 0;
    for (Live l : live) sum += l.active();
    return (int) Math.min(Integer.MAX_VALUE, sum);
  }

  /** A buyer's admission finished; counted once however often it is reported. */
  void finish(long rank) {
    if (markDone(rank)) finished++;
  }

  /** Marks an admitted rank done; false when no wave holds it or it was done already. */
  boolean markDone(long rank) {
    Map.Entry<Long, Live> found = byFrom.floorEntry(rank);
    return found != null && rank < found.getValue().wave.through() && found.getValue().done.add(rank);
  }

  /** Admissions that expired unused since the line started on this node. */
  long abandoned() {
    return abandoned;
  }

  int finished() {
    return finished;
  }
}
