package seckill.sale;

import com.typesafe.config.Config;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilderByState;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import seckill.serialization.CborSerializable;
import seckill.journal.VerifiedAllocation;

/**
 * One flash sale, sharded by sale id. It guards {@code available >= 0},
 * {@code sold + held + available == stock}, units per buyer {@code <= limit}, and answers a
 * reservation only after the event holding it is persisted.
 */
public final class Sale extends EventSourcedBehaviorWithEnforcedReplies<Sale.Command, Sale.Event, Sale.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Sale");

  /** Fixed list: projections run one instance per tag, so changing it needs a migration. */
  public static final List<String> TAGS = List.of("sale-0", "sale-1", "sale-2", "sale-3");

  private static final Pattern SALE_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final String EXPIRY_TIMER = "expiry";

  /** Starts sharding for sales; each entity tells {@code views} how it looks after every change. */
  public static void init(ActorSystem<?> system, ActorRef<ViewChanged> views) {
    Settings settings = Settings.fromConfig(system.settings().config().getConfig("seckill.sale"));
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), settings, views))
            .withAllocationStrategy(new VerifiedAllocation(system)));
  }

  public static Behavior<Command> create(String saleId, Settings settings, ActorRef<ViewChanged> views) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new Sale(saleId, settings, timers, Clock.systemUTC(), ctx, views)));
  }

  public static final int MAX_REQUEST_ID = 100;
  /**
   * Holds expired by one event at most: a sale of a million unpaid holds expires them in events of
   * this size, one expiry tick apart, not in one event of a million ids.
   */
  static final int MAX_EXPIRED_PER_EVENT = 20_000;
  /** Printable ASCII, so a batch's size in bytes stays bounded (see hot-batch-factor in admission.conf). */
  private static final java.util.regex.Pattern REQUEST_ID = java.util.regex.Pattern.compile("[\\x21-\\x7E]{1," + MAX_REQUEST_ID + "}");
  /** What a buyer's requestId must be, wherever it arrives (reserve, challenge). */
  public static final String REQUEST_ID_RULE = "requestId must be 1 to " + MAX_REQUEST_ID + " printable ASCII characters without spaces";

  public static boolean isValidRequestId(String requestId) {
    return requestId != null && REQUEST_ID.matcher(requestId).matches();
  }

  /** Where a phase stands at {@code now}; the edge computes it from its view the same way. */
  public static Phase phaseOf(Lifecycle lifecycle, Definition definition, Instant now) {
    if (lifecycle == Lifecycle.NEW || definition == null) return Phase.NOT_DEFINED;
    if (lifecycle == Lifecycle.CLOSED) return Phase.CLOSED;
    if (!now.isBefore(definition.endsAt())) return Phase.ENDED;
    if (lifecycle == Lifecycle.PAUSED) return Phase.PAUSED;
    if (lifecycle == Lifecycle.SCHEDULED && now.isBefore(definition.startsAt())) return Phase.UPCOMING;
    return Phase.OPEN;
  }

  public static String tagFor(String saleId) {
    return TAGS.get(Math.floorMod(saleId.hashCode(), TAGS.size()));
  }

  public static boolean isValidSaleId(String saleId) {
    return saleId != null && SALE_ID.matcher(saleId).matches();
  }

  /** Reservation ids are "{saleId}.{random}"; sale ids never hold a dot, so the owner is found without a lookup. */
  public static Optional<String> saleIdOf(String reservationId) {
    int dot = reservationId == null ? -1 : reservationId.indexOf('.');
    if (dot <= 0) return Optional.empty();
    String saleId = reservationId.substring(0, dot);
    return isValidSaleId(saleId) ? Optional.of(saleId) : Optional.empty();
  }

  /**
   * Entity settings from {@code seckill.sale}. A snapshot is taken after at least {@code snapshotEvery}
   * events and once the reservations placed or changed since the last one are at least
   * {@code snapshotAfterShare} of all the sale holds: a snapshot costs what the sale holds, so a big
   * sale takes them less often, and recovery replays at most about that share.
   */
  public record Settings(
      int snapshotEvery, double snapshotAfterShare, Duration expiryTick, Duration backoffMin, Duration backoffMax,
      double backoffRandomFactor, int maxReservationsPerBuyer) {
    public static Settings fromConfig(Config c) {
      return new Settings(
          c.getInt("snapshot-every"),
          c.getDouble("snapshot-after-share"),
          c.getDuration("expiry-tick"),
          c.getDuration("persist-failure-backoff.min"),
          c.getDuration("persist-failure-backoff.max"),
          c.getDouble("persist-failure-backoff.random-factor"),
          c.getInt("max-reservations-per-buyer"));
    }
  }

  // ---------------------------------------------------------------- protocol: definition

  /** The course's three stock-deduction strategies. */
  public enum DeductionMode {
    /** 下单减库存: a reservation takes the unit for good. */
    ON_ORDER,
    /** 预扣库存: a reservation holds the unit until paid or until the hold expires. */
    HOLD,
    /** 付款减库存: orders take no stock; payment takes it or fails when none is left. */
    ON_PAYMENT
  }

  /** Persisted lifecycle; what buyers see also depends on the clock, see {@link Phase}. */
  public enum Lifecycle { NEW, SCHEDULED, OPEN, PAUSED, CLOSED }

  /** What a buyer sees at a given instant. */
  public enum Phase { NOT_DEFINED, UPCOMING, OPEN, PAUSED, ENDED, CLOSED }

  public enum ReservationStatus {
    HELD, CONFIRMED, PENDING_PAYMENT, PAID, CANCELLED, EXPIRED, PAYMENT_FAILED;

    /** Counts against the buyer's limit. */
    public boolean live() {
      return this == HELD || this == CONFIRMED || this == PENDING_PAYMENT || this == PAID;
    }

    /** Waits for a payment and expires without one. */
    public boolean awaitsPayment() {
      return this == HELD || this == PENDING_PAYMENT;
    }
  }

  /** Why a command was refused; the HTTP layer maps each to one status code. */
  public enum Reason {
    SALE_NOT_FOUND, INVALID_DEFINITION, ALREADY_STARTED, NOT_OPEN, PAUSED, ENDED, CLOSED,
    SOLD_OUT, LIMIT_REACHED, INVALID_QUANTITY, INVALID_STOCK, RESERVATION_NOT_FOUND,
    NOT_CANCELLABLE, RESERVATION_EXPIRED, RESERVATION_CANCELLED, ALREADY_PAID, PAYMENT_FAILED, TOO_MANY_RESERVATIONS
  }

  /**
   * The waiting room in front of a sale (issue "Waiting room"): buyers join a line and are admitted
   * {@code admitPerSecond} at a time, never more than {@code maxActive} admitted and not yet done;
   * an admission is good for {@code admissionTtl}. Joins open at {@code preQueueFrom} (null: at the
   * sale's start); with {@code shuffleAtOpen}, those who joined before the start are admitted in an
   * order drawn at random, not in the order they came. Operators change pace and cap live (switches).
   */
  public record WaitingRoom(boolean enabled, int admitPerSecond, int maxActive, Instant preQueueFrom,
      boolean shuffleAtOpen, Duration admissionTtl) implements CborSerializable {

    public static final int MAX_ADMIT_PER_SECOND = 100_000;
    public static final int MAX_ACTIVE = 1_000_000;
    public static final Duration MIN_TTL = Duration.ofSeconds(10);
    public static final Duration MAX_TTL = Duration.ofMinutes(30);
    static final Duration MAX_PRE_QUEUE = Duration.ofDays(7);

    Optional<String> problem(Instant startsAt) {
      if (admitPerSecond < 1 || admitPerSecond > MAX_ADMIT_PER_SECOND)
        return Optional.of("waitingRoom.admitPerSecond must be between 1 and " + MAX_ADMIT_PER_SECOND);
      if (maxActive < 1 || maxActive > MAX_ACTIVE)
        return Optional.of("waitingRoom.maxActive must be between 1 and " + MAX_ACTIVE);
      if (admissionTtl == null || admissionTtl.compareTo(MIN_TTL) < 0 || admissionTtl.compareTo(MAX_TTL) > 0)
        return Optional.of("waitingRoom.admissionTtlSeconds must be between " + MIN_TTL.toSeconds() + " and "
            + MAX_TTL.toSeconds());
      if (preQueueFrom != null && (preQueueFrom.isAfter(startsAt) || preQueueFrom.isBefore(startsAt.minus(MAX_PRE_QUEUE))))
        return Optional.of("waitingRoom.preQueueFrom must be at most " + MAX_PRE_QUEUE.toDays() + " days before startsAt, and not after it");
      return Optional.empty();
    }

    /** When joins open: the pre-queue's start, else the sale's. */
    public Instant joinsFrom(Instant startsAt) {
      return preQueueFrom == null ? startsAt : preQueueFrom;
    }
  }

  /** What an operator defines; only changeable before the sale opens. */
  public record Definition(
      String item,
      String description,
      BigDecimal price,
      String currency,
      int stock,
      Instant startsAt,
      Instant endsAt,
      int perBuyerLimit,
      DeductionMode mode,
      Duration hold,
      WaitingRoom waitingRoom)
      implements CborSerializable {

    /** A sale without a waiting room (absent in definitions written before the room existed). */
    public Definition(String item, String description, BigDecimal price, String currency, int stock, Instant startsAt,
        Instant endsAt, int perBuyerLimit, DeductionMode mode, Duration hold) {
      this(item, description, price, currency, stock, startsAt, endsAt, perBuyerLimit, mode, hold, null);
    }

    /** The same sale with {@code room} in front of it. */
    public Definition withWaitingRoom(WaitingRoom room) {
      return new Definition(item, description, price, currency, stock, startsAt, endsAt, perBuyerLimit, mode, hold, room);
    }

    /** True when buyers must queue and be admitted before they reserve. */
    public boolean queued() {
      return waitingRoom != null && waitingRoom.enabled();
    }

    public static final int MAX_STOCK = 10_000_000;
    public static final int MAX_LIMIT = 1_000;
    // every number is bounded: a hold of 1e17 s once made each reserve fail in Instant arithmetic
    static final BigDecimal MAX_PRICE = new BigDecimal("1000000000");
    static final int MAX_PRICE_DECIMALS = 4;
    static final long MAX_HOLD_SECONDS = 7 * 24 * 3600;
    static final Instant EARLIEST = Instant.parse("2000-01-01T00:00:00Z");
    static final Instant LATEST = Instant.parse("2100-01-01T00:00:00Z");
    static final long MAX_DURATION_DAYS = 366;

    /** The first thing wrong with this definition at {@code now}, or empty when it is valid. */
    public Optional<String> problem(Instant now) {
      if (item == null || item.isBlank() || item.length() > 200 || hasControl(item, ""))
        return Optional.of("item must be 1 to 200 characters, none of them control characters");
      if (description != null && (description.length() > 10_000 || hasControl(description, "\n\t")))
        return Optional.of("description must be at most 10000 characters, no control characters but newline and tab");
      if (price == null || price.signum() < 0 || price.compareTo(MAX_PRICE) > 0 || price.stripTrailingZeros().scale() > MAX_PRICE_DECIMALS)
        return Optional.of("price must be 0 to " + MAX_PRICE + " with at most " + MAX_PRICE_DECIMALS + " decimals");
      if (currency == null || !currency.matches("[A-Z]{3}")) return Optional.of("currency must be a 3-letter ISO code");
      if (stock < 0 || stock > MAX_STOCK) return Optional.of("stock must be between 0 and " + MAX_STOCK);
      if (startsAt == null || endsAt == null) return Optional.of("startsAt and endsAt are required");
      if (startsAt.isBefore(EARLIEST) || endsAt.isAfter(LATEST))
        return Optional.of("startsAt and endsAt must be between " + EARLIEST + " and " + LATEST);
      if (!startsAt.isBefore(endsAt)) return Optional.of("startsAt must be before endsAt");
      if (Duration.between(startsAt, endsAt).toDays() >= MAX_DURATION_DAYS)
        return Optional.of("a sale lasts less than " + MAX_DURATION_DAYS + " days");
      if (!endsAt.isAfter(now)) return Optional.of("endsAt is in the past");
      if (perBuyerLimit < 1 || perBuyerLimit > MAX_LIMIT) return Optional.of("perBuyerLimit must be between 1 and " + MAX_LIMIT);
      if (mode == null) return Optional.of("mode must be one of ON_ORDER, HOLD, ON_PAYMENT");
      if (mode != DeductionMode.ON_ORDER
          && (hold == null || hold.isNegative() || hold.isZero() || hold.toSeconds() > MAX_HOLD_SECONDS))
        return Optional.of("holdSeconds must be 1 to " + MAX_HOLD_SECONDS + " for mode " + mode);
      if (waitingRoom != null) return waitingRoom.problem(startsAt);
      return Optional.empty();
    }

    private static boolean hasControl(String text, String allowed) {
      return text.chars().anyMatch(c -> (c < 0x20 || c == 0x7f) && allowed.indexOf(c) < 0);
    }
  }

  // ---------------------------------------------------------------- protocol: commands

  public sealed interface Command extends CborSerializable {
    /** Tells whoever waits for this command that it was refused; commands nobody waits on ignore it. */
    default void refuse(Rejected rejected) {}
  }

  /** A command with one caller waiting: its refusal goes to {@code replyTo}. */
  public sealed interface Refusable extends Command {
    ActorRef<? super Rejected> replyTo();

    @Override
    default void refuse(Rejected rejected) {
      replyTo().tell(rejected);
    }
  }

  /** Define a new sale or change it before it opens. */
  public record Define(Definition definition, ActorRef<Confirmation> replyTo) implements Refusable {}

  public record Open(ActorRef<Confirmation> replyTo) implements Refusable {}

  public record Pause(ActorRef<Confirmation> replyTo) implements Refusable {}

  public record Close(ActorRef<Confirmation> replyTo) implements Refusable {}

  public record AddStock(int units, ActorRef<Confirmation> replyTo) implements Refusable {}

  /** One buyer's request inside a {@link ReserveBatch}. */
  public record Reserve(String buyer, String requestId, int quantity, ActorRef<ReserveReply> replyTo)
      implements CborSerializable {}

  /** Many reserves, one persisted event for all accepted ones, one reply per request. */
  public record ReserveBatch(List<Reserve> requests) implements Command {
    /** Every request of the batch is refused alike. */
    @Override
    public void refuse(Rejected rejected) {
      requests.forEach(r -> r.replyTo().tell(rejected));
    }
  }

  public record ConfirmPayment(String reservationId, String paymentId, ActorRef<ReservationReply> replyTo)
      implements Refusable {}

  /** The payment system reports a failed payment: a reservation waiting for payment ends and its units go back. */
  public record FailPayment(String reservationId, String paymentId, ActorRef<ReservationReply> replyTo)
      implements Refusable {}

  /** Cancel a reservation; {@code buyer} is null when an operator cancels. */
  public record Cancel(String reservationId, String buyer, ActorRef<ReservationReply> replyTo) implements Refusable {}

  /** Look a reservation up; {@code buyer} is null when an operator asks. */
  public record GetReservation(String reservationId, String buyer, ActorRef<ReservationReply> replyTo)
      implements Refusable {}

  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /** A buyer's reservations in this sale, e.g. to learn the outcome of a request whose answer was lost. */
  public record GetBuyerReservations(String buyer, ActorRef<BuyerReservations> replyTo) implements Command {}

  /** Expire every hold whose deadline has passed; sent by the entity's own timer. */
  public enum ExpireHolds implements Command { INSTANCE }

  // ---------------------------------------------------------------- protocol: replies

  public sealed interface Confirmation extends CborSerializable {}

  public sealed interface ReserveReply extends CborSerializable {}

  public sealed interface ReservationReply extends CborSerializable {}

  public record Accepted(Status status) implements Confirmation {}

  /** {@code replayed} is true when the same (buyer, request id) had already been answered. */
  public record Reserved(Reservation reservation, boolean replayed) implements ReserveReply {}

  public record ReservationResult(Reservation reservation) implements ReservationReply {}

  public record BuyerReservations(List<Reservation> reservations) implements CborSerializable {}

  public record Rejected(Reason reason, String message)
      implements Confirmation, ReserveReply, ReservationReply {}

  public record Reservation(
      String id,
      String buyer,
      String requestId,
      int quantity,
      ReservationStatus status,
      Instant createdAt,
      Instant expiresAt,
      String paymentId)
      implements CborSerializable {

    Reservation with(ReservationStatus newStatus, String newPaymentId) {
      return new Reservation(id, buyer, requestId, quantity, newStatus, createdAt, expiresAt, newPaymentId);
    }

    boolean dueAt(Instant now) {
      return status.awaitsPayment() && expiresAt != null && !expiresAt.isAfter(now);
    }
  }

  public record Status(
      String saleId,
      Definition definition,
      Phase phase,
      int stock,
      int available,
      int held,
      int sold,
      int pending,
      int reservations,
      int buyers,
      int topBuyerUnits,
      Instant serverTime)
      implements CborSerializable {}

  /**
   * How the sale looks after a change, told to the node's sale views (the edge's local copy).
   * {@code version} is the entity's sequence number, so a newer view always wins.
   */
  public record ViewChanged(String saleId, Definition definition, Lifecycle lifecycle, int available, int sold,
      int held, long version) implements CborSerializable {}

  // ---------------------------------------------------------------- events

  public sealed interface Event extends CborSerializable {}

  public record SaleDefined(Definition definition, Instant at) implements Event {}

  public record SaleOpened(Instant at) implements Event {}

  public record SalePaused(Instant at) implements Event {}

  public record SaleClosed(Instant at) implements Event {}

  public record StockAdded(int units, Instant at) implements Event {}

  /** The change persisted with it took the last available unit (units may come back later). */
  public record SaleSoldOut(Instant at) implements Event {}

  /** The accepted part of one {@link ReserveBatch}: group commit, one event for many buyers. */
  public record ReservationsPlaced(List<Reservation> reservations, Instant at) implements Event {}

  public record PaymentConfirmed(String reservationId, String paymentId, Instant at) implements Event {}

  public record PaymentFailed(String reservationId, String paymentId, Instant at) implements Event {}

  public record ReservationCancelled(String reservationId, Instant at) implements Event {}

  public record ReservationsExpired(List<String> reservationIds, Instant at) implements Event {}

  // ---------------------------------------------------------------- state

  /**
   * A sale's units: {@code stock = available + held + sold}; orders waiting for payment
   * ({@code ON_PAYMENT}) take none until paid, {@code pending} counts them. Each change of a
   * reservation moves its units in one step here.
   */
  public record Units(int stock, int available, int held, int sold, int pending) implements CborSerializable {
    static final Units NONE = new Units(0, 0, 0, 0, 0);

    Units added(int units) {
      return new Units(stock + units, available + units, held, sold, pending);
    }

    /** A new reservation in {@code status}: a hold or a confirmed order takes units, a pending order none. */
    Units placed(ReservationStatus status, int q) {
      return switch (status) {
        case HELD -> new Units(stock, available - q, held + q, sold, pending);
        case CONFIRMED -> new Units(stock, available - q, held, sold + q, pending);
        case PENDING_PAYMENT -> new Units(stock, available, held, sold, pending + q);
        default -> this;
      };
    }

    /** A reservation that was {@code from} is paid: its units are sold. */
    Units paid(ReservationStatus from, int q) {
      return switch (from) {
        case HELD -> new Units(stock, available, held - q, sold + q, pending);
        case PENDING_PAYMENT -> new Units(stock, available - q, held, sold + q, pending - q);
        default -> this;
      };
    }

    /** A reservation that was {@code from} ends without a sale: a hold's units go back. */
    Units released(ReservationStatus from, int q) {
      return from == ReservationStatus.HELD
          ? new Units(stock, available + q, held - q, sold, pending)
          : new Units(stock, available, held, sold, pending - q);
    }
  }

  /**
   * The sale's state: its definition, lifecycle and counts, and the {@link Ledger} of every
   * reservation it made, which the event handler updates in place (copying it for every event would
   * cost O(reservations) on the hottest path). Nothing outside the entity sees the ledger (replies
   * carry immutable records); the snapshot adapter hands the snapshot store a frozen copy of it.
   * Snapshots are written by {@link SaleStateSerializer}; those written before the ledger (Jackson,
   * maps of records) are still read, by {@link #fromSnapshot}.
   */
  public record State(Definition definition, Lifecycle lifecycle, Units units, Ledger ledger) implements CborSerializable {

    /**
     * Pekko keeps the empty state it was given and starts every recovery after a restart (a failed
     * journal write) from it, so its ledger is the frozen empty one; the first reservation gives the
     * state a ledger of its own ({@link #writable()}).
     */
    static State empty() {
      return new State(null, Lifecycle.NEW, Units.NONE, Ledger.EMPTY);
    }

    /**
     * Reads snapshots written before the ledger, by Jackson: the counts as a record or, older, as five
     * fields of the state itself; the reservations as a map of records (the other maps they held are
     * derived from it).
     */
    @com.fasterxml.jackson.annotation.JsonCreator
    static State fromSnapshot(
        @com.fasterxml.jackson.annotation.JsonProperty("definition") Definition definition,
        @com.fasterxml.jackson.annotation.JsonProperty("lifecycle") Lifecycle lifecycle,
        @com.fasterxml.jackson.annotation.JsonProperty("units") Units units,
        @com.fasterxml.jackson.annotation.JsonProperty("stock") int stock,
        @com.fasterxml.jackson.annotation.JsonProperty("available") int available,
        @com.fasterxml.jackson.annotation.JsonProperty("held") int held,
        @com.fasterxml.jackson.annotation.JsonProperty("sold") int sold,
        @com.fasterxml.jackson.annotation.JsonProperty("pending") int pending,
        @com.fasterxml.jackson.annotation.JsonProperty("reservations") Map<String, Reservation> reservations) {
      Ledger ledger = Ledger.create();
      if (reservations != null) {
        reservations.values().stream()
            .sorted(java.util.Comparator.comparing(Reservation::createdAt).thenComparing(Reservation::id))
            .forEach(ledger::place);
      }
      return new State(definition, lifecycle, units != null ? units : new Units(stock, available, held, sold, pending), ledger);
    }

    /** The same sale with other counts or another lifecycle, sharing the ledger (see the class comment). */
    private State with(Definition d, Lifecycle l, Units u) {
      return new State(d, l, u, ledger);
    }

    public int stock() {
      return units.stock();
    }

    public int available() {
      return units.available();
    }

    public int held() {
      return units.held();
    }

    public int sold() {
      return units.sold();
    }

    public int pending() {
      return units.pending();
    }

    /** Every reservation by id, built from the ledger: for tests, O(reservations). */
    public Map<String, Reservation> reservations() {
      return ledger.all();
    }

    /** Live units per buyer, built from the ledger: for tests, O(buyers). */
    public Map<String, Integer> unitsByBuyer() {
      return ledger.unitsByBuyer();
    }

    /** This state, or one with a ledger of its own while it still has the empty state's. */
    private State writable() {
      return ledger.isFrozen() ? thawed() : this;
    }

    /** The same sale with a writable ledger: a new one for the empty state, a copy for a frozen snapshot. */
    State thawed() {
      if (!ledger.isFrozen()) return this;
      return new State(definition, lifecycle, units, ledger == Ledger.EMPTY ? Ledger.create() : ledger.thawed());
    }

    /** What the snapshot store writes: the same sale with a frozen copy of the ledger. */
    State frozen() {
      return new State(definition, lifecycle, units, ledger.frozenCopy());
    }

    public Phase phase(Instant now) {
      return phaseOf(lifecycle, definition, now);
    }

    public int unitsOf(String buyer) {
      return ledger.unitsOf(buyer);
    }

    int reservationsOf(String buyer) {
      return ledger.reservationsOf(buyer);
    }

    /** The reservation with this id, or null. */
    Reservation reservation(String id) {
      return ledger.get(id);
    }

    Optional<Reservation> byRequest(String buyer, String requestId) {
      return ledger.byRequest(buyer, requestId);
    }

    Optional<Instant> earliestDeadline() {
      return ledger.earliestDeadline();
    }

    List<String> dueAt(Instant now) {
      return ledger.dueAt(now, MAX_EXPIRED_PER_EVENT);
    }

    Status status(String saleId, Instant now) {
      return new Status(saleId, definition, phase(now), stock(), available(), held(), sold(), pending(),
          ledger.size(), ledger.buyersWithUnits(), ledger.topBuyerUnits(), now);
    }

    State defined(Definition d) {
      return with(d, Lifecycle.SCHEDULED, new Units(d.stock(), d.stock(), 0, 0, 0));
    }

    State withLifecycle(Lifecycle next) {
      return with(definition, next, units);
    }

    State stockAdded(int units) {
      return with(definition, lifecycle, this.units.added(units));
    }

    State placed(List<Reservation> placed) {
      State s = writable();
      Units u = units;
      for (Reservation r : placed) {
        s.ledger.place(r);
        u = u.placed(r.status(), r.quantity());
      }
      return s.with(definition, lifecycle, u);
    }

    State paid(String reservationId, String paymentId) {
      Ledger.Change c = ledger.change(reservationId, ReservationStatus.PAID, false, paymentId, false);
      return c == null ? this : with(definition, lifecycle, units.paid(c.before(), c.quantity()));
    }

    /** The reservation ends without a sale (cancelled, expired): its units go back; its payment id stays. */
    State released(String reservationId, ReservationStatus end) {
      return released(ledger.change(reservationId, end, true, null, true));
    }

    /** The same, with the payment that failed. */
    State released(String reservationId, ReservationStatus end, String paymentId) {
      return released(ledger.change(reservationId, end, false, paymentId, true));
    }

    private State released(Ledger.Change c) {
      return c == null ? this : with(definition, lifecycle, units.released(c.before(), c.quantity()));
    }

    State expired(List<String> reservationIds) {
      State s = this;
      for (String id : reservationIds) s = s.released(id, ReservationStatus.EXPIRED);
      return s;
    }
  }

  // ---------------------------------------------------------------- behavior

  private final String saleId;
  private final Settings settings;
  private final TimerScheduler<Command> timers;
  private final Clock clock;
  private final ActorContext<Command> context;
  private final ActorRef<ViewChanged> views;
  private Instant expiryArmedFor;
  private Instant lastExpiry = Instant.EPOCH;
  // counted from the last snapshot, or from the end of recovery
  private long eventsSinceSnapshot;
  private long workSinceSnapshot;
  private final long startedAt = System.nanoTime();

  private Sale(String saleId, Settings settings, TimerScheduler<Command> timers, Clock clock,
      ActorContext<Command> context, ActorRef<ViewChanged> views) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), saleId),
        SupervisorStrategy.restartWithBackoff(settings.backoffMin(), settings.backoffMax(), settings.backoffRandomFactor()));
    this.saleId = saleId;
    this.settings = settings;
    this.timers = timers;
    this.clock = clock;
    this.context = context;
    this.views = views;
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(tagFor(saleId));
  }

  /** Old snapshots are deleted by the snapshot store, which keeps the newest few (persistence.conf). */
  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.disabled();
  }

  /** See {@link Settings}: after enough events, and once the work a recovery would replay is a share of the sale. */
  @Override
  public boolean shouldSnapshot(State state, Event event, long sequenceNr) {
    eventsSinceSnapshot++;
    if (event instanceof ReservationsPlaced e) workSinceSnapshot += e.reservations().size();
    else if (event instanceof ReservationsExpired e) workSinceSnapshot += e.reservationIds().size();
    else if (event instanceof PaymentConfirmed || event instanceof PaymentFailed || event instanceof ReservationCancelled)
      workSinceSnapshot++;
    if (eventsSinceSnapshot < settings.snapshotEvery()
        || workSinceSnapshot < settings.snapshotAfterShare() * state.ledger().size()) return false;
    eventsSinceSnapshot = 0;
    workSinceSnapshot = 0;
    return true;
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        return state.frozen();
      }

      @Override
      public State fromJournal(Object from) {
        return ((State) from).thawed();
      }
    };
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), state -> {
      if (state.lifecycle() != Lifecycle.NEW) {
        // a sale starts on a node once per life there (start, failover): operators see where and how long
        context.getLog().info("sale {} recovered in {} ms: {} reservations, {}", saleId,
            (System.nanoTime() - startedAt) / 1_000_000, state.ledger().size(), state.lifecycle());
      }
      armExpiry(state);
      publishView(state);
    }).build();
  }

  /** One builder per lifecycle, as in Pekko's shopping-cart sample: not defined yet, closed, and defined. */
  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();
    notDefined(builder.forState(s -> s.lifecycle() == Lifecycle.NEW));
    closed(builder.forState(s -> s.lifecycle() == Lifecycle.CLOSED));
    defined(builder.forAnyState());
    return builder.build();
  }

  /** No sale with this id: it can be defined; everything else is "not found". */
  private void notDefined(CommandHandlerWithReplyBuilderByState<Command, Event, State, State> when) {
    when.onCommand(Define.class, this::onDefine)
        .onCommand(GetStatus.class, this::onGetStatus)
        .onCommand(GetBuyerReservations.class, (s, c) -> Effect().reply(c.replyTo(), new BuyerReservations(List.of())))
        .onCommand(ExpireHolds.class, (s, c) -> Effect().noReply())
        .onAnyCommand(c -> reject(c, Reason.SALE_NOT_FOUND, "no sale " + saleId));
  }

  /** Closed for good: its reservations are still served, its lifecycle and stock no longer change. */
  private void closed(CommandHandlerWithReplyBuilderByState<Command, Event, State, State> when) {
    when.onCommand(Close.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s.status(saleId, now()))))
        .onCommand(Define.class, c -> reject(c, Reason.CLOSED, "sale is closed"))
        .onCommand(Open.class, c -> reject(c, Reason.CLOSED, "sale is closed"))
        .onCommand(Pause.class, c -> reject(c, Reason.CLOSED, "sale is closed"))
        .onCommand(AddStock.class, c -> reject(c, Reason.CLOSED, "sale is closed"));
  }

  /** Scheduled, open or paused (and what a closed sale still answers): each handler checks the phase it needs. */
  private void defined(CommandHandlerWithReplyBuilderByState<Command, Event, State, State> when) {
    when.onCommand(Define.class, this::onDefine)
        .onCommand(Open.class, this::onOpen)
        .onCommand(Pause.class, this::onPause)
        .onCommand(Close.class, this::onClose)
        .onCommand(AddStock.class, this::onAddStock)
        .onCommand(ReserveBatch.class, this::onReserveBatch)
        .onCommand(ConfirmPayment.class, this::onConfirmPayment)
        .onCommand(FailPayment.class, this::onFailPayment)
        .onCommand(Cancel.class, this::onCancel)
        .onCommand(GetReservation.class, this::onGetReservation)
        .onCommand(GetStatus.class, this::onGetStatus)
        .onCommand(GetBuyerReservations.class, this::onGetBuyerReservations)
        .onCommand(ExpireHolds.class, this::onExpireHolds);
  }

  private ReplyEffect<Event, State> onDefine(State state, Define cmd) {
    Instant now = now();
    Optional<String> problem = cmd.definition().problem(now);
    if (problem.isPresent()) return Effect().reply(cmd.replyTo(), new Rejected(Reason.INVALID_DEFINITION, problem.get()));
    if (state.lifecycle() != Lifecycle.NEW && state.phase(now) != Phase.UPCOMING)
      return Effect().reply(cmd.replyTo(), new Rejected(Reason.ALREADY_STARTED, "a sale can only be changed before it opens"));
    if (cmd.definition().equals(state.definition()))
      return Effect().reply(cmd.replyTo(), new Accepted(state.status(saleId, now)));
    return persist(new SaleDefined(cmd.definition(), now))
        .thenReply(cmd.replyTo(), s -> new Accepted(s.status(saleId, now)));
  }

  private ReplyEffect<Event, State> onOpen(State state, Open cmd) {
    Instant now = now();
    Phase phase = state.phase(now);
    if (phase == Phase.ENDED) return Effect().reply(cmd.replyTo(), new Rejected(Reason.ENDED, "sale has ended"));
    if (state.lifecycle() == Lifecycle.OPEN) return Effect().reply(cmd.replyTo(), new Accepted(state.status(saleId, now)));
    return persist(new SaleOpened(now)).thenReply(cmd.replyTo(), s -> new Accepted(s.status(saleId, now)));
  }

  private ReplyEffect<Event, State> onPause(State state, Pause cmd) {
    Instant now = now();
    if (state.lifecycle() == Lifecycle.PAUSED) return Effect().reply(cmd.replyTo(), new Accepted(state.status(saleId, now)));
    return persist(new SalePaused(now)).thenReply(cmd.replyTo(), s -> new Accepted(s.status(saleId, now)));
  }

  private ReplyEffect<Event, State> onClose(State state, Close cmd) {
    Instant now = now();
    return persist(new SaleClosed(now)).thenReply(cmd.replyTo(), s -> new Accepted(s.status(saleId, now)));
  }

  private ReplyEffect<Event, State> onAddStock(State state, AddStock cmd) {
    Instant now = now();
    if (cmd.units() <= 0 || (long) state.stock() + cmd.units() > Definition.MAX_STOCK)
      return Effect().reply(cmd.replyTo(), new Rejected(Reason.INVALID_STOCK,
          "units must be positive and total stock at most " + Definition.MAX_STOCK));
    return persist(new StockAdded(cmd.units(), now)).thenReply(cmd.replyTo(), s -> new Accepted(s.status(saleId, now)));
  }

  private ReplyEffect<Event, State> onReserveBatch(State state, ReserveBatch batch) {
    Instant now = now();
    Definition def = state.definition();
    Phase phase = state.phase(now);
    List<Reservation> placed = new ArrayList<>();
    Map<String, Reservation> placedByRequest = new HashMap<>();
    Map<String, Integer> batchUnits = new HashMap<>();
    Map<String, Integer> batchReservations = new HashMap<>();
    Set<String> batchIds = new HashSet<>();
    List<Runnable> replies = new ArrayList<>(batch.requests().size());
    int available = state.available();

    for (Reserve r : batch.requests()) {
      Optional<Reservation> earlier = state.byRequest(r.buyer(), r.requestId());
      Reservation sameBatch = placedByRequest.get(r.buyer() + '\n' + r.requestId());
      if (earlier.isPresent() || sameBatch != null) {
        Reservation first = earlier.orElse(sameBatch);
        replies.add(() -> r.replyTo().tell(new Reserved(first, true)));
        continue;
      }
      Rejected rejected = null;
      if (r.quantity() <= 0) {
        rejected = new Rejected(Reason.INVALID_QUANTITY, "quantity must be at least 1");
      } else if (phase != Phase.OPEN) {
        rejected = refusalFor(phase);
      } else if (r.quantity() > def.perBuyerLimit()) {
        rejected = new Rejected(Reason.INVALID_QUANTITY, "quantity is above the limit of " + def.perBuyerLimit() + " per buyer");
      } else if (state.unitsOf(r.buyer()) + batchUnits.getOrDefault(r.buyer(), 0) + r.quantity() > def.perBuyerLimit()) {
        rejected = new Rejected(Reason.LIMIT_REACHED, "limit of " + def.perBuyerLimit() + " per buyer reached");
      } else if (state.reservationsOf(r.buyer()) + batchReservations.getOrDefault(r.buyer(), 0)
          >= settings.maxReservationsPerBuyer()) {
        rejected = new Rejected(Reason.TOO_MANY_RESERVATIONS,
            "at most " + settings.maxReservationsPerBuyer() + " reservations per buyer in one sale, ended ones included");
      } else if (available < r.quantity()) {
        rejected = new Rejected(Reason.SOLD_OUT, available == 0 ? "sold out" : "only " + available + " left");
      }
      if (rejected != null) {
        Rejected answer = rejected;
        replies.add(() -> r.replyTo().tell(answer));
        continue;
      }
      ReservationStatus status = switch (def.mode()) {
        case ON_ORDER -> ReservationStatus.CONFIRMED;
        case HOLD -> ReservationStatus.HELD;
        case ON_PAYMENT -> ReservationStatus.PENDING_PAYMENT;
      };
      // ON_PAYMENT orders take no stock, but never more orders per buyer than the limit allows
      if (def.mode() != DeductionMode.ON_PAYMENT) available -= r.quantity();
      Instant expiresAt = def.mode() == DeductionMode.ON_ORDER ? null : now.plus(def.hold());
      Reservation reservation = new Reservation(
          newReservationId(state, batchIds), r.buyer(), r.requestId(), r.quantity(), status, now, expiresAt, null);
      placed.add(reservation);
      placedByRequest.put(r.buyer() + '\n' + r.requestId(), reservation);
      batchUnits.merge(r.buyer(), r.quantity(), Integer::sum);
      batchReservations.merge(r.buyer(), 1, Integer::sum);
      replies.add(() -> r.replyTo().tell(new Reserved(reservation, false)));
    }

    if (placed.isEmpty()) return Effect().none().thenRun(s -> replies.forEach(Runnable::run)).thenNoReply();
    List<Event> events = new ArrayList<>(2);
    events.add(new ReservationsPlaced(List.copyOf(placed), now));
    if (state.available() > 0 && available == 0) events.add(new SaleSoldOut(now));
    return persist(events)
        .thenRun(s -> {
          replies.forEach(Runnable::run);
          armExpiry(s);
        })
        .thenNoReply();
  }

  /** Why a reserve is refused in a phase other than OPEN; the edge answers early with the same. */
  public static Rejected refusalFor(Phase phase) {
    return switch (phase) {
      case NOT_DEFINED -> new Rejected(Reason.SALE_NOT_FOUND, "no such sale");
      case UPCOMING -> new Rejected(Reason.NOT_OPEN, "sale has not opened yet");
      case PAUSED -> new Rejected(Reason.PAUSED, "sale is paused");
      case ENDED -> new Rejected(Reason.ENDED, "sale has ended");
      case CLOSED -> new Rejected(Reason.CLOSED, "sale is closed");
      case OPEN -> throw new IllegalArgumentException("sale is open");
    };
  }

  private String newReservationId(State state, Set<String> batchIds) {
    while (true) {
      String id = saleId + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
      if (!state.ledger().contains(id) && batchIds.add(id)) return id;
    }
  }

  private ReplyEffect<Event, State> onConfirmPayment(State state, ConfirmPayment cmd) {
    Instant now = now();
    Reservation r = state.reservation(cmd.reservationId());
    if (r == null) return Effect().reply(cmd.replyTo(), notFound(cmd.reservationId()));
    if (r.dueAt(now)) return expireAndReject(r, cmd.replyTo(), now);
    return switch (r.status()) {
      case PAID -> r.paymentId().equals(cmd.paymentId())
          ? Effect().reply(cmd.replyTo(), new ReservationResult(r))
          : Effect().reply(cmd.replyTo(), new Rejected(Reason.ALREADY_PAID, "reservation was paid by another payment"));
      case CANCELLED -> Effect().reply(cmd.replyTo(), new Rejected(Reason.RESERVATION_CANCELLED, "reservation was cancelled"));
      case EXPIRED -> Effect().reply(cmd.replyTo(), new Rejected(Reason.RESERVATION_EXPIRED, "reservation has expired"));
      case PAYMENT_FAILED -> Effect().reply(cmd.replyTo(), new Rejected(Reason.PAYMENT_FAILED, "payment already failed"));
      case PENDING_PAYMENT -> state.available() < r.quantity()
          ? persist(new PaymentFailed(r.id(), cmd.paymentId(), now))
              .thenReply(cmd.replyTo(), s -> new Rejected(Reason.PAYMENT_FAILED, "sold out before payment"))
          : paid(state, r, cmd, now);
      case HELD, CONFIRMED -> paid(state, r, cmd, now);
    };
  }

  private ReplyEffect<Event, State> paid(State state, Reservation r, ConfirmPayment cmd, Instant now) {
    Event confirmed = new PaymentConfirmed(r.id(), cmd.paymentId(), now);
    // ON_PAYMENT takes its units only now: the payment that takes the last one also sells the sale out
    boolean takesLast = r.status() == ReservationStatus.PENDING_PAYMENT && state.available() == r.quantity();
    return persist(takesLast ? List.of(confirmed, new SaleSoldOut(now)) : List.of(confirmed))
        .thenReply(cmd.replyTo(), s -> new ReservationResult(s.reservation(r.id())));
  }

  private ReplyEffect<Event, State> onFailPayment(State state, FailPayment cmd) {
    Instant now = now();
    Reservation r = state.reservation(cmd.reservationId());
    if (r == null) return Effect().reply(cmd.replyTo(), notFound(cmd.reservationId()));
    if (r.dueAt(now)) return expireAndReject(r, cmd.replyTo(), now);
    return switch (r.status()) {
      case HELD, PENDING_PAYMENT -> persist(new PaymentFailed(r.id(), cmd.paymentId(), now))
          .thenReply(cmd.replyTo(), s -> new ReservationResult(s.reservation(r.id())));
      case PAYMENT_FAILED -> cmd.paymentId().equals(r.paymentId())
          ? Effect().reply(cmd.replyTo(), new ReservationResult(r))
          : Effect().reply(cmd.replyTo(), new Rejected(Reason.PAYMENT_FAILED, "payment already failed"));
      case PAID -> Effect().reply(cmd.replyTo(), new Rejected(Reason.ALREADY_PAID, "reservation is paid"));
      case CANCELLED -> Effect().reply(cmd.replyTo(), new Rejected(Reason.RESERVATION_CANCELLED, "reservation was cancelled"));
      case EXPIRED -> Effect().reply(cmd.replyTo(), new Rejected(Reason.RESERVATION_EXPIRED, "reservation has expired"));
      case CONFIRMED -> Effect().reply(cmd.replyTo(), new Rejected(Reason.NOT_CANCELLABLE,
          "an ON_ORDER reservation keeps its unit; a failed payment is settled by the order system"));
    };
  }

  private ReplyEffect<Event, State> onCancel(State state, Cancel cmd) {
    Instant now = now();
    Reservation r = state.reservation(cmd.reservationId());
    if (r == null || (cmd.buyer() != null && !cmd.buyer().equals(r.buyer())))
      return Effect().reply(cmd.replyTo(), notFound(cmd.reservationId()));
    if (r.dueAt(now)) return expireAndReject(r, cmd.replyTo(), now);
    return switch (r.status()) {
      case HELD, PENDING_PAYMENT -> persist(new ReservationCancelled(r.id(), now))
          .thenReply(cmd.replyTo(), s -> new ReservationResult(s.reservation(r.id())));
      case CANCELLED -> Effect().reply(cmd.replyTo(), new ReservationResult(r));
      case EXPIRED -> Effect().reply(cmd.replyTo(), new Rejected(Reason.RESERVATION_EXPIRED, "reservation has expired"));
      case CONFIRMED, PAID, PAYMENT_FAILED -> Effect().reply(cmd.replyTo(),
          new Rejected(Reason.NOT_CANCELLABLE, "a " + r.status() + " reservation cannot be cancelled"));
    };
  }

  /** A deadline passed before the timer fired: expire now, so a late payment never sells a returned unit. */
  private ReplyEffect<Event, State> expireAndReject(Reservation r, ActorRef<ReservationReply> replyTo, Instant now) {
    return persist(new ReservationsExpired(List.of(r.id()), now))
        .thenRun(this::armExpiry)
        .thenReply(replyTo, s -> new Rejected(Reason.RESERVATION_EXPIRED, "reservation has expired"));
  }

  private ReplyEffect<Event, State> onGetReservation(State state, GetReservation cmd) {
    Reservation r = state.reservation(cmd.reservationId());
    if (r == null || (cmd.buyer() != null && !cmd.buyer().equals(r.buyer())))
      return Effect().reply(cmd.replyTo(), notFound(cmd.reservationId()));
    return Effect().reply(cmd.replyTo(), new ReservationResult(r));
  }

  private ReplyEffect<Event, State> onGetStatus(State state, GetStatus cmd) {
    return Effect().reply(cmd.replyTo(), state.status(saleId, now()));
  }

  private ReplyEffect<Event, State> onGetBuyerReservations(State state, GetBuyerReservations cmd) {
    if (state.reservationsOf(cmd.buyer()) == 0) return Effect().reply(cmd.replyTo(), new BuyerReservations(List.of()));
    return Effect().reply(cmd.replyTo(), new BuyerReservations(List.copyOf(state.ledger().ofBuyer(cmd.buyer()))));
  }

  private ReplyEffect<Event, State> onExpireHolds(State state, ExpireHolds cmd) {
    Instant now = now();
    expiryArmedFor = null;
    lastExpiry = now;
    List<String> due = state.dueAt(now);
    if (due.isEmpty()) {
      armExpiry(state);
      return Effect().noReply();
    }
    return persist(new ReservationsExpired(due, now)).thenRun(this::armExpiry).thenNoReply();
  }

  /** Keeps one timer on the earliest deadline, at most one firing per expiry tick. */
  private void armExpiry(State state) {
    Optional<Instant> next = state.earliestDeadline();
    if (next.isEmpty()) {
      timers.cancel(EXPIRY_TIMER);
      expiryArmedFor = null;
      return;
    }
    if (expiryArmedFor != null && !next.get().isBefore(expiryArmedFor)) return;
    Instant fireAt = next.get().isBefore(lastExpiry.plus(settings.expiryTick()))
        ? lastExpiry.plus(settings.expiryTick())
        : next.get();
    Duration delay = Duration.between(now(), fireAt);
    timers.startSingleTimer(EXPIRY_TIMER, ExpireHolds.INSTANCE, delay.isNegative() ? Duration.ZERO : delay);
    expiryArmedFor = fireAt;
  }

  /** Every write goes through here, so the views learn about every change once it is in the journal. */
  private EffectBuilder<Event, State> persist(Event event) {
    return Effect().persist(event).thenRun(this::publishView);
  }

  /** Several events in one atomic write. */
  private EffectBuilder<Event, State> persist(List<Event> events) {
    return Effect().persist(events).thenRun(this::publishView);
  }

  private void publishView(State state) {
    if (state.definition() == null) return;
    views.tell(new ViewChanged(saleId, state.definition(), state.lifecycle(), state.available(), state.sold(),
        state.held(), lastSequenceNumber(context)));
  }

  /** Refuses {@code cmd} without changing anything; the command knows who waits for the answer. */
  private ReplyEffect<Event, State> reject(Command cmd, Reason reason, String message) {
    Rejected rejected = new Rejected(reason, message);
    return Effect().none().thenRun(s -> cmd.refuse(rejected)).thenNoReply();
  }

  private static Rejected notFound(String reservationId) {
    return new Rejected(Reason.RESERVATION_NOT_FOUND, "no reservation " + reservationId);
  }

  private Instant now() {
    return clock.instant();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(SaleDefined.class, (s, e) -> s.defined(e.definition()))
        .onEvent(SaleOpened.class, (s, e) -> s.withLifecycle(Lifecycle.OPEN))
        .onEvent(SalePaused.class, (s, e) -> s.withLifecycle(Lifecycle.PAUSED))
        .onEvent(SaleClosed.class, (s, e) -> s.withLifecycle(Lifecycle.CLOSED))
        .onEvent(StockAdded.class, (s, e) -> s.stockAdded(e.units()))
        .onEvent(ReservationsPlaced.class, (s, e) -> s.placed(e.reservations()))
        .onEvent(PaymentConfirmed.class, (s, e) -> s.paid(e.reservationId(), e.paymentId()))
        .onEvent(PaymentFailed.class, (s, e) -> s.released(e.reservationId(), ReservationStatus.PAYMENT_FAILED, e.paymentId()))
        .onEvent(SaleSoldOut.class, (s, e) -> s)
        .onEvent(ReservationCancelled.class, (s, e) -> s.released(e.reservationId(), ReservationStatus.CANCELLED))
        .onEvent(ReservationsExpired.class, (s, e) -> s.expired(e.reservationIds()))
        .build();
  }
}
