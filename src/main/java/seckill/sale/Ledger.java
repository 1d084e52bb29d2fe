package seckill.sale;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import seckill.sale.Sale.Reservation;
import seckill.sale.Sale.ReservationStatus;

/**
 * Every reservation one sale ever made, kept in columns of primitives instead of one object per
 * reservation, so a sale of millions costs about a hundred bytes per reservation and its snapshot is
 * a handful of arrays (issue "Big sales").
 *
 * <p>A row is one reservation: the random part of its id, its buyer (an index into the buyer
 * columns), its request id and payment id (offsets into one byte arena), quantity, status and
 * creation time. What a row does not hold is derived: the id's prefix (the sale's id) and the
 * expiry (creation time plus the sale's hold) are the same for every row. A reservation whose compact
 * form would not give it back exactly (an id or a hold of another shape) is also kept whole, so
 * what the sale answers never changes with the form it is stored in.
 *
 * <p>Mutable and owned by one entity: its event handler is the only writer. {@link #frozenCopy()}
 * gives the snapshot store a copy of the columns it may read on another thread.
 */
final class Ledger {

  /** The empty ledger Pekko starts every recovery from: never written (see {@link Sale.State#empty()}). */
  static final Ledger EMPTY = new Ledger(true);

  private static final int FORMAT = 1;
  private static final int NONE = -1;
  private static final int HAS_EXPIRY = 0x40;
  private static final ReservationStatus[] STATUSES = ReservationStatus.values();

  private final boolean frozen;
  private String idPrefix;
  private long holdNanos = NONE;

  // rows: one per reservation, in the order they were placed
  private int rows;
  private long[] idNums = new long[0];
  private int[] buyerOf = new int[0];
  private int[] requestRef = new int[0];
  private int[] paymentRef = new int[0];
  private short[] quantity = new short[0];
  private byte[] status = new byte[0];
  private long[] createdNanos = new long[0];

  // buyers
  private int buyers;
  private int[] buyerName = new int[0];
  private int[] buyerHash = new int[0];
  private int[] liveUnits = new int[0];
  private int[] reservationCount = new int[0];
  private int[] lastRowOf = new int[0];

  // derived, rebuilt after a snapshot is read
  private int[] previousOfBuyer = new int[0];
  private final IdIndex ids = new IdIndex();
  private int[] buyerSlots = new int[16];
  private int buyersWithUnits;
  private int[] buyersByUnits = new int[8];
  private int topUnits;
  /** Rows that waited for payment, in the order placed; {@link #waitingHead} is the first still waiting. */
  private int[] waiting = new int[0];
  private int waitingHead;
  private int waitingTail;

  private final Arena strings;
  /** Rows kept whole because the compact form would not give them back exactly; normally empty. */
  private final Map<Integer, Reservation> irregular = new HashMap<>();
  private final Map<String, Integer> irregularIds = new HashMap<>();

  private Ledger(boolean frozen) {
    this.frozen = frozen;
    this.strings = new Arena();
  }

  static Ledger create() {
    return new Ledger(false);
  }

  boolean isFrozen() {
    return frozen;
  }

  // ---------------------------------------------------------------- reading

  int size() {
    return rows;
  }

  int buyersWithUnits() {
    return buyersWithUnits;
  }

  int topBuyerUnits() {
    return topUnits;
  }

  int unitsOf(String buyer) {
    int b = findBuyer(buyer);
    return b < 0 ? 0 : liveUnits[b];
  }

  int reservationsOf(String buyer) {
    int b = findBuyer(buyer);
    return b < 0 ? 0 : reservationCount[b];
  }

  boolean contains(String id) {
    return rowOf(id) >= 0;
  }

  /** The reservation with this id, or null. */
  Reservation get(String id) {
    int row = rowOf(id);
    return row < 0 ? null : reservation(row);
  }

  Optional<Reservation> byRequest(String buyer, String requestId) {
    int b = findBuyer(buyer);
    if (b < 0) return Optional.empty();
    for (int row = lastRowOf[b]; row != NONE; row = previousOfBuyer[row]) {
      Reservation r = irregularRow(row);
      if (r != null ? r.requestId().equals(requestId) : strings.equalTo(requestRef[row], requestId)) {
        return Optional.of(reservation(row));
      }
    }
    return Optional.empty();
  }

