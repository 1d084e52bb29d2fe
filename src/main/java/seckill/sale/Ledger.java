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
 * <p>Nothing here grows all at once, because the entity's one thread waits while it does: a 10M
 * sale stalled for 0.3 to 1.7 s where whole arrays were copied 1.25 times larger or an index doubled.
 * So a column is {@link Column pages} of 32,768 values, and a new row lands in the last page or a
 * new one without moving any other; the waiting queue is pages too, dropped once passed. The two
 * indexes are each {@link Index 256 tables} picked by the hash's top bits, each doubling on its own,
 * so a rehash moves a 256th of the entries. The most one write copies is one page (a small sale's
 * only page, growing to full) or one table, whatever the sale's size; what grows with the sale is
 * only the outer arrays of pages, a reference per 32,768 rows.
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
  private final Longs idNums = new Longs();
  private final Ints buyerOf = new Ints();
  private final Ints requestRef = new Ints();
  private final Ints paymentRef = new Ints();
  private final Shorts quantity = new Shorts();
  private final Bytes status = new Bytes();
  private final Longs createdNanos = new Longs();

  // buyers
  private int buyers;
  private final Ints buyerName = new Ints();
  private final Ints buyerHash = new Ints();
  private final Ints liveUnits = new Ints();
  private final Ints reservationCount = new Ints();
  private final Ints lastRowOf = new Ints();

  // derived, rebuilt after a snapshot is read
  private final Ints previousOfBuyer = new Ints();
  private final IdIndex ids = new IdIndex();
  private final BuyerIndex buyerIndex = new BuyerIndex();
  private int buyersWithUnits;
  private int[] buyersByUnits = new int[8];
  private int topUnits;
  /**
   * Rows that waited for payment, in the order placed; {@link #waitingHead} is the first still
   * waiting. Both ends only move forward (a row is queued once, so they stay below the row count);
   * the pages behind the head are dropped.
   */
  private final Ints waiting = new Ints();
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
    return b < 0 ? 0 : liveUnits.get(b);
  }

  int reservationsOf(String buyer) {
    int b = findBuyer(buyer);
    return b < 0 ? 0 : reservationCount.get(b);
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
    for (int row = lastRowOf.get(b); row != NONE; row = previousOfBuyer.get(row)) {
      Reservation r = irregularRow(row);
      if (r != null ? r.requestId().equals(requestId) : strings.equalTo(requestRef.get(row), requestId)) {
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
    for (int row = lastRowOf.get(b); row != NONE; row = previousOfBuyer.get(row)) mine.add(reservation(row));
    mine.sort(Comparator.comparing(Reservation::createdAt));
    return mine;
  }

  /** The first deadline of a reservation still waiting for payment (reservations wait in the order placed). */
  Optional<Instant> earliestDeadline() {
    return waitingHead == waitingTail ? Optional.empty() : Optional.of(reservation(waiting.get(waitingHead)).expiresAt());
  }

  /** The ids of the reservations waiting for payment whose deadline is not after {@code now}, the first {@code limit}. */
  List<String> dueAt(Instant now, int limit) {
    List<String> due = new ArrayList<>();
    for (int i = waitingHead; i < waitingTail && due.size() < limit; i++) {
      int row = waiting.get(i);
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
    for (int b = 0; b < buyers; b++) if (liveUnits.get(b) > 0) units.put(strings.get(buyerName.get(b)), liveUnits.get(b));
    return units;
  }

  private Reservation reservation(int row) {
    Reservation whole = irregularRow(row);
    if (whole != null) return whole;
    int flags = status.get(row);
    long created = createdNanos.get(row);
    int payment = paymentRef.get(row);
    return new Reservation(idPrefix + Long.toUnsignedString(idNums.get(row), 36), strings.get(buyerName.get(buyerOf.get(row))),
        strings.get(requestRef.get(row)), quantity.get(row), STATUSES[flags & 0x3f], instant(created),
        (flags & HAS_EXPIRY) != 0 ? instant(created + holdNanos) : null,
        payment == NONE ? null : strings.get(payment));
  }

  private boolean awaitsPayment(int row) {
    return STATUSES[status.get(row) & 0x3f].awaitsPayment();
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
    short q = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, r.quantity()));
    idNums.set(row, num);
    buyerOf.set(row, b);
    requestRef.set(row, strings.add(r.requestId()));
    paymentRef.set(row, r.paymentId() == null ? NONE : strings.add(r.paymentId()));
    quantity.set(row, q);
    status.set(row, (byte) (r.status().ordinal() | (r.expiresAt() != null ? HAS_EXPIRY : 0)));
    createdNanos.set(row, created == Long.MIN_VALUE ? 0 : created);
    previousOfBuyer.set(row, lastRowOf.get(b));
    lastRowOf.set(b, row);
    reservationCount.set(b, reservationCount.get(b) + 1);
    // the columns give this reservation back exactly (strings are stored as they are, so only these can differ)
    boolean exact = num != NONE && ids.get(num) < 0 && created != Long.MIN_VALUE && r.quantity() == q
        && (r.expiresAt() == null || holdNanos != NONE && nanos(r.expiresAt()) == created + holdNanos);
    if (exact) {
      ids.add(row);
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
    int flags = status.get(row);
    ReservationStatus before = STATUSES[flags & 0x3f];
    if (onlyWaiting && !before.awaitsPayment()) return null;
    int q = quantity(row);
    status.set(row, (byte) (next.ordinal() | (flags & HAS_EXPIRY)));
    if (!keepPayment) paymentRef.set(row, paymentId == null ? NONE : strings.add(paymentId));
    Reservation whole = irregularRow(row);
    if (whole != null) irregular.put(row, whole.with(next, keepPayment ? whole.paymentId() : paymentId));
    if (before.live() && !next.live()) addUnits(buyerOf.get(row), -q);
    if (before.awaitsPayment() && !next.awaitsPayment()) trimWaiting();
    return new Change(before, q);
  }

  /** The reservation kept whole at {@code row}, or null: the map is empty but for odd rows. */
  private Reservation irregularRow(int row) {
    return irregular.isEmpty() ? null : irregular.get(row);
  }

  private int quantity(int row) {
    Reservation whole = irregularRow(row);
    return whole != null ? whole.quantity() : quantity.get(row);
  }

  private void addUnits(int b, int delta) {
    int before = liveUnits.get(b);
    int after = before + delta;
    liveUnits.set(b, after);
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
    waiting.ensure(waitingTail + 1);
    waiting.set(waitingTail++, row);
  }

  /** The head passes the rows that no longer wait, and drops each page it leaves (the tail is past it). */
  private void trimWaiting() {
    while (waitingHead < waitingTail && !awaitsPayment(waiting.get(waitingHead))) {
      waitingHead++;
      if ((waitingHead & Column.MASK) == 0) waiting.drop((waitingHead >>> Column.PAGE_BITS) - 1);
    }
  }

  private void checkWritable() {
    if (frozen) throw new IllegalStateException("the empty ledger is never written");
  }

  private void ensureRows(int n) {
    idNums.ensure(n);
    buyerOf.ensure(n);
    requestRef.ensure(n);
    paymentRef.ensure(n);
    quantity.ensure(n);
    status.ensure(n);
    createdNanos.ensure(n);
    previousOfBuyer.ensure(n);
  }

  // ---------------------------------------------------------------- buyers

  private int findBuyer(String buyer) {
    return buyer == null || buyers == 0 ? NONE : buyerIndex.find(buyer, spread(buyer.hashCode()));
  }

  private int buyerFor(String buyer) {
    int found = findBuyer(buyer);
    if (found >= 0) return found;
    int b = buyers++;
    ensureBuyers(buyers);
    buyerName.set(b, strings.add(buyer));
    buyerHash.set(b, spread(buyer.hashCode()));
    lastRowOf.set(b, NONE);
    buyerIndex.add(b);
    return b;
  }

  private void ensureBuyers(int n) {
    buyerName.ensure(n);
    buyerHash.ensure(n);
    liveUnits.ensure(n);
    reservationCount.ensure(n);
    lastRowOf.ensure(n);
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
   * those columns' pages are shared, and so are the arena's full pages. The copy reads only its
   * first {@code rows} and has its own list of pages: the writer goes on writing into the last
   * shared page only above them, and a page it adds, or a short one it grows (into a new array),
   * goes into its own list, not the copy's. Only what changes in place, status and payment, is
   * copied, page by page: 5 bytes a reservation.
   */
  Ledger frozenCopy() {
    Ledger copy = new Ledger(true);
    copy.idPrefix = idPrefix;
    copy.holdNanos = holdNanos;
    copy.rows = rows;
    copy.idNums.shareFrom(idNums);
    copy.buyerOf.shareFrom(buyerOf);
    copy.requestRef.shareFrom(requestRef);
    copy.paymentRef.copyFrom(paymentRef, rows);
    copy.quantity.shareFrom(quantity);
    copy.status.copyFrom(status, rows);
    copy.createdNanos.shareFrom(createdNanos);
    copy.buyers = buyers;
    copy.buyerName.shareFrom(buyerName);
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

  /** Each column as one array, page after page: the same bytes as when a column was one array. */
  void writeTo(ByteBuffer out) {
    out.putInt(FORMAT);
    byte[] prefix = idPrefixBytes();
    out.putInt(idPrefix == null ? NONE : prefix.length).put(prefix);
    out.putLong(holdNanos);
    out.putInt(rows);
    idNums.write(out, rows);
    buyerOf.write(out, rows);
    requestRef.write(out, rows);
    paymentRef.write(out, rows);
    quantity.write(out, rows);
    status.write(out, rows);
    createdNanos.write(out, rows);
    out.putInt(buyers);
    buyerName.write(out, buyers);
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
    l.idNums.read(in, rows);
    l.buyerOf.read(in, rows);
    l.requestRef.read(in, rows);
    l.paymentRef.read(in, rows);
    l.quantity.read(in, rows);
    l.status.read(in, rows);
    l.createdNanos.read(in, rows);
    int buyers = in.getInt();
    l.buyerName.read(in, buyers);
    l.strings.readFrom(in);
    l.rebuild(rows, buyers, irregularRows);
    return l;
  }

  /** A writable ledger with the content of this frozen copy (an in-memory snapshot store hands back the object itself). */
  Ledger thawed() {
    Ledger l = create();
    l.idPrefix = idPrefix;
    l.holdNanos = holdNanos;
    l.idNums.copyFrom(idNums, rows);
    l.buyerOf.copyFrom(buyerOf, rows);
    l.requestRef.copyFrom(requestRef, rows);
    l.paymentRef.copyFrom(paymentRef, rows);
    l.quantity.copyFrom(quantity, rows);
    l.status.copyFrom(status, rows);
    l.createdNanos.copyFrom(createdNanos, rows);
    l.buyerName.copyFrom(buyerName, buyers);
    l.strings.shareFrom(strings);
    l.rebuild(rows, buyers, irregular);
    return l;
  }

  /** After the primary columns (and the buyers' names) are in place: the buyers, their figures and every index. */
  private void rebuild(int rowCount, int buyerCount, Map<Integer, Reservation> irregularRows) {
    ensureBuyers(buyerCount);
    for (int b = 0; b < buyerCount; b++) {
      buyerHash.set(b, spread(strings.get(buyerName.get(b)).hashCode()));
      lastRowOf.set(b, NONE);
      buyerIndex.add(b);
    }
    buyers = buyerCount;
    irregular.putAll(irregularRows);
    irregularRows.forEach((row, r) -> irregularIds.put(r.id(), row));
    ensureRows(rowCount);
    rows = rowCount;
    for (int row = 0; row < rowCount; row++) {
      int b = buyerOf.get(row);
      previousOfBuyer.set(row, lastRowOf.get(b));
      lastRowOf.set(b, row);
      reservationCount.set(b, reservationCount.get(b) + 1);
      if (!irregular.containsKey(row)) ids.add(row);
      ReservationStatus s = STATUSES[status.get(row) & 0x3f];
      if (s.live()) addUnits(b, quantity(row));
      if (s.awaitsPayment()) enqueueWaiting(row);
    }
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
   * One column of primitives in pages of {@link #PAGE} values, {@code P} being the page's array
   * type ({@code long[]} and so on), so a value costs what it did in one array. Adding a page copies
   * only the outer array, a reference per page, and that only when it doubles. Every page is full
   * but the last; a short last page (a small sale's only page, or the last of a copy) grows by half
   * until it is full, so the most one write copies is one page. 32,768 values keep a page of longs at
   * 256 KiB, below half of G1's smallest region: a larger one would be a humongous object, allocated
   * in the old generation and wasting the rest of its region.
   */
  private abstract static class Column<P> {
    static final int PAGE_BITS = 15;
    static final int PAGE = 1 << PAGE_BITS;
    static final int MASK = PAGE - 1;
    private static final int FIRST = 16;

    P[] pages;
    private int count; // pages in use
    private int capacity; // values they hold

    Column(P[] none) {
      this.pages = none;
    }

    abstract P newPage(int size);

    abstract void writePage(ByteBuffer out, P page, int n);

    abstract void readPage(ByteBuffer in, P page, int n);

    /** Room for {@code n} values. */
    final void ensure(int n) {
      while (capacity < n) {
        int last = count - 1;
        int lastSize = capacity - last * PAGE; // a full page when there is none yet
        if (lastSize < PAGE) {
          int size = Math.min(PAGE, Math.max(n - last * PAGE, Math.max(FIRST, lastSize + (lastSize >> 1))));
          P page = newPage(size);
          System.arraycopy(pages[last], 0, page, 0, lastSize);
          pages[last] = page;
          capacity = last * PAGE + size;
        } else {
          int size = count == 0 ? Math.min(PAGE, Math.max(FIRST, n)) : PAGE;
          append(newPage(size), size);
        }
      }
    }

    private void append(P page, int size) {
      if (count == pages.length) pages = Arrays.copyOf(pages, Math.max(4, count * 2));
      pages[count++] = page;
      capacity += size;
    }

    /** Empty before: the other's pages as they are, in a list of its own (see {@link Ledger#frozenCopy()}). */
    final void shareFrom(Column<P> other) {
      pages = Arrays.copyOf(other.pages, other.count);
      count = other.count;
      capacity = other.capacity;
    }

    /** Empty before: the other's first {@code n} values in pages of their own, the last one as long as it needs. */
    final void copyFrom(Column<P> other, int n) {
      for (int p = 0, left = n; left > 0; p++, left -= PAGE) {
        int size = Math.min(PAGE, left);
        P page = newPage(size);
        System.arraycopy(other.pages[p], 0, page, 0, size);
        append(page, size);
      }
    }

    /** The page no value of which is read again: a queue's, behind its head. */
    final void drop(int page) {
      pages[page] = null;
    }

    final void write(ByteBuffer out, int n) {
      for (int p = 0, left = n; left > 0; p++, left -= PAGE) writePage(out, pages[p], Math.min(PAGE, left));
    }

    final void read(ByteBuffer in, int n) {
      ensure(n);
      for (int p = 0, left = n; left > 0; p++, left -= PAGE) readPage(in, pages[p], Math.min(PAGE, left));
    }
  }

  private static final class Longs extends Column<long[]> {
    Longs() {
      super(new long[0][]);
    }

    long get(int i) {
      return pages[i >>> PAGE_BITS][i & MASK];
    }

    void set(int i, long value) {
      pages[i >>> PAGE_BITS][i & MASK] = value;
    }

    @Override
    long[] newPage(int size) {
      return new long[size];
    }

    @Override
    void writePage(ByteBuffer out, long[] page, int n) {
      out.asLongBuffer().put(page, 0, n);
      out.position(out.position() + n * 8);
    }

    @Override
    void readPage(ByteBuffer in, long[] page, int n) {
      in.asLongBuffer().get(page, 0, n);
      in.position(in.position() + n * 8);
    }
  }

  private static final class Ints extends Column<int[]> {
    Ints() {
      super(new int[0][]);
    }

    int get(int i) {
      return pages[i >>> PAGE_BITS][i & MASK];
    }

    void set(int i, int value) {
      pages[i >>> PAGE_BITS][i & MASK] = value;
    }

    @Override
    int[] newPage(int size) {
      return new int[size];
    }

    @Override
    void writePage(ByteBuffer out, int[] page, int n) {
      out.asIntBuffer().put(page, 0, n);
      out.position(out.position() + n * 4);
    }

    @Override
    void readPage(ByteBuffer in, int[] page, int n) {
      in.asIntBuffer().get(page, 0, n);
      in.position(in.position() + n * 4);
    }
  }

  private static final class Shorts extends Column<short[]> {
    Shorts() {
      super(new short[0][]);
    }

    short get(int i) {
      return pages[i >>> PAGE_BITS][i & MASK];
    }

    void set(int i, short value) {
      pages[i >>> PAGE_BITS][i & MASK] = value;
    }

    @Override
    short[] newPage(int size) {
      return new short[size];
    }

    @Override
    void writePage(ByteBuffer out, short[] page, int n) {
      out.asShortBuffer().put(page, 0, n);
      out.position(out.position() + n * 2);
    }

    @Override
    void readPage(ByteBuffer in, short[] page, int n) {
      in.asShortBuffer().get(page, 0, n);
      in.position(in.position() + n * 2);
    }
  }

  private static final class Bytes extends Column<byte[]> {
    Bytes() {
      super(new byte[0][]);
    }

    byte get(int i) {
      return pages[i >>> PAGE_BITS][i & MASK];
    }

    void set(int i, byte value) {
      pages[i >>> PAGE_BITS][i & MASK] = value;
    }

    @Override
    byte[] newPage(int size) {
      return new byte[size];
    }

    @Override
    void writePage(ByteBuffer out, byte[] page, int n) {
      out.put(page, 0, n);
    }

    @Override
    void readPage(ByteBuffer in, byte[] page, int n) {
      in.get(page, 0, n);
    }
  }

  /**
   * Open addressing from a 32-bit hash to an entry (a row, a buyer), in {@link #SEGMENTS} tables
   * picked by the hash's top bits, the slot by its low bits. Each table doubles on its own when it
   * is two thirds full, so a rehash moves the entries of one table only: a 256th of them, where one
   * table for all stalled the entity for as long as it took to move millions. A slot holds the entry
   * plus one (0 is empty) and the keys stay in their columns, so an entry costs 6 to 12 bytes as it
   * did in one table. The tables are made when first needed: a small sale has a few small ones, a
   * frozen copy none. Entries are never removed.
   */
  private abstract static class Index {
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

    private static void place(int[] slots, int h, int slot) {
      int mask = slots.length - 1;
      int i = h & mask;
      while (slots[i] != 0) i = (i + 1) & mask;
      slots[i] = slot;
    }
  }

  /** From a reservation id's number to its row; the numbers stay in their column. */
  private final class IdIndex extends Index {
    int get(long key) {
      int h = hash(key);
      int[] slots = slotsFor(h);
      if (slots == null) return NONE;
      int mask = slots.length - 1;
      for (int i = h & mask; ; i = (i + 1) & mask) {
        int row = slots[i] - 1;
        if (row < 0) return NONE;
        if (idNums.get(row) == key) return row;
      }
    }

    @Override
    int hashOf(int row) {
      return hash(idNums.get(row));
    }

    private static int hash(long key) {
      long h = key * 0x9E3779B97F4A7C15L;
      return (int) (h ^ (h >>> 32));
    }
  }

  /** From a buyer's name to the buyer; names stay in the arena, their hashes in {@link #buyerHash}. */
  private final class BuyerIndex extends Index {
    int find(String buyer, int h) {
      int[] slots = slotsFor(h);
      if (slots == null) return NONE;
      int mask = slots.length - 1;
      for (int i = h & mask; ; i = (i + 1) & mask) {
        int b = slots[i] - 1;
        if (b < 0) return NONE;
        if (buyerHash.get(b) == h && strings.equalTo(buyerName.get(b), buyer)) return b;
      }
    }

    @Override
    int hashOf(int b) {
      return buyerHash.get(b);
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
