package seckill.waitingroom;

import java.time.Instant;
import java.util.Arrays;
import java.util.NavigableMap;
import java.util.OptionalLong;
import seckill.serialization.CborSerializable;

/**
 * Where one sale's line stands, as its {@link WaitingLine} tells every node (a node keeps the
 * highest {@code version}): enough to answer a poll without asking anyone. Recent admissions come
 * one per second, ranks below {@code waveThrough[i]} admitted from {@code waveAtMillis[i]} (the
 * second's earliest moment, so an admission's end errs early, never late). The void places that
 * still count for {@link #ahead} come as ranges {@code voidFrom[i]..voidTo[i]} with
 * {@code voidsBefore[i]} void places before each; {@code preQueue}, {@code shuffleKey} and
 * {@code stoppedSinceMillis} mean what they mean in the line. The places out of the line that still
 * matter come sorted in {@code leftPlaces} (their buyers left) and {@code revokedPlaces} (revoked by
 * an operator): polls of their tickets say so, and their admission tokens are refused.
 */
public record LineView(String saleId, long version, long admittedThrough, long leasedThrough, long preQueue,
    long shuffleKey, long oldestFrom, long[] waveThrough, long[] waveAtMillis, Counts counts, long publishedAtMillis,
    String node, long[] voidFrom, long[] voidTo, long[] voidsBefore, long stoppedSinceMillis, long[] leftPlaces,
    long[] revokedPlaces) implements CborSerializable {

  /**
   * The line's own figures for operators: admitted and not done, waiting (places given and not yet
   * admitted), admissions that expired unused since the line started on its node, joins and
   * admissions per second over the last ten seconds, and buyers let in; void places are left out
   * where the line knows them. Then the waits, lease to admission ({@link LineWaits}): the last place
   * let in, median and p90 of the last ones (null before the first), and the seconds until the last
   * place given is let in (null while the line does not move).
   */
  public record Counts(int active, long waiting, long abandoned, double joinedPerSecond, double admittedPerSecond,
      long admitted, Double lastAdmittedWaitSeconds, Double admittedWaitMedianSeconds, Double admittedWaitP90Seconds,
      Long backOfLineEtaSeconds) implements CborSerializable {}

  /** The most void ranges a view carries: the nearest to the mark, where they matter. */
  static final int MAX_VOID_RANGES = 4096;

  static LineView of(String saleId, WaitingLine.State state, long version, Instant now, Counts counts, String node,
      NavigableMap<Long, Long> voids, long stoppedSinceMillis) {
    long[] through = new long[state.recent().size()];
    long[] at = new long[through.length];
    int n = 0;
    for (WaitingLine.Wave wave : state.recent()) {
      if (n > 0 && at[n - 1] / 1000 == wave.atMillis() / 1000) {
        through[n - 1] = wave.through(); // same second: keep its earliest moment
      } else {
        through[n] = wave.through();
        at[n] = wave.atMillis();
        n++;
      }
    }
    long oldest = state.recent().isEmpty() ? state.admittedThrough() : state.recent().get(0).from();
    return new LineView(saleId, version, state.admittedThrough(), state.leasedThrough(), state.preQueue(),
        state.shuffleKey(), oldest, Arrays.copyOf(through, n), Arrays.copyOf(at, n), counts, now.toEpochMilli(), node,
        null, null, null, stoppedSinceMillis, outPlaces(state, false), outPlaces(state, true))
        .withVoids(voidsToShow(voids, state));
  }

  private static long[] outPlaces(WaitingLine.State state, boolean revoked) {
    return state.out().stream().filter(w -> w.revoked() == revoked).mapToLong(WaitingLine.Withdrawal::place)
        .sorted().toArray();
  }

  /** The void ranges that reach past {@code mark}. */
  private static NavigableMap<Long, Long> notPassed(NavigableMap<Long, Long> voids, long mark) {
    var straddling = voids.floorEntry(mark);
    return voids.tailMap(straddling != null && straddling.getValue() > mark ? straddling.getKey() : mark, true);
  }

  /** The void ranges a view carries: all of a shuffled pre-queue's while its ranks are being let in, else those past the mark. */
  private static NavigableMap<Long, Long> voidsToShow(NavigableMap<Long, Long> voids,
      WaitingLine.State state) {
    boolean inShuffledPreQueue = state.opened() && state.shuffleKey() != 0 && state.admittedThrough() < state.preQueue();
    return inShuffledPreQueue ? voids : notPassed(voids, state.admittedThrough());
  }

  private LineView withVoids(NavigableMap<Long, Long> ahead) {
    int n = Math.min(ahead.size(), MAX_VOID_RANGES);
    long[] from = new long[n];
    long[] to = new long[n];
    long[] before = new long[n];
    int i = 0;
    long sum = 0;
    for (var range : ahead.entrySet()) {
      if (i == n) break;
      from[i] = range.getKey();
      to[i] = range.getValue();
      before[i] = sum;
      sum += to[i] - from[i];
      i++;
    }
    return new LineView(saleId, version, admittedThrough, leasedThrough, preQueue, shuffleKey, oldestFrom, waveThrough,
        waveAtMillis, counts, publishedAtMillis, node, from, to, before, stoppedSinceMillis, leftPlaces, revokedPlaces);
  }

  /** {@code REVOKED} or {@code LEFT} for a place out of the line, else null. */
  public String withdrawnAs(long place) {
    if (revokedPlaces != null && Arrays.binarySearch(revokedPlaces, place) >= 0) return "REVOKED";
    if (leftPlaces != null && Arrays.binarySearch(leftPlaces, place) >= 0) return "LEFT";
    return null;
  }

  /**
   * Places ahead of {@code rank}: the ranks between the mark and it, less the void places among them
   * that the line knows of. In a shuffled pre-queue ranks are not places, so its void places are
   * taken as spread evenly over its ranks.
   */
  public long ahead(long rank) {
    if (!(preQueue >= 0 && shuffleKey != 0 && admittedThrough < preQueue)) {
      return Math.max(0, rank - admittedThrough - (voidsBelow(rank) - voidsBelow(admittedThrough)));
    }
    double voidShare = (double) voidsBelow(preQueue) / preQueue;
    long ahead = (long) Math.floor((Math.min(rank, preQueue) - admittedThrough) * (1 - voidShare));
    if (rank > preQueue) ahead += rank - preQueue - (voidsBelow(rank) - voidsBelow(preQueue));
    return Math.max(0, ahead);
  }

  private long voidsBelow(long place) {
    if (voidFrom == null || voidFrom.length == 0 || place <= voidFrom[0]) return 0;
    int lo = 0;
    int hi = voidFrom.length - 1;
    while (lo < hi) { // the last range starting below the place
      int mid = (lo + hi + 1) >>> 1;
      if (voidFrom[mid] < place) lo = mid;
      else hi = mid - 1;
    }
    return voidsBefore[lo] + Math.min(place, voidTo[lo]) - voidFrom[lo];
  }

  /** The rank of {@code place}: shuffled among the pre-queue when the key says so, else the place itself. */
  public static long rankOf(long place, long preQueue, long shuffleKey) {
    return preQueue >= 0 && shuffleKey != 0 && place < preQueue ? Shuffle.rank(place, preQueue, shuffleKey) : place;
  }

  public boolean opened() {
    return preQueue >= 0;
  }

  public long rankOf(long place) {
    return rankOf(place, preQueue, shuffleKey);
  }

  /** The place let in at {@code rank}: the inverse of {@link #rankOf(long, long, long)}. */
  public static long placeOf(long rank, long preQueue, long shuffleKey) {
    return preQueue >= 0 && shuffleKey != 0 && rank >= 0 && rank < preQueue ? Shuffle.place(rank, preQueue, shuffleKey) : rank;
  }

  public long placeOf(long rank) {
    return placeOf(rank, preQueue, shuffleKey);
  }

  /** When {@code rank} was admitted; empty when it was not, or so long ago that it is no longer listed. */
  public OptionalLong admittedAt(long rank) {
    if (rank >= admittedThrough || rank < oldestFrom || waveThrough.length == 0) return OptionalLong.empty();
    int lo = 0;
    int hi = waveThrough.length - 1;
    while (lo < hi) { // the first second whose mark passed the rank
      int mid = (lo + hi) >>> 1;
      if (waveThrough[mid] > rank) hi = mid;
      else lo = mid + 1;
    }
    return waveThrough[lo] > rank ? OptionalLong.of(waveAtMillis[lo]) : OptionalLong.empty();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof LineView v && v.saleId.equals(saleId) && v.version == version
        && v.publishedAtMillis == publishedAtMillis;
  }

  @Override
  public int hashCode() {
    return saleId.hashCode() * 31 + Long.hashCode(version);
  }

  @Override
  public String toString() {
    return "LineView[" + saleId + " v" + version + " admittedThrough=" + admittedThrough + " leasedThrough="
        + leasedThrough + " preQueue=" + preQueue + " " + counts + "]";
  }
}
