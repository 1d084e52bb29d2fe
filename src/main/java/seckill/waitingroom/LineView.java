package seckill.waitingroom;

import java.time.Instant;
import java.util.Arrays;
import java.util.OptionalLong;
import seckill.serialization.CborSerializable;

/**
 * Where one sale's line stands, as its {@link WaitingLine} tells every node: enough to answer a poll
 * without asking anyone. Admissions of the last {@code admissionTtl} are kept one per second (the
 * earliest moment of that second), so a node can tell when a rank was admitted, and from that how
 * long its admission is good; the moment errs early by under a second, never late.
 *
 * @param version the line's sequence number: a node keeps the newest it has seen
 * @param preQueue places below this were given before the opening; -1 until the sale opened
 * @param shuffleKey the pre-queue's shuffle, 0 when it is admitted in join order (never shown to buyers)
 * @param oldestFrom the first rank of the oldest admission still listed
 * @param admittedThrough per second: ranks below this were admitted...
 * @param admittedAtMillis ...from this moment on
 */
public record LineView(String saleId, long version, long admittedThrough, long leasedThrough, long preQueue,
    long shuffleKey, long oldestFrom, long[] waveThrough, long[] waveAtMillis, Counts counts, long publishedAtMillis)
    implements CborSerializable {

  /**
   * The line's own figures for operators: admitted and not done, waiting (places given and not yet
   * admitted), admissions that expired unused since the line started on its node, and joins and
   * admissions per second over the last ten seconds. Void places are left out where the line knows them.
   */
  public record Counts(int active, long waiting, long abandoned, double joinedPerSecond, double admittedPerSecond)
      implements CborSerializable {}

  static LineView of(String saleId, WaitingLine.State state, long version, Instant now, Counts counts) {
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
        state.shuffleKey(), oldest, Arrays.copyOf(through, n), Arrays.copyOf(at, n), counts, now.toEpochMilli());
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

  /** Ranks admitted per second over the listed admissions of the last {@code windowMillis}; 0 when none. */
  public double recentRate(long nowMillis, long windowMillis) {
    long since = nowMillis - windowMillis;
    long before = admittedThrough;
    for (int i = waveThrough.length - 1; i >= 0 && waveAtMillis[i] > since; i--) {
      before = i == 0 ? oldestFrom : waveThrough[i - 1];
    }
    return (admittedThrough - before) * 1000.0 / windowMillis;
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
