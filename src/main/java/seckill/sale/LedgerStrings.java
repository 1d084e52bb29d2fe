package seckill.sale;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The ledger's strings (request and payment ids, buyers) in 1 MiB pages, each behind its length: one byte per character when all are ASCII (ids
 * and names nearly always are), else the UTF-16 characters as they are, so any Java string comes
 * back exactly (UTF-8 would not keep a lone surrogate). A reference is the page's number and
 * the string's offset in it (2,048 pages at most). A string above a page gets a page of its own.
 * Full pages never change.
 */
final class LedgerStrings {
  private static final int PAGE_BITS = 20;
  private static final int PAGE = 1 << PAGE_BITS;
  private static final int MAX_PAGES = 1 << (31 - PAGE_BITS);
  private static final int WIDE = 1 << 31;
  private final List<byte[]> pages = new ArrayList<>();
  private int used; // bytes used in the last page

  int add(String s) {
    boolean ascii = isAscii(s);
    int bytes = ascii ? s.length() : 2 * s.length();
    int need = 4 + bytes;
    if (pages.isEmpty() || used + need > pages.get(pages.size() - 1).length) {
      if (pages.size() == MAX_PAGES) throw new IllegalStateException("ledger strings above " + MAX_PAGES + " pages");
      pages.add(new byte[Math.max(PAGE, need)]);
      used = 0;
    }
    byte[] page = pages.get(pages.size() - 1);
    int ref = ((pages.size() - 1) << PAGE_BITS) | used;
    ByteBuffer buffer = ByteBuffer.wrap(page, used, need);
    buffer.putInt(ascii ? s.length() : s.length() | WIDE);
    if (ascii) for (int i = 0; i < s.length(); i++) page[used + 4 + i] = (byte) s.charAt(i);
    else for (int i = 0; i < s.length(); i++) buffer.putChar(s.charAt(i));
    used += need;
    return ref;
  }

  String get(int ref) {
    byte[] page = pages.get(ref >>> PAGE_BITS);
    int at = ref & (PAGE - 1);
    int header = header(page, at);
    int n = header & ~WIDE;
    if ((header & WIDE) == 0) return new String(page, at + 4, n, StandardCharsets.ISO_8859_1);
    char[] chars = new char[n];
    ByteBuffer.wrap(page, at + 4, 2 * n).asCharBuffer().get(chars);
    return new String(chars);
  }

  boolean equalTo(int ref, String s) {
    byte[] page = pages.get(ref >>> PAGE_BITS);
    int at = ref & (PAGE - 1);
    int header = header(page, at);
    if ((header & ~WIDE) != s.length()) return false;
    if ((header & WIDE) == 0) {
      for (int i = 0; i < s.length(); i++) if (page[at + 4 + i] != s.charAt(i)) return false;
      return true;
    }
    for (int i = 0, p = at + 4; i < s.length(); i++, p += 2) {
      if ((char) (((page[p] & 0xff) << 8) | (page[p + 1] & 0xff)) != s.charAt(i)) return false;
    }
    return true;
  }

  /** {@code get(ref).hashCode()} without making the string (a recovery hashes every buyer's name). */
  int hashCodeOf(int ref) {
    byte[] page = pages.get(ref >>> PAGE_BITS);
    int at = ref & (PAGE - 1);
    int header = header(page, at);
    int n = header & ~WIDE;
    int h = 0;
    if ((header & WIDE) == 0) {
      for (int i = at + 4, end = at + 4 + n; i < end; i++) h = 31 * h + (page[i] & 0xff);
    } else {
      for (int i = at + 4, end = at + 4 + 2 * n; i < end; i += 2) h = 31 * h + (((page[i] & 0xff) << 8) | (page[i + 1] & 0xff));
    }
    return h;
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) if (s.charAt(i) >= 0x80) return false;
    return true;
  }

  private static int header(byte[] page, int at) {
    return ((page[at] & 0xff) << 24) | ((page[at + 1] & 0xff) << 16) | ((page[at + 2] & 0xff) << 8) | (page[at + 3] & 0xff);
  }

  /** Full pages shared, the last one copied: the other arena may keep appending to its own. */
  void shareFrom(LedgerStrings other) {
    int n = other.pages.size();
    for (int i = 0; i < n - 1; i++) pages.add(other.pages.get(i));
    if (n > 0) pages.add(Arrays.copyOf(other.pages.get(n - 1), other.used));
    used = other.used;
  }

  private int written(int i) {
    return i == pages.size() - 1 ? used : pages.get(i).length;
  }

  int binarySize() {
    int size = 4;
    for (int i = 0; i < pages.size(); i++) size += 4 + written(i);
    return size;
  }

  void writeTo(ByteBuffer out) {
    out.putInt(pages.size());
    for (int i = 0; i < pages.size(); i++) out.putInt(written(i)).put(pages.get(i), 0, written(i));
  }

  void readFrom(ByteBuffer in) {
    int n = in.getInt();
    for (int i = 0; i < n; i++) {
      int length = in.getInt();
      byte[] page = new byte[i == n - 1 ? Math.max(PAGE, length) : length];
      in.get(page, 0, length);
      pages.add(page);
      used = length;
    }
  }
}
