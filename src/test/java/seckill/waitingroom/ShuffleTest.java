package seckill.waitingroom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The pre-queue's shuffle: a bijection on exactly the pre-queue's places, unrelated to join order. */
class ShuffleTest {

  @Test
  void everyPlaceGetsItsOwnRankAndTheRankLeadsBack() {
    Random random = new Random(7);
    for (long n : new long[] {1, 2, 3, 7, 64, 1000, 4097}) {
      long key = random.nextLong() | 1;
      boolean[] seen = new boolean[(int) n];
      for (long place = 0; place < n; place++) {
        long rank = Shuffle.rank(place, n, key);
        assertTrue(rank >= 0 && rank < n, "rank " + rank + " of " + n);
        assertFalse(seen[(int) rank], "rank " + rank + " given twice among " + n);
        seen[(int) rank] = true;
        assertEquals(place, Shuffle.place(rank, n, key));
      }
    }
  }

  @Test
  void theOrderOfAdmissionIsIndependentOfTheOrderOfJoining() {
    int n = 3000;
    Random random = new Random(11);
    for (int trial = 0; trial < 5; trial++) {
      long key = random.nextLong() | 1;
      double rho = spearman(n, key);
      // for independent orders rho has a standard deviation of 1/sqrt(n-1), about 0.018 here
      assertTrue(Math.abs(rho) < 0.08, "rank correlation " + rho);
    }
    assertTrue(Math.abs(spearman(n, 0x5EC0FFEEL)) < 0.08);
  }

  @Test
  void differentKeysGiveDifferentOrders() {
    int n = 1000;
    int same = 0;
    for (long place = 0; place < n; place++) {
      if (Shuffle.rank(place, n, 1234567L) == Shuffle.rank(place, n, 7654321L)) same++;
    }
    assertTrue(same < 20, same + " places got the same rank under two keys");
  }

  /** Spearman's rank correlation between join order (the place) and admission order (the rank). */
  private static double spearman(int n, long key) {
    double sumD2 = 0;
    for (long place = 0; place < n; place++) {
      double d = place - Shuffle.rank(place, n, key);
      sumD2 += d * d;
    }
    return 1 - 6 * sumD2 / ((double) n * ((double) n * n - 1));
  }
}