  /** One buyer's reservations, oldest first. */
  List<Reservation> ofBuyer(String buyer) {
    int b = findBuyer(buyer);
    if (b < 0) return List.of();
    List<Reservation> mine = new ArrayList<>();
    for (int row = lastRowOf[b]; row != NONE; row = previousOfBuyer[row]) mine.add(reservation(row));
    mine.sort(Comparator.comparing(Reservation::createdAt));
    return mine;
  }

  /** The first deadline of a reservation still waiting for payment (reservations wait in the order placed). */
  Optional<Instant> earliestDeadline() {
    return waitingHead == waitingTail ? Optional.empty() : Optional.of(reservation(waiting[waitingHead]).expiresAt());
  }

  /** The ids of the reservations waiting for payment whose deadline is not after {@code now}, the first {@code limit}. */
  List<String> dueAt(Instant now, int limit) {
    List<String> due = new ArrayList<>();
    for (int i = waitingHead; i < waitingTail && due.size() < limit; i++) {
      int row = waiting[i];
      if (!awaitsPayment(row)) continue;
      Reservation r = reservation(row);
      if (r.expiresAt().isAfter(now)) break;
      due.add(r.id());
    }
    return due;
  }

  /** Every reservation by id: for tests and the old snapshot form, never on a hot path. */
  Map<String, Reservation> all() {
    Map<String, Reservation> all = new HashMap<>();
    for (int row = 0; row < rows; row++) {
      Reservation r = reservation(row);
      all.put(r.id(), r);
    }
    return all;
  }

  /** Live units per buyer with any: for tests, never on a hot path. */
  Map<String, Integer> unitsByBuyer() {
    Map<String, Integer> units = new HashMap<>();
    for (int b = 0; b < buyers; b++) if (liveUnits[b] > 0) units.put(strings.get(buyerName[b]), liveUnits[b]);
    return units;
  }

  private Reservation reservation(int row) {
    Reservation whole = irregularRow(row);
    if (whole != null) return whole;
    int flags = status[row];
    Instant created = instant(createdNanos[row]);
    return new Reservation(idPrefix + Long.toUnsignedString(idNums[row], 36), strings.get(buyerName[buyerOf[row]]),
        strings.get(requestRef[row]), quantity[row], STATUSES[flags & 0x3f], created,
        (flags & HAS_EXPIRY) != 0 ? instant(createdNanos[row] + holdNanos) : null,
        paymentRef[row] == NONE ? null : strings.get(paymentRef[row]));
  }

  private boolean awaitsPayment(int row) {
    return STATUSES[status[row] & 0x3f].awaitsPayment();
  }

  private int rowOf(String id) {
    if (id == null) return NONE;
    Integer odd = irregularIds.get(id);
    if (odd != null) return odd;
    if (idPrefix == null || !id.startsWith(idPrefix)) return NONE;
    long num = idNumber(id.substring(idPrefix.length()));
    if (num == NONE) return NONE; // an id whose suffix spells -1 is kept whole, so found above
    int row = ids.get(num);
    return row >= 0 && irregularRow(row) == null ? row : NONE;
  }

  /** The number a regular id's suffix spells in base 36, or -1 (which no regular suffix spells) when it is not one. */
  private static long idNumber(String suffix) {
    if (suffix.isEmpty() || suffix.length() > 13) return NONE;
    try {
      long n = Long.parseUnsignedLong(suffix, 36);
      return Long.toUnsignedString(n, 36).equals(suffix) ? n : NONE;
    } catch (NumberFormatException e) {
      return NONE;
    }
  }

  // ---------------------------------------------------------------- writing (the event handler only)

