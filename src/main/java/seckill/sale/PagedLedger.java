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
import seckill.sale.LedgerColumn.Width;

/**
 * The {@link Ledger} as columns of primitives, a row per reservation: the random part of its id, its
 * buyer (an index into the buyer columns), its request and payment ids (references into the strings),
 * quantity, status and creation time. The id's prefix (the sale's id) and the expiry (creation plus the
 * sale's hold) are the same for every row, so derived. A reservation the columns would not give back
 * exactly (an id or a hold of another shape) is also kept whole, so answers never depend on the form.
 *
 * <p>Nothing grows all at once, because the entity's one thread waits while it does: columns are
 * pages ({@link LedgerColumn}), indexes are 256 tables each ({@link LedgerIndex}), so one write copies
 * at most a page or a table whatever the sale's size. The snapshot form is each column as one array.
 */
final class PagedLedger implements Ledger {

  private static final int FORMAT = 1;
  private static final int NONE = -1;
  private static final int HAS_EXPIRY = 0x40;
  private static final ReservationStatus[] STATUSES = ReservationStatus.values();
  private static final PagedLedger FROZEN_EMPTY = new PagedLedger(true);

  private final boolean frozen;
  private String idPrefix;
  private long holdNanos = NONE;
  private final LedgerStrings strings = new LedgerStrings();

  // rows: one per reservation, in the order they were placed
  private int rows;
  private final LedgerColumn idNums = new LedgerColumn(Width.LONG);
  private final LedgerColumn buyerOf = new LedgerColumn(Width.INT);
  private final LedgerColumn requestRef = new LedgerColumn(Width.INT);
  private final LedgerColumn paymentRef = new LedgerColumn(Width.INT);
  private final LedgerColumn quantity = new LedgerColumn(Width.SHORT);
  private final LedgerColumn status = new LedgerColumn(Width.BYTE);
  private final LedgerColumn createdNanos = new LedgerColumn(Width.LONG);

  // buyers
  private int buyers;
  private final LedgerColumn buyerName = new LedgerColumn(Width.INT);
  private final LedgerColumn buyerHash = new LedgerColumn(Width.INT);
  private final LedgerColumn liveUnits = new LedgerColumn(Width.INT);
  private final LedgerColumn reservationCount = new LedgerColumn(Width.INT);
  private final LedgerColumn lastRowOf = new LedgerColumn(Width.INT);

  // derived, rebuilt after a snapshot is read
  private final LedgerColumn previousOfBuyer = new LedgerColumn(Width.INT);
  private final LedgerIndex.Ids ids = new LedgerIndex.Ids(idNums);
  private final LedgerIndex.Buyers buyerIndex = new LedgerIndex.Buyers(buyerHash, buyerName, strings);
  private int buyersWithUnits;
  private int[] buyersByUnits = new int[8];
  private int topUnits;
  /**
   * Rows that waited for payment, in the order placed; {@link #waitingHead} is the first still
   * waiting. Both ends only move forward (a row is queued once, so they stay below the row count);
   * the pages behind the head are dropped.
   */
  private final LedgerColumn waiting = new LedgerColumn(Width.INT);
  private int waitingHead;
  private int waitingTail;

  /** Rows kept whole because the compact form would not give them back exactly; normally empty. */
  private final Map<Integer, Reservation> irregular = new HashMap<>();
  private final Map<String, Integer> irregularIds = new HashMap<>();

  private PagedLedger(boolean frozen) {
    this.frozen = frozen;
  }

  static PagedLedger create() {
    return new PagedLedger(false);
  }

  /** See {@link Ledger#EMPTY}. */
  static PagedLedger frozenEmpty() {
    return FROZEN_EMPTY;
  }

  // ---------------------------------------------------------------- reading

  @Override
  public int size() {
    return rows;
  }

  @Override
  public int buyersWithUnits() {
    return buyersWithUnits;
  }

  @Override
  public int topBuyerUnits() {
    return topUnits;
  }

  @Override
  public int unitsOf(String buyer) {
    int b = findBuyer(buyer);
    return b < 0 ? 0 : liveUnits.getInt(b);
  }

  @Override
  public int reservationsOf(String buyer) {
    int b = findBuyer(buyer);
    return b < 0 ? 0 : reservationCount.getInt(b);
  }

  @Override
  public boolean contains(String id) {
    return rowOf(id) >= 0;
  }

  @Override
  public Reservation get(String id) {
    int row = rowOf(id);
    return row < 0 ? null : reservation(row);
  }

  @Override
  public Optional<Reservation> byRequest(String buyer, String requestId) {
    int b = findBuyer(buyer);
    if (b < 0) return Optional.empty();
    for (int row = lastRowOf.getInt(b); row != NONE; row = previousOfBuyer.getInt(row)) {
      Reservation r = irregularRow(row);
      if (r != null ? r.requestId().equals(requestId) : strings.equalTo(requestRef.getInt(row), requestId)) {
        return Optional.of(reservation(row));
      }
    }
    return Optional.empty();
  }

