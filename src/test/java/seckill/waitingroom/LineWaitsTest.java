package seckill.waitingroom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** A line's waits from the lease times it was told: the last, the median and p90, and what it forgets. */
class LineWaitsTest {

  @Test
  void aPlaceWaitsFromItsLeaseToItsAdmission() {
    LineWaits waits = new LineWaits();
    assertEquals(LineWaits.Summary.NONE, waits.summary(), "nothing let in yet");
    waits.leased(0, 1_000);
    waits.leased(100, 5_000);
    waits.admitted(50, 4_000); // leased at 1 s
    waits.admitted(99, 4_500);
    waits.admitted(150, 6_000); // leased at 5 s
    LineWaits.Summary summary = waits.summary();
    assertEquals(1.0, summary.lastSeconds());
    assertEquals(3.0, summary.medianSeconds(), "of 1, 3 and 3.5 s");
    assertEquals(3.5, summary.p90Seconds());
  }

  @Test
  void placesLeasedBeforeAnyKnownLeaseOrForgottenCountNoWait() {
    LineWaits waits = new LineWaits();
    waits.leased(100, 1_000);
    waits.admitted(99, 2_000); // leased before the line's restart: its time is not known
    assertEquals(LineWaits.Summary.NONE, waits.summary());
    waits.leased(200, 3_000);
    waits.forgetBelow(250);
    waits.admitted(150, 4_000);
    assertEquals(LineWaits.Summary.NONE, waits.summary(), "the lease of places 100..199 is forgotten");
    waits.admitted(260, 4_000);
    assertEquals(1.0, waits.summary().lastSeconds(), "the lease the mark is in is kept");
  }

  @Test
  void theMedianAndP90AreOverTheLastPlacesLetIn() {
    LineWaits waits = new LineWaits();
    waits.leased(0, 0);
    for (int i = 0; i < LineWaits.KEPT; i++) waits.admitted(i, 100_000); // an old, long wait for all kept
    for (int i = 0; i < LineWaits.KEPT; i++) waits.admitted(i, (i % 10 + 1) * 1_000L); // 1..10 s, ten of each
    LineWaits.Summary summary = waits.summary();
    assertEquals(5.0, summary.medianSeconds(), "the old waits are gone");
    assertEquals(9.0, summary.p90Seconds());
    assertNull(LineWaits.quantileSeconds(new long[0], 0.5));
  }
}