  void place(Reservation r) {
    checkWritable();
    int b = buyerFor(r.buyer());
    int row = rows++;
    ensureRows(rows);
    int dot = r.id().indexOf('.');
    if (idPrefix == null && dot > 0 && Sale.isValidSaleId(r.id().substring(0, dot))) idPrefix = r.id().substring(0, dot + 1);
    long num = idPrefix != null && r.id().startsWith(idPrefix) ? idNumber(r.id().substring(idPrefix.length())) : NONE;
    long created = nanos(r.createdAt());
    if (holdNanos == NONE && r.expiresAt() != null && created != Long.MIN_VALUE) {
      long hold = nanos(r.expiresAt()) - created;
      if (hold > 0) holdNanos = hold;
    }
    idNums[row] = num;
    buyerOf[row] = b;
    requestRef[row] = strings.add(r.requestId());
    paymentRef[row] = r.paymentId() == null ? NONE : strings.add(r.paymentId());
    quantity[row] = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, r.quantity()));
    status[row] = (byte) (r.status().ordinal() | (r.expiresAt() != null ? HAS_EXPIRY : 0));
    createdNanos[row] = created == Long.MIN_VALUE ? 0 : created;
    previousOfBuyer[row] = lastRowOf[b];
    lastRowOf[b] = row;
    reservationCount[b]++;
    // the columns give this reservation back exactly (strings are stored as they are, so only these can differ)
    boolean exact = num != NONE && ids.get(num) < 0 && created != Long.MIN_VALUE && r.quantity() == quantity[row]
        && (r.expiresAt() == null || holdNanos != NONE && nanos(r.expiresAt()) == created + holdNanos);
    if (exact) {
      ids.put(row);
    } else {
      irregular.put(row, r);
      irregularIds.put(r.id(), row);
    }
    if (r.status().live()) addUnits(b, r.quantity());
    if (r.status().awaitsPayment()) enqueueWaiting(row);
  }

  /** What a change found: the reservation's status before it, and its units. */
  record Change(ReservationStatus before, int quantity) {}

  /**
   * A reservation changes status (paid, cancelled, expired, payment failed); an ending one gives its
   * units back. {@code keepPayment}: its payment id stays, else it becomes {@code paymentId}. Nothing
   * changes when there is no such reservation, or when {@code onlyWaiting} and it no longer waits for
   * payment: then null.
   */
  Change change(String id, ReservationStatus next, boolean keepPayment, String paymentId, boolean onlyWaiting) {
    checkWritable();
    int row = rowOf(id);
    if (row < 0) return null;
    ReservationStatus before = STATUSES[status[row] & 0x3f];
    if (onlyWaiting && !before.awaitsPayment()) return null;
    int q = quantity(row);
    status[row] = (byte) (next.ordinal() | (status[row] & HAS_EXPIRY));
    if (!keepPayment) paymentRef[row] = paymentId == null ? NONE : strings.add(paymentId);
    Reservation whole = irregularRow(row);
    if (whole != null) irregular.put(row, whole.with(next, keepPayment ? whole.paymentId() : paymentId));
    if (before.live() && !next.live()) addUnits(buyerOf[row], -q);
    if (before.awaitsPayment() && !next.awaitsPayment()) trimWaiting();
    return new Change(before, q);
  }

  /** The reservation kept whole at {@code row}, or null: the map is empty but for odd rows. */
  private Reservation irregularRow(int row) {
    return irregular.isEmpty() ? null : irregular.get(row);
  }

  private int quantity(int row) {
    Reservation whole = irregularRow(row);
    return whole != null ? whole.quantity() : quantity[row];
  }

  private void addUnits(int b, int delta) {
    int before = liveUnits[b];
    int after = before + delta;
    liveUnits[b] = after;
    if (before > 0) buyersByUnits[Math.min(before, buyersByUnits.length - 1)]--;
    if (after > 0) {
      if (after >= buyersByUnits.length) buyersByUnits = Arrays.copyOf(buyersByUnits, Math.max(after + 1, buyersByUnits.length * 2));
      buyersByUnits[after]++;
      topUnits = Math.max(topUnits, after);
    }
    if (before <= 0 && after > 0) buyersWithUnits++;
    if (before > 0 && after <= 0) buyersWithUnits--;
    while (topUnits > 0 && buyersByUnits[topUnits] == 0) topUnits--;
  }

  private void enqueueWaiting(int row) {
    if (waitingTail == waiting.length) {
      int live = waitingTail - waitingHead;
      if (waitingHead > waiting.length / 2) {
        System.arraycopy(waiting, waitingHead, waiting, 0, live);
      } else {
        waiting = Arrays.copyOf(waiting, Math.max(16, waiting.length + (waiting.length >> 1)));
        System.arraycopy(waiting, waitingHead, waiting, 0, live);
      }
      waitingHead = 0;
      waitingTail = live;
    }
    waiting[waitingTail++] = row;
  }

  private void trimWaiting() {
    while (waitingHead < waitingTail && !awaitsPayment(waiting[waitingHead])) waitingHead++;
    if (waitingHead == waitingTail) waitingHead = waitingTail = 0;
  }

  private void checkWritable() {
    if (frozen) throw new IllegalStateException("the empty ledger is never written");
  }

  private void ensureRows(int n) {
    if (n <= idNums.length) return;
    int capacity = Math.max(n, Math.max(16, idNums.length + (idNums.length >> 2)));
    idNums = Arrays.copyOf(idNums, capacity);
    buyerOf = Arrays.copyOf(buyerOf, capacity);
    requestRef = Arrays.copyOf(requestRef, capacity);
    paymentRef = Arrays.copyOf(paymentRef, capacity);
    quantity = Arrays.copyOf(quantity, capacity);
    status = Arrays.copyOf(status, capacity);
    createdNanos = Arrays.copyOf(createdNanos, capacity);
    previousOfBuyer = Arrays.copyOf(previousOfBuyer, capacity);
  }

  // ---------------------------------------------------------------- buyers

  private int findBuyer(String buyer) {
    if (buyer == null || buyers == 0) return NONE;
    int h = spread(buyer.hashCode());
    int mask = buyerSlots.length - 1;
    for (int i = h & mask; ; i = (i + 1) & mask) {
      int slot = buyerSlots[i];
      if (slot == 0) return NONE;
      int b = slot - 1;
      if (buyerHash[b] == h && strings.equalTo(buyerName[b], buyer)) return b;
    }
  }

  private int buyerFor(String buyer) {
    int found = findBuyer(buyer);
    if (found >= 0) return found;
    int b = buyers++;
    ensureBuyers(buyers);
    buyerName[b] = strings.add(buyer);
    buyerHash[b] = spread(buyer.hashCode());
    lastRowOf[b] = NONE;
    indexBuyer(b);
    return b;
  }

  private void ensureBuyers(int n) {
    if (n <= buyerName.length) return;
    int capacity = Math.max(n, Math.max(16, buyerName.length + (buyerName.length >> 2)));
    buyerName = Arrays.copyOf(buyerName, capacity);
    buyerHash = Arrays.copyOf(buyerHash, capacity);
    liveUnits = Arrays.copyOf(liveUnits, capacity);
    reservationCount = Arrays.copyOf(reservationCount, capacity);
    lastRowOf = Arrays.copyOf(lastRowOf, capacity);
  }

  private void indexBuyer(int b) {
    if ((buyers + 1) * 3L > buyerSlots.length * 2L) {
      buyerSlots = new int[buyerSlots.length * 2];
      for (int i = 0; i < buyers; i++) if (i != b) slotBuyer(i);
    }
    slotBuyer(b);
  }

  private void slotBuyer(int b) {
    int mask = buyerSlots.length - 1;
    int i = buyerHash[b] & mask;
    while (buyerSlots[i] != 0) i = (i + 1) & mask;
    buyerSlots[i] = b + 1;
  }

  private static int spread(int h) {
    return (h ^ (h >>> 16)) * 0x9E3779B1;
  }

  // ---------------------------------------------------------------- time

  private static long nanos(Instant at) {
    try {
      return Math.addExact(Math.multiplyExact(at.getEpochSecond(), 1_000_000_000L), at.getNano());
    } catch (ArithmeticException e) {
      return Long.MIN_VALUE;
    }
  }

  private static Instant instant(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
  }

  // ---------------------------------------------------------------- snapshots

  /**
   * The primary columns for the snapshot store to write on its own thread. A row's id, buyer,
   * request, quantity and time, and a buyer's name, are written once, at an index no copy has yet:
   * those arrays are shared, the copy reads only its first {@code rows}. So are the arena's full
   * pages. Only what changes in place, status and payment, is copied: 5 bytes a reservation.
   */
  Ledger frozenCopy() {
    Ledger copy = new Ledger(true);
    copy.idPrefix = idPrefix;
    copy.holdNanos = holdNanos;
    copy.rows = rows;
    copy.idNums = idNums;
    copy.buyerOf = buyerOf;
    copy.requestRef = requestRef;
    copy.paymentRef = Arrays.copyOf(paymentRef, rows);
    copy.quantity = quantity;
    copy.status = Arrays.copyOf(status, rows);
    copy.createdNanos = createdNanos;
    copy.buyers = buyers;
    copy.buyerName = buyerName;
    copy.strings.shareFrom(strings);
    copy.irregular.putAll(irregular);
    return copy;
  }

  /** The irregular rows, whole; the serializer writes them with Jackson. */
  Map<Integer, Reservation> irregularRows() {
    return irregular;
  }

  int binarySize() {
    return 4 + 4 + idPrefixBytes().length + 8 + 4 + rows * (8 + 4 + 4 + 4 + 2 + 1 + 8) + 4 + buyers * 4
        + strings.binarySize();
  }

  void writeTo(ByteBuffer out) {
    out.putInt(FORMAT);
    byte[] prefix = idPrefixBytes();
    out.putInt(idPrefix == null ? NONE : prefix.length).put(prefix);
    out.putLong(holdNanos);
    out.putInt(rows);
    out.asLongBuffer().put(idNums, 0, rows);
    out.position(out.position() + rows * 8);
    putInts(out, buyerOf, rows);
    putInts(out, requestRef, rows);
    putInts(out, paymentRef, rows);
    out.asShortBuffer().put(quantity, 0, rows);
    out.position(out.position() + rows * 2);
    out.put(status, 0, rows);
    out.asLongBuffer().put(createdNanos, 0, rows);
    out.position(out.position() + rows * 8);
    out.putInt(buyers);
    putInts(out, buyerName, buyers);
    strings.writeTo(out);
  }

  private byte[] idPrefixBytes() {
    return idPrefix == null ? new byte[0] : idPrefix.getBytes(StandardCharsets.UTF_8);
  }

  /** A ledger from a snapshot: the columns read back, the buyers' figures and the indexes rebuilt. */
  static Ledger readFrom(ByteBuffer in, Map<Integer, Reservation> irregularRows) {
    int format = in.getInt();
    if (format != FORMAT) throw new IllegalArgumentException("unknown ledger format " + format);
    Ledger l = create();
    int prefixLength = in.getInt();
    if (prefixLength >= 0) {
      byte[] prefix = new byte[prefixLength];
      in.get(prefix);
      l.idPrefix = new String(prefix, StandardCharsets.UTF_8);
    }
    l.holdNanos = in.getLong();
    int rows = in.getInt();
    l.ensureRows(rows);
    in.asLongBuffer().get(l.idNums, 0, rows);
    in.position(in.position() + rows * 8);
    getInts(in, l.buyerOf, rows);
    getInts(in, l.requestRef, rows);
    getInts(in, l.paymentRef, rows);
    in.asShortBuffer().get(l.quantity, 0, rows);
    in.position(in.position() + rows * 2);
    in.get(l.status, 0, rows);
    in.asLongBuffer().get(l.createdNanos, 0, rows);
    in.position(in.position() + rows * 8);
    int buyers = in.getInt();
    int[] names = new int[buyers];
    getInts(in, names, buyers);
    l.strings.readFrom(in);
    l.rebuild(rows, buyers, names, irregularRows);
    return l;
  }

  /** A writable ledger with the content of this frozen copy (an in-memory snapshot store hands back the object itself). */
  Ledger thawed() {
    Ledger l = create();
    l.idPrefix = idPrefix;
    l.holdNanos = holdNanos;
    l.ensureRows(rows);
    System.arraycopy(idNums, 0, l.idNums, 0, rows);
    System.arraycopy(buyerOf, 0, l.buyerOf, 0, rows);
    System.arraycopy(requestRef, 0, l.requestRef, 0, rows);
    System.arraycopy(paymentRef, 0, l.paymentRef, 0, rows);
    System.arraycopy(quantity, 0, l.quantity, 0, rows);
    System.arraycopy(status, 0, l.status, 0, rows);
    System.arraycopy(createdNanos, 0, l.createdNanos, 0, rows);
    l.strings.shareFrom(strings);
    l.rebuild(rows, buyers, buyerName, irregular);
    return l;
  }

  /** After the primary columns are in place: the buyers, their figures and every index. */
  private void rebuild(int rowCount, int buyerCount, int[] names, Map<Integer, Reservation> irregularRows) {
    for (int b = 0; b < buyerCount; b++) {
      String name = strings.get(names[b]);
      buyers++;
      ensureBuyers(buyerCount);
      buyerName[b] = names[b];
      buyerHash[b] = spread(name.hashCode());
      lastRowOf[b] = NONE;
      indexBuyer(b);
    }
    irregular.putAll(irregularRows);
    irregularRows.forEach((row, r) -> irregularIds.put(r.id(), row));
    for (int row = 0; row < rowCount; row++) {
      rows++;
      int b = buyerOf[row];
      previousOfBuyer[row] = lastRowOf[b];
      lastRowOf[b] = row;
      reservationCount[b]++;
      if (!irregular.containsKey(row)) ids.put(row);
      ReservationStatus s = STATUSES[status[row] & 0x3f];
      if (s.live()) addUnits(b, quantity(row));
      if (s.awaitsPayment()) enqueueWaiting(row);
    }
  }

  private static void putInts(ByteBuffer out, int[] values, int n) {
    out.asIntBuffer().put(values, 0, n);
    out.position(out.position() + n * 4);
  }

  private static void getInts(ByteBuffer in, int[] values, int n) {
    in.asIntBuffer().get(values, 0, n);
    in.position(in.position() + n * 4);
  }

  // ---------------------------------------------------------------- equality (tests compare states)

  @Override
  public boolean equals(Object o) {
    return o instanceof Ledger other && rows == other.rows && all().equals(other.all());
  }

  @Override
  public int hashCode() {
    return rows;
  }

  @Override
  public String toString() {
    return "Ledger[" + rows + " reservations, " + buyers + " buyers, " + irregular.size() + " kept whole]";
  }

  // ---------------------------------------------------------------- storage

  /**
   * Open addressing from a reservation id's number to its row; the numbers stay in their column
   * and a slot holds only the row, so the index costs a few bytes per reservation. Rows are never removed.
   */
  private final class IdIndex {
    private int[] slots = new int[16];
    private int size;

    int get(long key) {
      int mask = slots.length - 1;
      for (int i = slot(key, mask); ; i = (i + 1) & mask) {
        int row = slots[i] - 1;
        if (row < 0) return NONE;
        if (idNums[row] == key) return row;
      }
    }

    /** {@code row}'s id number must already be in its column. */
    void put(int row) {
      if ((size + 1) * 3L > slots.length * 2L) {
        int[] old = slots;
        slots = new int[old.length * 2];
        for (int s : old) if (s != 0) place(s - 1);
      }
      place(row);
      size++;
    }

    private void place(int row) {
      int mask = slots.length - 1;
      int i = slot(idNums[row], mask);
      while (slots[i] != 0) i = (i + 1) & mask;
      slots[i] = row + 1;
    }

    private static int slot(long key, int mask) {
      long h = key * 0x9E3779B97F4A7C15L;
      return (int) (h ^ (h >>> 32)) & mask;
    }
  }

  /**
   * Strings in 1 MiB pages, each behind its length: one byte per character when all are ASCII (ids
   * and names nearly always are), else the UTF-16 characters as they are, so any Java string comes
   * back exactly (UTF-8 would not keep a lone surrogate). A reference is the page's number and
   * the string's offset in it (2,048 pages at most). A string above a page gets a page of its own.
   * Full pages never change.
   */
  private static final class Arena {
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

    private static boolean isAscii(String s) {
      for (int i = 0; i < s.length(); i++) if (s.charAt(i) >= 0x80) return false;
      return true;
    }

    private static int header(byte[] page, int at) {
      return ((page[at] & 0xff) << 24) | ((page[at + 1] & 0xff) << 16) | ((page[at + 2] & 0xff) << 8) | (page[at + 3] & 0xff);
    }

    /** Full pages shared, the last one copied: the other arena may keep appending to its own. */
    void shareFrom(Arena other) {
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
}
