package seckill.sale;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Open addressing from a 32-bit hash to an entry of the ledger (a row, a buyer), in {@link #SEGMENTS}
 * tables picked by the hash's top bits, the slot by its low bits. Each table doubles on its own when two
 * thirds full, so a rehash moves a 256th of the entries, never millions at once. A slot holds the entry
 * plus one (0 is empty) and the keys stay in their columns. Tables are made when first needed; entries
 * are never removed.
 */
abstract class LedgerIndex {
  static final int NONE = -1;
  private static final int SEGMENT_BITS = 8;
  private static final int SEGMENTS = 1 << SEGMENT_BITS;
  private static final int FIRST = 8;
  private int[][] segments;
  private int[] sizes;

  /** The hash of an entry already in its columns: its key's. */
  abstract int hashOf(int entry);

  /** The table where an entry of hash {@code h} is, or null when there is none. */
  final int[] slotsFor(int h) {
    return segments == null ? null : segments[h >>> (32 - SEGMENT_BITS)];
  }

  final void add(int entry) {
    if (segments == null) {
      segments = new int[SEGMENTS][];
      sizes = new int[SEGMENTS];
    }
    int h = hashOf(entry);
    int s = h >>> (32 - SEGMENT_BITS);
    int[] slots = segments[s];
    if (slots == null) {
      slots = segments[s] = new int[FIRST];
    } else if ((sizes[s] + 1) * 3L > slots.length * 2L) {
      int[] old = slots;
      slots = segments[s] = new int[old.length * 2];
      for (int slot : old) if (slot != 0) place(slots, hashOf(slot - 1), slot);
    }
    place(slots, h, entry + 1);
    sizes[s]++;
  }

  /**
   * Adds the entries below {@code count}, but the {@code skipped}, to an empty index at once (a ledger
   * read from a snapshot): sorted by table first, each table is made at its final size and filled
   * while it is in the CPU's cache. Added one by one, every entry would miss the cache of tables
   * spread over the heap, and each table would be rehashed as it doubled.
   */
  final void addAll(int count, IntPredicate skipped) {
    if (segments != null) throw new IllegalStateException("addAll needs an empty index");
    int[] hashes = new int[count];
    int[] start = new int[SEGMENTS + 1];
    for (int e = 0; e < count; e++) {
      if (skipped.test(e)) continue;
      hashes[e] = hashOf(e);
      start[(hashes[e] >>> (32 - SEGMENT_BITS)) + 1]++;
    }
    for (int s = 0; s < SEGMENTS; s++) start[s + 1] += start[s];
    int n = start[SEGMENTS];
    int[] sortedHashes = new int[n];
    int[] sortedEntries = new int[n];
    int[] next = Arrays.copyOf(start, SEGMENTS);
    for (int e = 0; e < count; e++) {
      if (skipped.test(e)) continue;
      int at = next[hashes[e] >>> (32 - SEGMENT_BITS)]++;
      sortedHashes[at] = hashes[e];
      sortedEntries[at] = e;
    }
    segments = new int[SEGMENTS][];
    sizes = new int[SEGMENTS];
    for (int s = 0; s < SEGMENTS; s++) {
      int size = start[s + 1] - start[s];
      if (size == 0) continue;
      int length = FIRST;
      while (size * 3L > length * 2L) length *= 2; // as full as add() lets a table get
      int[] slots = segments[s] = new int[length];
      for (int k = start[s]; k < start[s + 1]; k++) place(slots, sortedHashes[k], sortedEntries[k] + 1);
      sizes[s] = size;
    }
  }

  private static void place(int[] slots, int h, int slot) {
    int mask = slots.length - 1;
    int i = h & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = slot;
  }

  /** From a reservation id's number to its row; the numbers stay in their column. */
  static final class Ids extends LedgerIndex {
    private final LedgerColumn numbers;

    Ids(LedgerColumn numbers) {
      this.numbers = numbers;
    }

    int get(long key) {
      int h = hash(key);
      int[] slots = slotsFor(h);
      if (slots == null) return NONE;
      int mask = slots.length - 1;
      for (int i = h & mask; ; i = (i + 1) & mask) {
        int row = slots[i] - 1;
        if (row < 0) return NONE;
        if (numbers.getLong(row) == key) return row;
      }
    }

    @Override
    int hashOf(int row) {
      return hash(numbers.getLong(row));
    }

    private static int hash(long key) {
      long h = key * 0x9E3779B97F4A7C15L;
      return (int) (h ^ (h >>> 32));
    }
  }

  /** From a buyer's name to the buyer; the names stay in the ledger's strings, their hashes in a column. */
  static final class Buyers extends LedgerIndex {
    private final LedgerColumn hashes;
    private final LedgerColumn names;
    private final LedgerStrings strings;

    Buyers(LedgerColumn hashes, LedgerColumn names, LedgerStrings strings) {
      this.hashes = hashes;
      this.names = names;
      this.strings = strings;
    }

    int find(String buyer, int h) {
      int[] slots = slotsFor(h);
      if (slots == null) return NONE;
      int mask = slots.length - 1;
      for (int i = h & mask; ; i = (i + 1) & mask) {
        int b = slots[i] - 1;
        if (b < 0) return NONE;
        if (hashes.getInt(b) == h && strings.equalTo(names.getInt(b), buyer)) return b;
      }
    }

    @Override
    int hashOf(int b) {
      return hashes.getInt(b);
    }
  }
}