  @Override
  public List<Reservation> ofBuyer(String buyer) {
    int b = findBuyer(buyer);
    if (b < 0) return List.of();
    List<Reservation> mine = new ArrayList<>();
    for (int row = lastRowOf.getInt(b); row != NONE; row = previousOfBuyer.getInt(row)) mine.add(reservation(row));
    mine.sort(Comparator.comparing(Reservation::createdAt));
    return mine;
  }

  /** Reservations wait in the order placed, so the first still waiting has the first deadline. */
  @Override
  public Optional<Instant> earliestDeadline() {
    return waitingHead == waitingTail ? Optional.empty() : Optional.of(reservation(waiting.getInt(waitingHead)).expiresAt());
  }

  @Override
  public List<String> dueAt(Instant now, int limit) {
    List<String> due = new ArrayList<>();
    for (int i = waitingHead; i < waitingTail && due.size() < limit; i++) {
      int row = waiting.getInt(i);
      if (!awaitsPayment(row)) continue;
      Reservation r = reservation(row);
      if (r.expiresAt().isAfter(now)) break;
      due.add(r.id());
    }
    return due;
  }

  @Override
  public Map<String, Reservation> all() {
    Map<String, Reservation> all = new HashMap<>();
    for (int row = 0; row < rows; row++) {
      Reservation r = reservation(row);
      all.put(r.id(), r);
    }
    return all;
  }

  @Override
  public Map<String, Integer> unitsByBuyer() {
    Map<String, Integer> units = new HashMap<>();
    for (int b = 0; b < buyers; b++) if (liveUnits.getInt(b) > 0) units.put(strings.get(buyerName.getInt(b)), liveUnits.getInt(b));
    return units;
  }

  private Reservation reservation(int row) {
    Reservation whole = irregularRow(row);
    if (whole != null) return whole;
    int flags = status.getByte(row);
    long created = createdNanos.getLong(row);
    int payment = paymentRef.getInt(row);
    return new Reservation(idPrefix + Long.toUnsignedString(idNums.getLong(row), 36), strings.get(buyerName.getInt(buyerOf.getInt(row))),
        strings.get(requestRef.getInt(row)), quantity.getShort(row), STATUSES[flags & 0x3f], instant(created),
        (flags & HAS_EXPIRY) != 0 ? instant(created + holdNanos) : null,
        payment == NONE ? null : strings.get(payment));
  }

  private boolean awaitsPayment(int row) {
    return STATUSES[status.getByte(row) & 0x3f].awaitsPayment();
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

  @Override
  public void place(Reservation r) {
    checkWritable();
    int b = buyerFor(r.buyer());
    int row = rows++;
    ensureRows(rows);
    int dot = r.id().indexOf('.');
    if (idPrefix == null && dot > 0 && SaleIds.isValidSaleId(r.id().substring(0, dot))) idPrefix = r.id().substring(0, dot + 1);
    long num = idPrefix != null && r.id().startsWith(idPrefix) ? idNumber(r.id().substring(idPrefix.length())) : NONE;
    long created = nanos(r.createdAt());
    if (holdNanos == NONE && r.expiresAt() != null && created != Long.MIN_VALUE) {
      long hold = nanos(r.expiresAt()) - created;
      if (hold > 0) holdNanos = hold;
    }
    short q = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, r.quantity()));
    idNums.setLong(row, num);
    buyerOf.setInt(row, b);
    requestRef.setInt(row, strings.add(r.requestId()));
    paymentRef.setInt(row, r.paymentId() == null ? NONE : strings.add(r.paymentId()));
    quantity.setShort(row, q);
    status.setByte(row, (byte) (r.status().ordinal() | (r.expiresAt() != null ? HAS_EXPIRY : 0)));
    createdNanos.setLong(row, created == Long.MIN_VALUE ? 0 : created);
    previousOfBuyer.setInt(row, lastRowOf.getInt(b));
    lastRowOf.setInt(b, row);
    reservationCount.setInt(b, reservationCount.getInt(b) + 1);
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

  @Override
  public Change paid(String id, String paymentId) {
    return change(id, ReservationStatus.PAID, false, paymentId, false);
  }

  @Override
  public Change ended(String id, ReservationStatus end, String failedPaymentId) {
    return change(id, end, failedPaymentId == null, failedPaymentId, true);
  }

