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

  /** r1 and r4 written by the copy of the sale that ran at the cut (w1), r2 by the next one (w2). */
  private static List<JournalEntry> cleanJournal() {
    return new ArrayList<>(List.of(placed("r1", "b1", "w1", CUT - 495), placed("r2", "b2", "w2", CUT + 7_005),
        placed("r4", "b4", "w1", CUT + 1_010)));
  }

  /** Reservation {@code id} of {@code buyer} (one unit, request q-buyer) as {@code writer} wrote it at {@code at}. */
  private static JournalEntry placed(String id, String buyer, String writer, long at) {
    return new JournalEntry(id, buyer, "q-" + buyer, 1, writer, at);
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
    journal.add(placed("r3", "b3", "w2", CUT + 8_005)); // b3 was refused with a 410
    journal.add(placed("r5", "b5", "w2", CUT + 8_500)); // b5 never asked
    List<String> found = HistoryChecker.violations(clean(), state(journal, 5, 5));
    assertEquals(List.of("reservation r3 of b3 is in the journal, but the buyer was refused",
        "reservation r5 of b5, who never asked, is in the journal"), found);

    // a buyer who got only a 503 and no answer may well have been placed: the outcome was never told
    List<Exchange> history = clean();
    history.add(new Exchange(CUT + 100, CUT + 5_000, 1, "b6", "q-b6", 503, null));
    List<JournalEntry> placedUntold = cleanJournal();
    placedUntold.add(placed("r6", "b6", "w1", CUT + 200));
    assertEquals(List.of(), HistoryChecker.violations(history, state(placedUntold, 4, 6)));
  }

  @Test
  void aUnitSoldTwiceABuyerAboveTheLimitAndUnbalancedCountersAreReported() {
    List<JournalEntry> journal = cleanJournal();
    journal.add(placed("r1", "b1", "w1", CUT - 495)); // the same reservation placed again
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
  void timingsTellTheCopiesOfTheSaleApartAndAnOverlap() {
    // w1 ran at the cut: its last 201 at +1.02 s; w2 took over: its first 201 at +7.01 s
    Timings t = HistoryChecker.timings(clean(), cleanJournal(), CUT);
    assertEquals(1.02, t.lastLosing201(), 1e-9);
    assertEquals(7.01, t.firstWinning201(), 1e-9);
    assertEquals(5.99, t.no201Window(), 1e-9);
    assertEquals(5.99, t.longestGap(), 1e-9);
    assertTrue(t.noOverlap());
    assertFalse(t.overlap());

    // b10's reservation, written by w1 at +2 s, reaches it only as the answer to a retry after w2 began,
    // given by w2's node from its ledger: not a sale of w1 after w2's first
    List<Exchange> replayed = clean();
    replayed.add(new Exchange(CUT + 1_900, CUT + 6_900, 1, "b10", "q-b10", 503, null));
    replayed.add(new Exchange(CUT + 11_900, CUT + 11_910, 1, "b10", "q-b10", 201, "r10"));
    List<JournalEntry> journal = cleanJournal();
    journal.add(placed("r10", "b10", "w1", CUT + 2_000));
    assertFalse(HistoryChecker.timings(replayed, journal, CUT).overlap());
    assertEquals(List.of(), HistoryChecker.violations(replayed, state(journal, 4, 6)));

    // w1 still sells after w2 began: both copies at once
    List<Exchange> overlapping = clean();
    overlapping.add(new Exchange(CUT + 7_500, CUT + 7_600, 0, "b8", "q-b8", 201, "r8"));
    List<JournalEntry> twoCopies = cleanJournal();
    twoCopies.add(placed("r8", "b8", "w1", CUT + 7_550));
    Timings both = HistoryChecker.timings(overlapping, twoCopies, CUT);
    assertTrue(both.overlap());
    assertFalse(both.noOverlap());
    assertEquals(-0.59, both.no201Window(), 1e-9);

    // the sale stayed on w1: no second copy, nothing to compare
    List<JournalEntry> oneCopy = cleanJournal();
    oneCopy.set(1, placed("r2", "b2", "w1", CUT + 7_005));
    Timings stayed = HistoryChecker.timings(clean(), oneCopy, CUT);
    assertTrue(Double.isNaN(stayed.lastLosing201()) && Double.isNaN(stayed.firstWinning201()), stayed.toString());
    assertEquals(5.99, stayed.longestGap(), 1e-9);
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
