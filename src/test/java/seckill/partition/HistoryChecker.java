package seckill.partition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import seckill.partition.History.Exchange;

/**
 * Judges a run's {@link History} against the sale's final state, Jepsen-style: what every client was
 * told must agree with what the journal holds, whatever the network did meanwhile. A 503 or no answer
 * is indefinite (the request may or may not have been placed: the client sends it again); a 201 or a
 * refusal (4xx) is definite.
 */
public final class HistoryChecker {

  private HistoryChecker() {}

  /**
   * One reservation as the sale's journal placed it, with the copy of the sale that wrote it (the
   * journal's writer: one per incarnation of the entity) and when (ms since the epoch).
   */
  public record JournalEntry(String reservationId, String buyer, String requestId, int quantity, String writer,
      long writtenAt) {}

  /** The sale at the end of the run: its definition, its counters (admin API) and its journal. */
  public record FinalState(int stock, int limit, int sold, int held, int available, int topBuyerUnits,
      List<JournalEntry> journal) {}

  /** Every violation of the sale's promises the history and the final state show; empty when none. */
  public static List<String> violations(List<Exchange> history, FinalState end) {
    List<String> found = new ArrayList<>();
    Map<String, Set<String>> toldPerRequest = new HashMap<>();
    Map<String, Set<String>> toldPerBuyer = new HashMap<>();
    Set<String> refusedBuyers = new HashSet<>();
    Set<String> buyers = new HashSet<>();
    for (Exchange e : history) {
      buyers.add(e.buyer());
      if (e.status() == 201) {
        toldPerRequest.computeIfAbsent(e.buyer() + "/" + e.requestId(), k -> new TreeSet<>()).add(e.reservationId());
        toldPerBuyer.computeIfAbsent(e.buyer(), k -> new TreeSet<>()).add(e.reservationId());
      } else if (e.status() >= 400 && e.status() < 500) {
        refusedBuyers.add(e.buyer());
      } else if (e.status() != 503 && e.status() != History.NO_ANSWER) {
        found.add("unexpected answer " + e.status() + " to " + e.buyer() + " (" + e.requestId() + ") from node "
            + e.node());
      }
    }
    toldPerRequest.forEach((request, told) -> {
      if (told.size() > 1) found.add("request " + request + " was answered with different reservations " + told);
    });

    Map<String, JournalEntry> journalById = new HashMap<>();
    Map<String, Integer> unitsPerBuyer = new HashMap<>();
    int journalUnits = 0;
    for (JournalEntry p : end.journal()) {
      if (journalById.put(p.reservationId(), p) != null) found.add("reservation " + p.reservationId()
          + " is in the journal twice");
      unitsPerBuyer.merge(p.buyer(), p.quantity(), Integer::sum);
      journalUnits += p.quantity();
    }
    toldPerBuyer.forEach((buyer, told) -> {
      for (String rid : told) {
        JournalEntry p = journalById.get(rid);
        if (p == null) found.add("201 " + rid + " to " + buyer + " is not in the journal");
        else if (!p.buyer().equals(buyer)) found.add("201 " + rid + " to " + buyer + " is " + p.buyer() + "'s in the journal");
      }
    });
    for (JournalEntry p : end.journal()) {
      Set<String> told = toldPerBuyer.get(p.buyer());
      if (!buyers.contains(p.buyer())) {
        found.add("reservation " + p.reservationId() + " of " + p.buyer() + ", who never asked, is in the journal");
      } else if (told != null && !told.contains(p.reservationId())) {
        found.add("reservation " + p.reservationId() + " of " + p.buyer() + " is in the journal, but the buyer was told "
            + told);
      } else if (told == null && refusedBuyers.contains(p.buyer())) {
        found.add("reservation " + p.reservationId() + " of " + p.buyer() + " is in the journal, but the buyer was refused");
      }
    }
    unitsPerBuyer.forEach((buyer, units) -> {
      if (units > end.limit()) found.add(buyer + " holds " + units + " units, above the limit of " + end.limit());
    });
    if (end.topBuyerUnits() > end.limit()) {
      found.add("the counters' top buyer holds " + end.topBuyerUnits() + " units, above the limit of " + end.limit());
    }
    if (end.sold() + end.held() + end.available() != end.stock()) {
      found.add("sold " + end.sold() + " + held " + end.held() + " + available " + end.available() + " != stock "
          + end.stock());
    }
    if (journalUnits != end.sold() + end.held()) {
      found.add("the journal placed " + journalUnits + " units, the counters say " + (end.sold() + end.held())
          + " are taken: a unit sold twice or not at all");
    }
    return found;
  }

