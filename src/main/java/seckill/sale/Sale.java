package seckill.sale;

import java.time.Clock;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import seckill.journal.VerifiedAllocation;
import seckill.sale.SaleState.Lifecycle;
import seckill.serialization.CborSerializable;

/**
 * One flash sale, sharded by sale id. It guards {@code available >= 0},
 * {@code sold + held + available == stock}, units per buyer {@code <= limit}, and answers a
 * reservation only after the event holding it is persisted.
 */
public final class Sale extends EventSourcedBehaviorWithEnforcedReplies<Sale.Command, Sale.Event, SaleState> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Sale");

  /** Fixed list: projections run one instance per tag, so changing it needs a migration. */
  public static final List<String> TAGS = List.of("sale-0", "sale-1", "sale-2", "sale-3");

  /** Starts sharding for sales; each entity tells {@code views} how it looks after every change. */
  public static void init(ActorSystem<?> system, ActorRef<ViewChanged> views) {
    SaleSettings settings = SaleSettings.fromConfig(system.settings().config().getConfig("seckill.sale"));
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), settings, views))
            .withAllocationStrategy(new VerifiedAllocation(system)));
  }

  public static Behavior<Command> create(String saleId, SaleSettings settings, ActorRef<ViewChanged> views) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new Sale(saleId, settings, timers, Clock.systemUTC(), ctx, views)));
  }

  public static String tagFor(String saleId) {
    return TAGS.get(Math.floorMod(saleId.hashCode(), TAGS.size()));
  }

  /** Why a command was refused; the HTTP layer maps each to one status code. */
  public enum Reason {
    SALE_NOT_FOUND, INVALID_DEFINITION, ALREADY_STARTED, NOT_OPEN, PAUSED, ENDED, CLOSED,
    SOLD_OUT, LIMIT_REACHED, INVALID_QUANTITY, INVALID_STOCK, RESERVATION_NOT_FOUND, ADMISSION_USED,
    NOT_CANCELLABLE, RESERVATION_EXPIRED, RESERVATION_CANCELLED, ALREADY_PAID, PAYMENT_FAILED, TOO_MANY_RESERVATIONS
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
  public record Define(SaleDefinition definition, ActorRef<Confirmation> replyTo) implements Refusable {}
  public record Open(ActorRef<Confirmation> replyTo) implements Refusable {}
  public record Pause(ActorRef<Confirmation> replyTo) implements Refusable {}
  public record Close(ActorRef<Confirmation> replyTo) implements Refusable {}
  public record AddStock(int units, ActorRef<Confirmation> replyTo) implements Refusable {}

  /** One buyer's request in a {@link ReserveBatch}; {@code replyTo} null: the batch is answered whole;
   * {@code admission}: the rank of the waiting-room admission it came in on, null when the sale has no room. */
  public record Reserve(String buyer, String requestId, int quantity, ActorRef<ReserveReply> replyTo, Long admission)
      implements CborSerializable {
    public Reserve(String buyer, String requestId, int quantity, ActorRef<ReserveReply> replyTo) {
      this(buyer, requestId, quantity, replyTo, null);
    }
  }

  /** Many reserves, one persisted event for the accepted ones; answered whole to {@code answerTo}, else one reply each. */
  public record ReserveBatch(List<Reserve> requests, ActorRef<ReservesAnswered> answerTo) implements Command {
    /** Every request of the batch is refused alike. */
    @Override
    public void refuse(Rejected rejected) {
      ReserveBatchDecider.answer(this, Collections.nCopies(requests.size(), rejected));
    }
  }

  public record ConfirmPayment(String reservationId, String paymentId, ActorRef<ReservationReply> replyTo) implements Refusable {}

  /** The payment system reports a failed payment: a reservation waiting for payment ends and its units go back. */
  public record FailPayment(String reservationId, String paymentId, ActorRef<ReservationReply> replyTo) implements Refusable {}

  /** Cancel a reservation; {@code buyer} is null when an operator cancels. */
  public record Cancel(String reservationId, String buyer, ActorRef<ReservationReply> replyTo) implements Refusable {}

  /** Look a reservation up; {@code buyer} is null when an operator asks. */
  public record GetReservation(String reservationId, String buyer, ActorRef<ReservationReply> replyTo) implements Refusable {}

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
  public record Rejected(Reason reason, String message) implements Confirmation, ReserveReply, ReservationReply {}
  /** The answers to one {@link ReserveBatch}, in its requests' order: one message for the whole batch. */
  public record ReservesAnswered(List<ReserveAnswer> answers) implements CborSerializable {}

  public record Status(String saleId, SaleDefinition definition, SalePhase phase, int stock, int available, int held,
      int sold, int pending, int reservations, int buyers, int topBuyerUnits, Instant serverTime) implements CborSerializable {}

  /** How the sale looks after a change, told to the node's {@link SaleViews}; the newer {@code version} wins. */
  public record ViewChanged(String saleId, SaleDefinition definition, Lifecycle lifecycle, int available, int sold,
      int held, long version) implements CborSerializable {}

  // ---------------------------------------------------------------- events

  public sealed interface Event extends CborSerializable {}

  public record SaleDefined(SaleDefinition definition, Instant at) implements Event {}
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
  /** The admissions a reserve batch used, placed or refused: each is taken, by its first request, for good. */
  public record AdmissionsUsed(List<AdmissionUse> uses, Instant at) implements Event {}

  // ---------------------------------------------------------------- behavior

  private final String saleId;
  private final SaleSettings settings;
  private final Clock clock;
  private final ActorContext<Command> context;
  private final ActorRef<ViewChanged> views;
  private final ExpiryTimer expiry;
  private final SnapshotCadence snapshots;
  private final long startedAt = System.nanoTime();

  private Sale(String saleId, SaleSettings settings, TimerScheduler<Command> timers, Clock clock,
      ActorContext<Command> context, ActorRef<ViewChanged> views) {
    super(PersistenceId.of(ENTITY_KEY.name(), saleId), SupervisorStrategy.restartWithBackoff(
        settings.backoffMin(), settings.backoffMax(), settings.backoffRandomFactor()));
    this.saleId = saleId;
    this.settings = settings;
    this.clock = clock;
    this.context = context;
    this.views = views;
    this.expiry = new ExpiryTimer(timers, settings.expiryTick(), clock);
    this.snapshots = new SnapshotCadence(settings.snapshotEvery(), settings.snapshotAfterShare());
  }

  @Override
  public SaleState emptyState() {
    return SaleState.empty();
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(tagFor(saleId));
  }

  @Override
  public boolean shouldSnapshot(SaleState state, Event event, long sequenceNr) {
    return snapshots.due(event, state.ledger().size());
  }

  @Override
  public SnapshotAdapter<SaleState> snapshotAdapter() {
    return SaleStateSerializer.SNAPSHOTS;
  }

  @Override
  public SignalHandler<SaleState> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), state -> {
      if (state.lifecycle() != Lifecycle.NEW) {
        // a sale starts on a node once per life there (start, failover): operators see where and how long
        context.getLog().info("sale {} recovered in {} ms: {} reservations, {}", saleId,
            (System.nanoTime() - startedAt) / 1_000_000, state.ledger().size(), state.lifecycle());
      }
      expiry.arm(state);
      publishView(state);
    }).build();
  }

  /** One builder per lifecycle, as in Pekko's shopping-cart sample: not defined yet, closed, and defined. */
  @Override
  public CommandHandlerWithReply<Command, Event, SaleState> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, SaleState> builder = newCommandHandlerWithReplyBuilder();
    notDefined(builder.forState(s -> s.lifecycle() == Lifecycle.NEW));
    closed(builder.forState(s -> s.lifecycle() == Lifecycle.CLOSED));
    defined(builder.forAnyState());
    return builder.build();
  }

  /** No sale with this id: it can be defined; everything else is "not found". */
  private void notDefined(CommandHandlerWithReplyBuilderByState<Command, Event, SaleState, SaleState> when) {
    when.onCommand(Define.class, this::onDefine)
        .onCommand(GetStatus.class, (s, c) -> Effect().reply(c.replyTo(), s.status(saleId, now())))
        .onCommand(GetBuyerReservations.class, (s, c) -> Effect().reply(c.replyTo(), new BuyerReservations(List.of())))
        .onCommand(ExpireHolds.class, (s, c) -> Effect().noReply())
        .onAnyCommand(c -> reject(c, Reason.SALE_NOT_FOUND, "no sale " + saleId));
  }

  /** Closed for good: its reservations are still served, its lifecycle and stock no longer change. */
  private void closed(CommandHandlerWithReplyBuilderByState<Command, Event, SaleState, SaleState> when) {
    when.onCommand(Close.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s.status(saleId, now()))))
        .onCommand(Define.class, c -> reject(c, Reason.CLOSED, "sale is closed"))
        .onCommand(Open.class, c -> reject(c, Reason.CLOSED, "sale is closed"))
        .onCommand(Pause.class, c -> reject(c, Reason.CLOSED, "sale is closed"))
        .onCommand(AddStock.class, c -> reject(c, Reason.CLOSED, "sale is closed"));
  }

  /** Scheduled, open or paused (and what a closed sale still answers): each handler checks the phase it needs. */
  private void defined(CommandHandlerWithReplyBuilderByState<Command, Event, SaleState, SaleState> when) {
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
        .onCommand(GetStatus.class, (s, c) -> Effect().reply(c.replyTo(), s.status(saleId, now())))
        .onCommand(GetBuyerReservations.class, (s, c) -> Effect().reply(c.replyTo(), new BuyerReservations(s.ofBuyer(c.buyer()))))
        .onCommand(ExpireHolds.class, this::onExpireHolds);
  }

  private ReplyEffect<Event, SaleState> onDefine(SaleState state, Define cmd) {
    Instant now = now();
    Optional<String> problem = cmd.definition().problem(now);
    if (problem.isPresent()) return Effect().reply(cmd.replyTo(), new Rejected(Reason.INVALID_DEFINITION, problem.get()));
    // the same definition again (a client resending its PUT) is answered as the first one was, in any phase
    if (cmd.definition().equals(state.definition())) return Effect().reply(cmd.replyTo(), new Accepted(state.status(saleId, now)));
    if (state.lifecycle() != Lifecycle.NEW && state.phase(now) != SalePhase.UPCOMING)
      return Effect().reply(cmd.replyTo(), new Rejected(Reason.ALREADY_STARTED, "a sale can only be changed before it opens"));
    return persist(new SaleDefined(cmd.definition(), now))
        .thenReply(cmd.replyTo(), s -> new Accepted(s.status(saleId, now)));
  }

  private ReplyEffect<Event, SaleState> onOpen(SaleState state, Open cmd) {
    Instant now = now();
    if (state.phase(now) == SalePhase.ENDED) return Effect().reply(cmd.replyTo(), new Rejected(Reason.ENDED, "sale has ended"));
    if (state.lifecycle() == Lifecycle.OPEN) return Effect().reply(cmd.replyTo(), new Accepted(state.status(saleId, now)));
    return persist(new SaleOpened(now)).thenReply(cmd.replyTo(), s -> new Accepted(s.status(saleId, now)));
  }

  private ReplyEffect<Event, SaleState> onPause(SaleState state, Pause cmd) {
    Instant now = now();
    if (state.lifecycle() == Lifecycle.PAUSED) return Effect().reply(cmd.replyTo(), new Accepted(state.status(saleId, now)));
    return persist(new SalePaused(now)).thenReply(cmd.replyTo(), s -> new Accepted(s.status(saleId, now)));
  }

  private ReplyEffect<Event, SaleState> onClose(SaleState state, Close cmd) {
    Instant now = now();
    return persist(new SaleClosed(now)).thenReply(cmd.replyTo(), s -> new Accepted(s.status(saleId, now)));
  }

  private ReplyEffect<Event, SaleState> onAddStock(SaleState state, AddStock cmd) {
    Instant now = now();
    if (cmd.units() <= 0 || (long) state.stock() + cmd.units() > SaleDefinition.MAX_STOCK)
      return Effect().reply(cmd.replyTo(), new Rejected(Reason.INVALID_STOCK,
          "units must be positive and total stock at most " + SaleDefinition.MAX_STOCK));
    return persist(new StockAdded(cmd.units(), now)).thenReply(cmd.replyTo(), s -> new Accepted(s.status(saleId, now)));
  }

  /** Decides every request, persists the placed ones in one event, and answers only once it is written. */
  private ReplyEffect<Event, SaleState> onReserveBatch(SaleState state, ReserveBatch batch) {
    Instant now = now();
    ReserveBatchDecider decider = new ReserveBatchDecider(saleId, state, now, settings.maxReservationsPerBuyer());
    decider.decide(batch);
    List<Event> events = decider.events();
    if (events.isEmpty()) return Effect().none().thenRun(s -> decider.answer()).thenNoReply();
    return persist(events).thenRun(s -> decider.answer()).thenRun(expiry::arm).thenNoReply();
  }

  private ReplyEffect<Event, SaleState> onConfirmPayment(SaleState state, ConfirmPayment cmd) {
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

  private ReplyEffect<Event, SaleState> paid(SaleState state, Reservation r, ConfirmPayment cmd, Instant now) {
    Event confirmed = new PaymentConfirmed(r.id(), cmd.paymentId(), now);
    // ON_PAYMENT takes its units only now: the payment that takes the last one also sells the sale out
    boolean takesLast = r.status() == ReservationStatus.PENDING_PAYMENT && state.available() == r.quantity();
    return persist(takesLast ? List.of(confirmed, new SaleSoldOut(now)) : List.of(confirmed))
        .thenReply(cmd.replyTo(), s -> new ReservationResult(s.reservation(r.id())));
  }

  private ReplyEffect<Event, SaleState> onFailPayment(SaleState state, FailPayment cmd) {
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

  private ReplyEffect<Event, SaleState> onCancel(SaleState state, Cancel cmd) {
    Instant now = now();
    Reservation r = state.reservation(cmd.reservationId(), cmd.buyer());
    if (r == null) return Effect().reply(cmd.replyTo(), notFound(cmd.reservationId()));
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
  private ReplyEffect<Event, SaleState> expireAndReject(Reservation r, ActorRef<ReservationReply> replyTo, Instant now) {
    return persist(new ReservationsExpired(List.of(r.id()), now))
        .thenRun(expiry::arm)
        .thenReply(replyTo, s -> new Rejected(Reason.RESERVATION_EXPIRED, "reservation has expired"));
  }

  private ReplyEffect<Event, SaleState> onGetReservation(SaleState state, GetReservation cmd) {
    Reservation r = state.reservation(cmd.reservationId(), cmd.buyer());
    if (r == null) return Effect().reply(cmd.replyTo(), notFound(cmd.reservationId()));
    return Effect().reply(cmd.replyTo(), new ReservationResult(r));
  }

  private ReplyEffect<Event, SaleState> onExpireHolds(SaleState state, ExpireHolds cmd) {
    Instant now = now();
    expiry.fired(now);
    List<String> due = state.dueAt(now, ExpiryTimer.MAX_PER_EVENT);
    if (due.isEmpty()) return Effect().none().thenRun(expiry::arm).thenNoReply();
    return persist(new ReservationsExpired(due, now)).thenRun(expiry::arm).thenNoReply();
  }

  /** Every write goes through here, so the views learn about every change once it is in the journal. */
  private EffectBuilder<Event, SaleState> persist(Event event) {
    return Effect().persist(event).thenRun(this::publishView);
  }

  /** Several events in one atomic write. */
  private EffectBuilder<Event, SaleState> persist(List<Event> events) {
    return Effect().persist(events).thenRun(this::publishView);
  }

  private void publishView(SaleState state) {
    if (state.definition() == null) return;
    views.tell(state.viewChanged(saleId, lastSequenceNumber(context)));
  }

  /** Refuses {@code cmd} without changing anything; the command knows who waits for the answer. */
  private ReplyEffect<Event, SaleState> reject(Command cmd, Reason reason, String message) {
    return Effect().none().thenRun(s -> cmd.refuse(new Rejected(reason, message))).thenNoReply();
  }

  private static Rejected notFound(String reservationId) {
    return new Rejected(Reason.RESERVATION_NOT_FOUND, "no reservation " + reservationId);
  }

  private Instant now() {
    return clock.instant();
  }

  @Override
  public EventHandler<SaleState, Event> eventHandler() {
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
        .onEvent(ReservationCancelled.class, (s, e) -> s.released(e.reservationId(), ReservationStatus.CANCELLED, null))
        .onEvent(ReservationsExpired.class, (s, e) -> s.expired(e.reservationIds()))
        .onEvent(AdmissionsUsed.class, (s, e) -> s.admissionsUsed(e.uses()))
        .build();
  }
}