  /**
   * A reservation changes status; an ending one gives its units back. {@code keepPayment}: its payment
   * id stays, else it becomes {@code paymentId}. Null, and nothing changes, when there is no such
   * reservation, or when {@code onlyWaiting} and it no longer waits for payment.
   */
  private Change change(String id, ReservationStatus next, boolean keepPayment, String paymentId, boolean onlyWaiting) {
    checkWritable();
    int row = rowOf(id);
    if (row < 0) return null;
    int flags = status.getByte(row);
    ReservationStatus before = STATUSES[flags & 0x3f];
    if (onlyWaiting && !before.awaitsPayment()) return null;
    int q = quantity(row);
    status.setByte(row, (byte) (next.ordinal() | (flags & HAS_EXPIRY)));
    if (!keepPayment) paymentRef.setInt(row, paymentId == null ? NONE : strings.add(paymentId));
    Reservation whole = irregularRow(row);
    if (whole != null) irregular.put(row, whole.with(next, keepPayment ? whole.paymentId() : paymentId));
    if (before.live() && !next.live()) addUnits(buyerOf.getInt(row), -q);
    if (before.awaitsPayment() && !next.awaitsPayment()) trimWaiting();
    return new Change(before, q);
  }

  /** The reservation kept whole at {@code row}, or null: the map is empty but for odd rows. */
  private Reservation irregularRow(int row) {
    return irregular.isEmpty() ? null : irregular.get(row);
  }

  private int quantity(int row) {
    Reservation whole = irregularRow(row);
    return whole != null ? whole.quantity() : quantity.getShort(row);
  }

  private void addUnits(int b, int delta) {
    int before = liveUnits.getInt(b);
    int after = before + delta;
    liveUnits.setInt(b, after);
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
    waiting.setInt(waitingTail++, row);
  }

  /** The head passes the rows that no longer wait, and drops each page it leaves (the tail is past it). */
  private void trimWaiting() {
    while (waitingHead < waitingTail && !awaitsPayment(waiting.getInt(waitingHead))) {
      waitingHead++;
      if ((waitingHead & LedgerColumn.MASK) == 0) waiting.drop((waitingHead >>> LedgerColumn.PAGE_BITS) - 1);
    }
  }

  private void checkWritable() {
    if (frozen) throw new IllegalStateException("a frozen ledger is never written: take writable()");
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
    buyerName.setInt(b, strings.add(buyer));
    buyerHash.setInt(b, spread(buyer.hashCode()));
    lastRowOf.setInt(b, NONE);
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
   * those columns' pages are shared, and so are the strings' full pages. The copy reads only its
   * first {@code rows} and has its own list of pages: the writer goes on writing into the last
   * shared page only above them, and a page it adds, or a short one it grows (into a new array),
   * goes into its own list, not the copy's. Only what changes in place, status and payment, is
   * copied, page by page: 5 bytes a reservation.
   */
  @Override
  public Ledger frozenCopy() {
    PagedLedger copy = new PagedLedger(true);
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

  @Override
  public Map<Integer, Reservation> irregularRows() {
    return irregular;
  }

  @Override
  public int binarySize() {
    return 4 + 4 + idPrefixBytes().length + 8 + 4 + rows * (8 + 4 + 4 + 4 + 2 + 1 + 8) + 4 + buyers * 4
        + strings.binarySize();
  }

  /** The header, then each column's values as one array (page after page), then the strings. */
  @Override
  public void writeTo(ByteBuffer out) {
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
  static PagedLedger readFrom(ByteBuffer in, Map<Integer, Reservation> irregularRows) {
    int format = in.getInt();
    if (format != FORMAT) throw new IllegalArgumentException("unknown ledger format " + format);
    PagedLedger l = create();
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

  @Override
  public Ledger writable() {
    return frozen ? thawed() : this;
  }

  /** A writable ledger with this frozen one's content (an in-memory snapshot store hands back the copy itself). */
  private PagedLedger thawed() {
    PagedLedger l = create();
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
      buyerHash.setInt(b, spread(strings.hashCodeOf(buyerName.getInt(b))));
      lastRowOf.setInt(b, NONE);
    }
    buyerIndex.addAll(buyerCount, b -> false);
    buyers = buyerCount;
    irregular.putAll(irregularRows);
    irregularRows.forEach((row, r) -> irregularIds.put(r.id(), row));
    ensureRows(rowCount);
    rows = rowCount;
    ids.addAll(rowCount, irregular.isEmpty() ? row -> false : irregular::containsKey);
    for (int row = 0; row < rowCount; row++) {
      int b = buyerOf.getInt(row);
      previousOfBuyer.setInt(row, lastRowOf.getInt(b));
      lastRowOf.setInt(b, row);
      reservationCount.setInt(b, reservationCount.getInt(b) + 1);
      ReservationStatus s = STATUSES[status.getByte(row) & 0x3f];
      if (s.live()) addUnits(b, quantity(row));
      if (s.awaitsPayment()) enqueueWaiting(row);
    }
  }

  // ---------------------------------------------------------------- equality (tests compare states)

  @Override
  public boolean equals(Object o) {
    return o instanceof PagedLedger other && rows == other.rows && all().equals(other.all());
  }

  @Override
  public int hashCode() {
    return rows;
  }

  @Override
  public String toString() {
    return "Ledger[" + rows + " reservations, " + buyers + " buyers, " + irregular.size() + " kept whole]";
  }
}