  /**
   * When the sale answered around a fault at {@code cutAt} (ms since the epoch), told apart by the
   * copy of the sale that placed each reservation (its journal writer), not by the node that answered
   * (a node that reaches both copies relays to either): the last 201 the copy serving at the cut gave,
   * the first 201 a later copy gave, the time between (negative: two copies sold at once), and the
   * longest time after the cut with no 201 at all. Times in seconds after the cut; the first three NaN
   * when the sale stayed on one copy.
   */
  public record Timings(double lastLosing201, double firstWinning201, double no201Window, double longestGap) {

    /** The sale moved to another copy, and the first stopped selling before the next one started. */
    public boolean noOverlap() {
      return !Double.isNaN(firstWinning201) && (Double.isNaN(lastLosing201) || lastLosing201 < firstWinning201);
    }

    /** Both copies answered 201 at once: the old one after the new one began. */
    public boolean overlap() {
      return !Double.isNaN(firstWinning201) && !Double.isNaN(lastLosing201) && lastLosing201 >= firstWinning201;
    }

    public String table(String scenario) {
      return String.format("| scenario | last 201 of the copy at the cut | first 201 of a new copy |"
              + " no 201 between | longest gap between 201s after the cut |%n|---|---|---|---|---|%n"
              + "| %s | %s | %s | %s | %s |", scenario, seconds("+", lastLosing201), seconds("+", firstWinning201),
          seconds("", no201Window), seconds("", longestGap));
    }

    /** "+1.2 s" after the cut, "1.2 s" long, or "none". */
    private static String seconds(String sign, double s) {
      return Double.isNaN(s) ? "none" : sign + String.format("%.1f s", s);
    }
  }

  /**
   * Only the 201 that answered the request a reservation was written for counts for its copy: a
   * request sent again after the write is answered from the ledger by whichever copy runs then.
   */
  public static Timings timings(List<Exchange> history, List<JournalEntry> journal, long cutAt) {
    Map<String, JournalEntry> byId = new HashMap<>();
    String atCut = null;
    long atCutWritten = Long.MIN_VALUE;
    for (JournalEntry p : journal) {
      byId.put(p.reservationId(), p);
      if (p.writtenAt() <= cutAt && p.writtenAt() >= atCutWritten) {
        atCut = p.writer();
        atCutWritten = p.writtenAt();
      }
    }
    long lastLosing = Long.MIN_VALUE;
    long firstWinning = Long.MAX_VALUE;
    List<Long> acks = new ArrayList<>();
    for (Exchange e : history) {
      if (e.status() != 201) continue;
      if (e.answeredAt() >= cutAt) acks.add(e.answeredAt());
      JournalEntry p = byId.get(e.reservationId());
      if (p == null || e.sentAt() > p.writtenAt() || p.writtenAt() < cutAt) continue;
      if (p.writer().equals(atCut)) lastLosing = Math.max(lastLosing, e.answeredAt());
      else firstWinning = Math.min(firstWinning, e.answeredAt());
    }
    acks.sort(null);
    long gap = 0;
    long previous = cutAt;
    for (long t : acks) {
      gap = Math.max(gap, t - previous);
      previous = t;
    }
    if (firstWinning == Long.MAX_VALUE) return new Timings(Double.NaN, Double.NaN, Double.NaN, gap / 1000.0);
    double last = lastLosing == Long.MIN_VALUE ? Double.NaN : (lastLosing - cutAt) / 1000.0;
    double first = (firstWinning - cutAt) / 1000.0;
    return new Timings(last, first, first - (Double.isNaN(last) ? 0 : last), gap / 1000.0);
  }

  /**
   * How long after {@code healAt} (ms since the epoch) the sale served every node in {@code running}
   * again: the latest, over those nodes, of the first 201 each gave to a request sent after the heal;
   * in seconds, NaN when one of them gave none (or none runs).
   */
  public static double backToNormal(List<Exchange> history, long healAt, Set<Integer> running) {
    Map<Integer, Long> first = new HashMap<>();
    for (Exchange e : history) {
      if (e.status() == 201 && e.sentAt() >= healAt && running.contains(e.node())) {
        first.merge(e.node(), e.answeredAt(), Math::min);
      }
    }
    if (running.isEmpty() || !first.keySet().containsAll(running)) return Double.NaN;
    return (first.values().stream().mapToLong(Long::longValue).max().orElseThrow() - healAt) / 1000.0;
  }
}
