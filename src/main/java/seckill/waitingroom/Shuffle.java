package seckill.waitingroom;

/**
 * The order in which the pre-queue is admitted: a permutation of the places {@code 0..n-1} given out
 * before the opening, drawn at the opening from a random key. A balanced Feistel network over the
 * smallest even number of bits that covers {@code n}, walked again while the result lies outside
 * {@code 0..n-1} (cycle walking), so the result is a bijection on exactly those places. Any node
 * computes a place's rank, and the line a rank's place, from the key alone; no table is kept.
 */
final class Shuffle {

  private static final int ROUNDS = 4;

  private Shuffle() {}

  /** The rank of {@code place} among {@code n} places under {@code key}. */
  static long rank(long place, long n, long key) {
    check(place, n);
    if (n <= 1) return place;
    int half = halfBits(n);
    long mask = (1L << half) - 1;
    long y = place;
    do {
      long left = y >>> half;
      long right = y & mask;
      for (int round = 0; round < ROUNDS; round++) {
        long next = left ^ (mix(right, key, round) & mask);
        left = right;
        right = next;
      }
      y = (left << half) | right;
    } while (y >= n);
    return y;
  }

  /** The place whose rank is {@code rank}: the inverse of {@link #rank}. */
  static long place(long rank, long n, long key) {
    check(rank, n);
    if (n <= 1) return rank;
    int half = halfBits(n);
    long mask = (1L << half) - 1;
    long y = rank;
    do {
      long left = y >>> half;
      long right = y & mask;
      for (int round = ROUNDS - 1; round >= 0; round--) {
        long previous = right ^ (mix(left, key, round) & mask);
        right = left;
        left = previous;
      }
      y = (left << half) | right;
    } while (y >= n);
    return y;
  }

  private static void check(long value, long n) {
    if (value < 0 || value >= n) throw new IllegalArgumentException(value + " is not in 0.." + (n - 1));
  }

  /** Half the bits of the smallest even-bit domain holding {@code n} values. */
  private static int halfBits(long n) {
    int bits = 64 - Long.numberOfLeadingZeros(n - 1);
    return Math.max(1, (bits + 1) / 2);
  }

  /** A round's function: SplitMix64's finalizer over the half, the key and the round. */
  private static long mix(long half, long key, int round) {
    long z = half + key + (round + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
