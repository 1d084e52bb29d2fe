package seckill.sale;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One column of the ledger: primitives of one {@link Width} in pages of {@link #PAGE} values, so a value
 * costs what it does in one array, yet nothing grows all at once (the entity's one thread would wait).
 * Every page is full but the last, which grows by half until it is: one write copies at most one page,
 * and adding a page copies only the array of pages. 32,768 longs are 256 KiB, below half of G1's
 * smallest region, so no page is a humongous object.
 */
final class LedgerColumn {
  static final int PAGE_BITS = 15;
  static final int PAGE = 1 << PAGE_BITS;
  static final int MASK = PAGE - 1;
  private static final int FIRST = 16;

  /** What a column holds: its page's array type, and each value's size in a snapshot. */
  enum Width {
    LONG(8), INT(4), SHORT(2), BYTE(1);

    private final int bytes;

    Width(int bytes) {
      this.bytes = bytes;
    }

    private Object newPage(int size) {
      return switch (this) {
        case LONG -> new long[size];
        case INT -> new int[size];
        case SHORT -> new short[size];
        case BYTE -> new byte[size];
      };
    }

    /** The page's first {@code n} values, big-endian, at {@code out}'s position, which then moves past them. */
    private void write(ByteBuffer out, Object page, int n) {
      switch (this) {
        case LONG -> out.asLongBuffer().put((long[]) page, 0, n);
        case INT -> out.asIntBuffer().put((int[]) page, 0, n);
        case SHORT -> out.asShortBuffer().put((short[]) page, 0, n);
        case BYTE -> out.slice().put((byte[]) page, 0, n);
      }
      out.position(out.position() + n * bytes);
    }

    private void read(ByteBuffer in, Object page, int n) {
      switch (this) {
        case LONG -> in.asLongBuffer().get((long[]) page, 0, n);
        case INT -> in.asIntBuffer().get((int[]) page, 0, n);
        case SHORT -> in.asShortBuffer().get((short[]) page, 0, n);
        case BYTE -> in.slice().get((byte[]) page, 0, n);
      }
      in.position(in.position() + n * bytes);
    }
  }

  private final Width width;
  private Object[] pages = new Object[0];
  private int count; // pages in use
  private int capacity; // values they hold

  LedgerColumn(Width width) {
    this.width = width;
  }

  // each getter casts its page to the column's array type, as a generic page type would; a column is read
  // and written with its own width's pair only
  long getLong(int i) {
    return ((long[]) pages[i >>> PAGE_BITS])[i & MASK];
  }

  void setLong(int i, long value) {
    ((long[]) pages[i >>> PAGE_BITS])[i & MASK] = value;
  }

  int getInt(int i) {
    return ((int[]) pages[i >>> PAGE_BITS])[i & MASK];
  }

  void setInt(int i, int value) {
    ((int[]) pages[i >>> PAGE_BITS])[i & MASK] = value;
  }

  short getShort(int i) {
    return ((short[]) pages[i >>> PAGE_BITS])[i & MASK];
  }

  void setShort(int i, short value) {
    ((short[]) pages[i >>> PAGE_BITS])[i & MASK] = value;
  }

  byte getByte(int i) {
    return ((byte[]) pages[i >>> PAGE_BITS])[i & MASK];
  }

  void setByte(int i, byte value) {
    ((byte[]) pages[i >>> PAGE_BITS])[i & MASK] = value;
  }

  /** Room for {@code n} values. */
  void ensure(int n) {
    while (capacity < n) {
      int last = count - 1;
      int lastSize = capacity - last * PAGE; // a full page when there is none yet
      if (lastSize < PAGE) {
        int size = Math.min(PAGE, Math.max(n - last * PAGE, Math.max(FIRST, lastSize + (lastSize >> 1))));
        Object page = width.newPage(size);
        System.arraycopy(pages[last], 0, page, 0, lastSize);
        pages[last] = page;
        capacity = last * PAGE + size;
      } else {
        int size = count == 0 ? Math.min(PAGE, Math.max(FIRST, n)) : PAGE;
        append(width.newPage(size), size);
      }
    }
  }

  private void append(Object page, int size) {
    if (count == pages.length) pages = Arrays.copyOf(pages, Math.max(4, count * 2));
    pages[count++] = page;
    capacity += size;
  }

  /** Empty before: the other's pages as they are, in a list of its own (see {@link PagedLedger#frozenCopy()}). */
  void shareFrom(LedgerColumn other) {
    pages = Arrays.copyOf(other.pages, other.count);
    count = other.count;
    capacity = other.capacity;
  }

  /** Empty before: the other's first {@code n} values in pages of their own, the last one as long as it needs. */
  void copyFrom(LedgerColumn other, int n) {
    for (int p = 0, left = n; left > 0; p++, left -= PAGE) {
      int size = Math.min(PAGE, left);
      Object page = width.newPage(size);
      System.arraycopy(other.pages[p], 0, page, 0, size);
      append(page, size);
    }
  }

  /** The page no value of which is read again: a queue's, behind its head. */
  void drop(int page) {
    pages[page] = null;
  }

  /** The first {@code n} values, page after page: the same bytes as one array of them. */
  void write(ByteBuffer out, int n) {
    for (int p = 0, left = n; left > 0; p++, left -= PAGE) width.write(out, pages[p], Math.min(PAGE, left));
  }

  void read(ByteBuffer in, int n) {
    ensure(n);
    for (int p = 0, left = n; left > 0; p++, left -= PAGE) width.read(in, pages[p], Math.min(PAGE, left));
  }
}
