package seckill.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import seckill.partition.History.Exchange;
import seckill.partition.HistoryChecker.FinalState;
import seckill.partition.HistoryChecker.JournalEntry;
import seckill.partition.HistoryChecker.Timings;

/** The checker finds each kind of violation planted in an otherwise clean history, and nothing in the clean one. */
class HistoryCheckerTest {

  private static final long CUT = 1_000_000;

  /** b1 bought on node 0 before the cut; b2 waited out a 503 and a lost connection, then bought on node 1; b3 was refused. */
  private static List<Exchange> clean() {
    return new ArrayList<>(List.of(
        new Exchange(CUT - 500, CUT - 490, 0, "b1", "q-b1", 201, "r1"),
        new Exchange(CUT + 100, CUT + 5_000, 1, "b2", "q-b2", 503, null),
        new Exchange(CUT + 6_000, CUT + 6_001, 1, "b2", "q-b2", History.NO_ANSWER, null),
        new Exchange(CUT + 7_000, CUT + 7_010, 1, "b2", "q-b2", 201, "r2"),
        new Exchange(CUT + 8_000, CUT + 8_010, 2, "b3", "q-b3", 410, null),
        new Exchange(CUT + 1_000, CUT + 1_020, 0, "b4", "q-b4", 201, "r4")));
  }

  private static List<JournalEntry> cleanJournal() {
    return new ArrayList<>(List.of(new JournalEntry("r1", "b1", "q-b1", 1), new JournalEntry("r2", "b2", "q-b2", 1),
        new JournalEntry("r4", "b4", "q-b4", 1)));
  }

  private static FinalState state(List<JournalEntry> journal, int held, int available) {
    return new FinalState(10, 1, 0, held, available, 1, journal);
  }

  @Test
  void aCleanHistoryHasNoViolation() {
    assertEquals(List.of(), HistoryChecker.violations(clean(), state(cleanJournal(), 3, 7)));
  }

  @Test
  void aCleanHistoryWrittenToItsLogReadsBackTheSame(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("history.tsv");
    try (History h = new History(log)) {
      clean().forEach(h::add);
    }
    assertEquals(clean(), History.read(log));
    assertEquals(clean().size(), Files.readAllLines(log).size());
  }

  @Test
  void a201WhoseReservationIsNotInTheJournalIsReported() {
    List<JournalEntry> journal = cleanJournal();
    journal.removeIf(p -> p.reservationId().equals("r2"));
    List<String> found = HistoryChecker.violations(clean(), state(journal, 2, 8));
    assertEquals(List.of("201 r2 to b2 is not in the journal"), found);
  }

  @Test
  void twoReservationsForOneRequestAreReported() {
    List<Exchange> history = clean();
    history.add(new Exchange(CUT + 9_000, CUT + 9_010, 2, "b2", "q-b2", 201, "r9"));
    List<String> found = HistoryChecker.violations(history, state(cleanJournal(), 3, 7));
    assertTrue(found.contains("request b2/q-b2 was answered with different reservations [r2, r9]"), found.toString());
    assertTrue(found.contains("201 r9 to b2 is not in the journal"), found.toString());
  }

  @Test
  void aReservationNobodyWasToldOfIsReportedUnlessItsAnswerWasLost() {
    List<JournalEntry> journal = cleanJournal();
    journal.add(new JournalEntry("r3", "b3", "q-b3", 1)); // b3 was refused with a 410
    journal.add(new JournalEntry("r5", "b5", "q-b5", 1)); // b5 never asked
    List<String> found = HistoryChecker.violations(clean(), state(journal, 5, 5));
    assertEquals(List.of("reservation r3 of b3 is in the journal, but the buyer was refused",
        "reservation r5 of b5, who never asked, is in the journal"), found);

    // a buyer who got only a 503 and no answer may well have been placed: the outcome was never told
    List<Exchange> history = clean();
    history.add(new Exchange(CUT + 100, CUT + 5_000, 1, "b6", "q-b6", 503, null));
    List<JournalEntry> placedUntold = cleanJournal();
    placedUntold.add(new JournalEntry("r6", "b6", "q-b6", 1));
    assertEquals(List.of(), HistoryChecker.violations(history, state(placedUntold, 4, 6)));
  }

  @Test
  void aUnitSoldTwiceABuyerAboveTheLimitAndUnbalancedCountersAreReported() {
    List<JournalEntry> journal = cleanJournal();
    journal.add(new JournalEntry("r1", "b1", "q-b1", 1)); // the same reservation placed again
    List<String> found = HistoryChecker.violations(clean(), new FinalState(10, 1, 0, 4, 5, 2, journal));
    assertEquals(List.of("reservation r1 is in the journal twice", "b1 holds 2 units, above the limit of 1",
        "the counters' top buyer holds 2 units, above the limit of 1", "sold 0 + held 4 + available 5 != stock 10"),
        found);
    List<String> counted = HistoryChecker.violations(clean(), state(cleanJournal(), 4, 6));
    assertEquals(List.of("the journal placed 3 units, the counters say 4 are taken: a unit sold twice or not at all"),
        counted);
  }

  @Test
  void aServerErrorIsReported() {
    List<Exchange> history = clean();
    history.add(new Exchange(CUT + 100, CUT + 200, 2, "b7", "q-b7", 500, null));
    assertEquals(List.of("unexpected answer 500 to b7 (q-b7) from node 2"),
        HistoryChecker.violations(history, state(cleanJournal(), 3, 7)));
  }

  @Test
  void timingsMeasureBothSidesAroundTheCutAndTellAnOverlap() {
    // node 0 lost: its last 201 at +1.02 s; node 1 won: its first 201 to a request sent after the cut at +7.01 s
    Timings t = HistoryChecker.timings(clean(), CUT, Set.of(0));
    assertEquals(1.02, t.lastLosing201(), 1e-9);
    assertEquals(7.01, t.firstWinning201(), 1e-9);
    assertEquals(5.99, t.no201Window(), 1e-9);
    assertEquals(5.99, t.longestGap(), 1e-9);
    assertTrue(t.noOverlap());

    List<Exchange> overlapping = clean();
    overlapping.add(new Exchange(CUT + 7_500, CUT + 7_600, 0, "b8", "q-b8", 201, "r8")); // the loser still sells
    assertFalse(HistoryChecker.timings(overlapping, CUT, Set.of(0)).noOverlap());
  }

  @Test
  void backToNormalWaitsForTheLastRunningNodeToSellAgainAfterTheHeal() {
    // healed at +5 s: node 1's first 201 to a request sent after it at +7.01 s, node 2 refused, node 0 sold before
    assertEquals(2.01, HistoryChecker.backToNormal(clean(), CUT + 5_000, Set.of(1)), 1e-9);
    assertTrue(Double.isNaN(HistoryChecker.backToNormal(clean(), CUT + 5_000, Set.of(0, 1))), "node 0 never sold again");
    List<Exchange> later = clean();
    later.add(new Exchange(CUT + 9_000, CUT + 9_500, 0, "b9", "q-b9", 201, "r9"));
    assertEquals(4.5, HistoryChecker.backToNormal(later, CUT + 5_000, Set.of(0, 1)), 1e-9);
    assertTrue(Double.isNaN(HistoryChecker.backToNormal(later, CUT + 5_000, Set.of())), "no node runs");
  }
}
