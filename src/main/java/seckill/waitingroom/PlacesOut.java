package seckill.waitingroom;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import seckill.waitingroom.WaitingLine.State;
import seckill.waitingroom.WaitingLine.VoidRange;
import seckill.waitingroom.WaitingLine.Withdrawal;

/**
 * A line's places that are not let in when their rank comes: those taken out (their buyer left, or
 * an operator revoked them) and the void ones (a desk never gave them out). In memory, a place out
 * not yet let in is void (its turn is skipped) and one let in is done (its slot frees); in the
 * line's state each list is kept while it still matters, so a restart skips and frees the same.
 */
final class PlacesOut {

  private final VoidPlaces voids = new VoidPlaces();
  private final ActiveAdmissions admissions;

  PlacesOut(ActiveAdmissions admissions) {
    this.admissions = admissions;
  }

  VoidPlaces voids() {
    return voids;
  }

  /** What a {@link WaitingLine.Withdraw} changes: the places newly out, and the answer (every place asked about, with the reason in force). */
  record Withdrawing(List<Withdrawal> added, List<Withdrawal> answer) {}

  /** Places never leased are no one's and are left out of both lists; a place already out keeps its first reason. */
  static Withdrawing withdrawing(State state, List<Withdrawal> asked) {
    Map<Long, Withdrawal> out = new HashMap<>();
    for (Withdrawal w : state.out()) out.put(w.place(), w);
    List<Withdrawal> added = new ArrayList<>();
    List<Withdrawal> answer = new ArrayList<>();
    for (Withdrawal w : asked) {
      if (w.place() < 0 || w.place() >= state.leasedThrough()) continue;
      Withdrawal known = out.putIfAbsent(w.place(), w);
      if (known == null) added.add(w);
      answer.add(known != null ? known : w);
    }
    return new Withdrawing(List.copyOf(added), List.copyOf(answer));
  }

  /** After a recovery: the places out and the void places the state kept are skipped and freed again. */
  long restore(State state) {
    state.out().forEach(w -> takeOut(state, w));
    long credited = 0;
    for (VoidRange v : state.voids()) credited += voided(state, v.from(), v.to());
    return credited;
  }

  /** A place out of the line: done if it was let in (its slot frees), else void (its turn is skipped). */
  void takeOut(State state, Withdrawal w) {
    if (state.letIn(w.place())) admissions.markDone(state.rankOf(w.place()));
    else voids.add(w.place(), w.place() + 1);
  }

  /**
   * Places a desk left void: skipped when their turn comes. Those whose rank the line already let in
   * (the desk's lease outlived the settle time, say) hold no slot: counted as done in their wave,
   * like a finished admission. Returns how many that were.
   */
  long voided(State state, long from, long to) {
    voids.add(from, to);
    long credited = 0;
    for (long place = from; place < to; place++) {
      long rank = state.rankOf(place);
      if (rank < state.admittedThrough() && admissions.markDone(rank)) credited++;
    }
    return credited;
  }

  // ---------------------------------------------------------------- in the line's state

  static State withdrawn(State s, WaitingLine.PlacesWithdrawn e) {
    List<Withdrawal> out = new ArrayList<>(s.out());
    out.addAll(e.withdrawals());
    return s.withOut(List.copyOf(out));
  }

  static State voided(State s, WaitingLine.PlacesVoided e) {
    List<VoidRange> voids = new ArrayList<>(s.voids());
    voids.add(new VoidRange(e.from(), e.to()));
    return s.withVoids(List.copyOf(voids));
  }

  /** After an admission: both lists without what no longer matters. */
  static State trimmed(State s) {
    return s.withOut(stillOut(s)).withVoids(stillVoid(s));
  }

  /** The places out that still matter: not let in, or let in no earlier than the oldest wave kept. */
  private static List<Withdrawal> stillOut(State state) {
    if (state.out().isEmpty()) return state.out();
    long oldest = oldestKept(state);
    List<Withdrawal> kept = new ArrayList<>(state.out().size());
    for (Withdrawal w : state.out()) if (state.rankOf(w.place()) >= oldest) kept.add(w);
    return kept.size() == state.out().size() ? state.out() : List.copyOf(kept);
  }

  /** The void ranges that still matter, as {@link #stillOut}: with a place not passed before the oldest wave kept. */
  private static List<VoidRange> stillVoid(State state) {
    if (state.voids().isEmpty()) return state.voids();
    long passed = state.placesPassed(oldestKept(state));
    List<VoidRange> kept = state.voids().stream().filter(v -> v.to() > passed).toList();
    return kept.size() == state.voids().size() ? state.voids() : kept;
  }

  private static long oldestKept(State state) {
    return state.recent().isEmpty() ? state.admittedThrough() : state.recent().get(0).from();
  }
}
