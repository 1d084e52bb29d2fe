package seckill.sale;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every admission a sale decided a reserve on, by admission: the one place in the cluster that knows
 * whether an admission token was used, by which request, so a token taken on one node is refused on
 * every other. Written in place by the event handler and shared by the states after it, like the
 * {@link Ledger}; the snapshot store gets a frozen copy.
 */
final class AdmissionUses {

  /** The empty one Pekko starts every recovery from: never written, see {@link #writable()}. */
  static final AdmissionUses EMPTY = new AdmissionUses(Map.of(), true);

  private final Map<Long, AdmissionUse> uses;
  private final boolean frozen;

  private AdmissionUses(Map<Long, AdmissionUse> uses, boolean frozen) {
    this.uses = uses;
    this.frozen = frozen;
  }

  /** A writable one holding {@code uses} (a snapshot's; none when absent). */
  static AdmissionUses of(List<AdmissionUse> uses) {
    AdmissionUses made = new AdmissionUses(new HashMap<>(), false);
    if (uses != null) made.add(uses);
    return made;
  }

  /** The use of {@code admission}, or null when no reserve presented it yet. */
  AdmissionUse get(long admission) {
    return uses.get(admission);
  }

  void add(List<AdmissionUse> added) {
    if (frozen) throw new IllegalStateException("a frozen copy of the admission uses is never written");
    for (AdmissionUse use : added) uses.putIfAbsent(use.admission(), use);
  }

  List<AdmissionUse> all() {
    return List.copyOf(uses.values());
  }

  /** This one when it may be written, else a writable copy. */
  AdmissionUses writable() {
    return frozen ? of(all()) : this;
  }

  /** A copy the snapshot store may read on another thread. */
  AdmissionUses frozenCopy() {
    return new AdmissionUses(Map.copyOf(uses), true);
  }

  int size() {
    return uses.size();
  }

  /** The same uses, frozen or not: a recovered sale equals the one it was. */
  @Override
  public boolean equals(Object other) {
    return other instanceof AdmissionUses that && uses.equals(that.uses);
  }

  @Override
  public int hashCode() {
    return uses.hashCode();
  }
}
