package seckill.waitingroom;

import com.typesafe.config.Config;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import seckill.journal.VerifiedAllocation;
import seckill.sale.WaitingRoomPolicy;
import seckill.serialization.CborSerializable;

/**
 * One sale's line, sharded by sale id: the single counter its places come from and the pace at which
 * they are let in. It persists only what must survive a crash: how far places were leased (none is
 * given twice), the opening (where the pre-queue ends, the key that shuffles it), how far it
 * admitted, the places taken out (left or revoked: none comes back) and the void places desks
 * reported (none is let in after a restart). Desks lease places in
 * blocks, so joins never queue here; every tick it admits the next ranks at {@code admitPerSecond},
 * never more than {@code maxActive} not yet done, and tells every node where it stands
 * ({@link LineView}). Ranks are the order of admission: a place's own number,
 * shuffled ({@link Shuffle}) within a pre-queue that asks for it; void places (leased, never given
 * out, or taken out before their turn) are skipped ({@link PlacesOut}).
 */
public final class WaitingLine extends EventSourcedBehavior<WaitingLine.Command, WaitingLine.Event, WaitingLine.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "WaitingLine");

  /** Most ranks looked at in one tick, so a long run of void places never stalls the line. */
  static final int MAX_SCAN_PER_TICK = 1_000_000;

  // ---------------------------------------------------------------- protocol

  public sealed interface Command extends CborSerializable {}

  /**
   * A desk asks for {@code size} places; {@code opened} when the desk's node sees the sale started
   * (so a line whose node sees it a moment later still opens, and the desk gets no pre-queue block
   * it would drop at once).
   */
  public record Lease(int size, boolean opened, ActorRef<Leased> replyTo) implements Command {}

  /** Places {@code from} (inclusive) to {@code to} (exclusive); {@code preQueue} while the sale has not opened. */
  public record Leased(long from, long to, boolean preQueue) implements CborSerializable {}

  /** A desk will not give out these places (its lease ran out): the line skips them. */
  public record Unused(long from, long to) implements Command {}

  /** These admitted ranks reserved (or were refused for good): their slots are free again. */
  public record Finished(List<Long> ranks) implements Command {}

  /** Wakes the line (after a move or restart the edge pokes it); no reply. */
  public record Wake(long atMillis) implements Command {}

  /**
   * Takes places out of the line: their buyers left, or an operator revoked them. A place not yet let
   * in is skipped when its turn comes; one let in frees its slot at once, and every node refuses its
   * admission token once it hears of it. A place already out keeps its first reason.
   */
  public record Withdraw(List<Withdrawal> withdrawals, ActorRef<Withdrawn> replyTo) implements Command {}

  /** One place out of the line and whose it was; {@code revoked} by an operator, else its buyer left. */
  public record Withdrawal(long place, String buyer, boolean revoked) implements CborSerializable {}

  /** The places asked about that are out of the line now, each with the reason in force. */
  public record Withdrawn(List<Withdrawal> out) implements CborSerializable {}

  public record GetFigures(ActorRef<Figures> replyTo) implements Command {}

  /** The line's own figures, for operators and tests. */
  public record Figures(long leasedThrough, long preQueue, long admittedThrough, long admittedSinceStart,
      long voidSkipped, int active, int finished, long abandoned) implements CborSerializable {}

  record Tick(long unused) implements Command {}

  /** Writes the leases waiting (see {@link #onLease}). */
  record FlushLeases(long unused) implements Command {}

  public sealed interface Event extends CborSerializable {}

  public record PlacesLeased(long through, boolean preQueue) implements Event {}

  /** The sale opened: places below {@code preQueue} were the pre-queue; a key of 0 keeps them in order. */
  public record LineOpened(long preQueue, long shuffleKey, Instant at) implements Event {}

  /** The sale stopped selling for {@code millis} (paused, sold out): admissions still good are good that much longer. */
  public record AdmissionsDeferred(long millis) implements Event {}

  /** Ranks below {@code through} are admitted from {@code atMillis}; admissions before {@code keepAfterMillis} are forgotten. */
  public record Admitted(long through, long atMillis, long keepAfterMillis) implements Event {}

  /** These places left the line or were revoked at {@code atMillis}. */
  public record PlacesWithdrawn(List<Withdrawal> withdrawals, long atMillis) implements Event {}

  /** A desk will not give out places {@code from} to {@code to} (exclusive): they are void. */
  public record PlacesVoided(long from, long to) implements Event {}

  /** Places {@code from} to {@code to} (exclusive) a desk left void. */
  public record VoidRange(long from, long to) implements CborSerializable {}

  /** Ranks {@code from} to {@code through} (exclusive) admitted at {@code atMillis}. */
  public record Wave(long from, long through, long atMillis) implements CborSerializable {}

  /**
   * {@code out}: the places taken out of the line ({@link Withdraw}) and {@code voids}: the void places
   * desks reported ({@link Unused}), each while it still matters: not yet let in, or let in and within
   * the admission time of the oldest wave kept (both absent in snapshots written before they existed).
   */
  public record State(long leasedThrough, long preQueue, long shuffleKey, long admittedThrough, List<Wave> recent,
      List<Withdrawal> out, List<VoidRange> voids) implements CborSerializable {
    static final State EMPTY = new State(0, -1, 0, 0, List.of());

    public State {
      out = out == null ? List.of() : out;
      voids = voids == null ? List.of() : voids;
    }

    State(long leasedThrough, long preQueue, long shuffleKey, long admittedThrough, List<Wave> recent) {
      this(leasedThrough, preQueue, shuffleKey, admittedThrough, recent, List.of(), List.of());
    }

    boolean opened() {
      return preQueue >= 0;
    }

    long rankOf(long place) {
      return LineView.rankOf(place, preQueue, shuffleKey);
    }

    long placeOf(long rank) {
      return LineView.placeOf(rank, preQueue, shuffleKey);
    }

    /** Whether a place's rank was let in (never before the opening, when ranks are not yet drawn). */
    boolean letIn(long place) {
      return opened() && rankOf(place) < admittedThrough;
    }

    State withOut(List<Withdrawal> out) {
      return new State(leasedThrough, preQueue, shuffleKey, admittedThrough, recent, out, voids);
    }

    State withVoids(List<VoidRange> voids) {
      return new State(leasedThrough, preQueue, shuffleKey, admittedThrough, recent, out, voids);
    }

    /** The place below which all were let in with the ranks below {@code admittedThrough}: a shuffled pre-queue passes whole. */
    long placesPassed(long admittedThrough) {
      return !opened() || shuffleKey == 0 || admittedThrough >= preQueue ? admittedThrough : 0;
    }
  }

  // ---------------------------------------------------------------- what the line reads of its sale

  /**
   * The sale as the line needs it at one moment: its room (operator switches applied), whether it
   * started (its start passed, or an operator opened it early), whether to admit now (open, not
   * paused, units left) and whether it is over (ended or closed: the line stops).
   */
  public record Conditions(WaitingRoomPolicy room, boolean started, boolean admitting, boolean over) {}

  /** Where the line reads its sale's conditions: the node's views and switches. */
  public interface SaleConditions {
    Optional<Conditions> at(String saleId, Instant now);
  }

  /**
   * {@code settle}: how old a lease must be before its places are let in: by then its desk has given
   * them out or said which it will not (a block lives at most the lease lifetime), so places nobody
   * holds are never let in and never hold an active slot.
   */
  public record Settings(Duration tick, Duration publishInterval, Duration settle) {
    static Settings fromConfig(Config room) {
      Duration lifetime = room.getDuration("lease-lifetime");
      return new Settings(room.getDuration("tick"), room.getDuration("publish-interval"),
          lifetime.plus(lifetime.dividedBy(2)));
    }
  }

  /** Starts sharding for lines; each tells {@code views} where it stands. */
  public static void init(ActorSystem<?> system, SaleConditions conditions, ActorRef<LineView> views) {
    Settings settings = Settings.fromConfig(system.settings().config().getConfig("seckill.waiting-room"));
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY,
            ctx -> create(ctx.getEntityId(), settings, conditions, views, Clock.systemUTC(), ctx.getShard()))
        .withAllocationStrategy(new VerifiedAllocation(system)));
  }

  /** A line that stops, once its sale is over, through {@code shard} (null: it never stops by itself). */
  public static Behavior<Command> create(String saleId, Settings settings, SaleConditions conditions,
      ActorRef<LineView> views, Clock clock, ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new WaitingLine(saleId, settings, conditions, views, clock, timers, ctx, shard)));
  }

  // ---------------------------------------------------------------- behavior

  private final String saleId;
  private final Settings settings;
  private final SaleConditions conditions;
  private final ActorRef<LineView> views;
  private final Clock clock;
  private final TimerScheduler<Command> timers;
  private final ActorContext<Command> ctx;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final SecureRandom random = new SecureRandom();
  private final Memory memory = new Memory();

  /**
   * What the line keeps in memory only. None of it need be persisted: after a restart the admissions
   * the state remembers count as active until they expire and every earlier lease as settled, which
   * errs on the safe side (fewer let in, no place twice); the rest is pacing, batching and figures.
   */
  private static final class Memory {
    final ActiveAdmissions admissions = new ActiveAdmissions();
    final PlacesOut out = new PlacesOut(admissions);
    final VoidPlaces voids = out.voids();
    /** Leases waiting for the next flush, and whether that flush is on its way. */
    final List<Lease> leases = new ArrayList<>();
    boolean flushScheduled;
    /** Leases not yet settled: (leased through, at millis), oldest first; places below {@code settledThrough} are. */
    final ArrayDeque<long[]> unsettled = new ArrayDeque<>();
    long settledThrough;
    /** Admissions earned at the pace and not yet used, and the tick they were last counted at. */
    double allowance;
    long lastTickMillis;
    /** When the open sale stopped admitting (paused, sold out); 0 while it admits. */
    long stoppedSinceMillis;
    long admittedSinceStart;
    /** Void places passed over or reported after their admission: left out of the figures. */
    long voidSkipped;
    /** (millis, places given, admitted) at each publish over the last ten seconds, for the rates. */
    final ArrayDeque<long[]> samples = new ArrayDeque<>();
    long lastPublishNanos;
    /** Lease times and the waits of the places let in, for operators. */
    final LineWaits waits = new LineWaits();
    /** The pace at the last tick (0: no room that is on), and whether the sale was admitting then: for the line's ETA. */
    int pace;
    boolean admitting;
  }

  private WaitingLine(String saleId, Settings settings, SaleConditions conditions, ActorRef<LineView> views, Clock clock,
      TimerScheduler<Command> timers, ActorContext<Command> ctx, ActorRef<ClusterSharding.ShardCommand> shard) {
    super(PersistenceId.of(ENTITY_KEY.name(), saleId));
    this.saleId = saleId;
    this.settings = settings;
    this.conditions = conditions;
    this.views = views;
    this.clock = clock;
    this.timers = timers;
    this.ctx = ctx;
    this.shard = shard;
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(1000, 2);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), state -> {
      for (Wave wave : state.recent()) memory.admissions.add(wave, 0);
      memory.voidSkipped += memory.out.restore(state); // persisted, so a place out or void stays so after a restart
      memory.settledThrough = state.leasedThrough(); // leases from before a restart are older than any desk's block
      timers.startTimerWithFixedDelay(new Tick(0), settings.tick());
    }).build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Lease.class, this::onLease)
        .onCommand(FlushLeases.class, this::onFlushLeases)
        .onCommand(Unused.class, (state, c) -> c.to() <= c.from() ? Effect().none()
            : Effect().persist(new PlacesVoided(c.from(), c.to()))
                .thenRun(s -> memory.voidSkipped += memory.out.voided(s, c.from(), c.to())))
        .onCommand(Finished.class, (state, c) -> {
          c.ranks().forEach(memory.admissions::finish);
          return Effect().none();
        })
        .onCommand(Withdraw.class, this::onWithdraw)
        .onCommand(Tick.class, this::onTick)
        .onCommand(Wake.class, this::onTick)
        .onCommand(GetFigures.class, (state, c) -> {
          c.replyTo().tell(figures(state));
          return Effect().none();
        })
        .build();
  }

  /**
   * A lease waits for the next flush, which the line sends itself: the leases that arrive while one
   * is written (Pekko holds them until it is on disk) and those already in the mailbox are written
   * together, as one event, so a burst of joins costs a few writes, not one per desk.
   */
  private Effect<Event, State> onLease(State state, Lease lease) {
    memory.leases.add(lease);
    if (!memory.flushScheduled) {
      memory.flushScheduled = true;
      ctx.getSelf().tell(new FlushLeases(0));
    }
    return Effect().none();
  }

  private Effect<Event, State> onFlushLeases(State state, FlushLeases flush) {
    memory.flushScheduled = false;
    if (memory.leases.isEmpty()) return Effect().none();
    Instant now = clock.instant();
    Optional<Conditions> sale = conditions.at(saleId, now);
    List<Event> events = new ArrayList<>();
    boolean opened = state.opened();
    boolean deskSawOpening = memory.leases.stream().anyMatch(Lease::opened);
    if (!opened && sale.isPresent() && (sale.get().started() || deskSawOpening)) {
      events.add(opening(state, sale.get(), now));
      opened = true;
    }
    boolean pre = !opened;
    List<Lease> answered = List.copyOf(memory.leases);
    memory.leases.clear();
    List<Leased> given = new ArrayList<>(answered.size());
    long next = state.leasedThrough();
    for (Lease lease : answered) {
      long to = next + Math.max(1, lease.size());
      given.add(new Leased(next, to, pre));
      next = to;
    }
    events.add(new PlacesLeased(next, pre));
    long through = next;
    long from = state.leasedThrough();
    return Effect().persist(events).thenRun(s -> {
      memory.unsettled.addLast(new long[] {through, now.toEpochMilli()});
      memory.waits.leased(from, now.toEpochMilli());
      for (int i = 0; i < answered.size(); i++) answered.get(i).replyTo().tell(given.get(i));
    });
  }

  /**
   * Records the places not yet out (one event), then frees what they held: a place not let in turns
   * void, so its turn costs nothing; one let in is done, so its slot is free for the next tick.
   */
  private Effect<Event, State> onWithdraw(State state, Withdraw withdraw) {
    PlacesOut.Withdrawing change = PlacesOut.withdrawing(state, withdraw.withdrawals());
    Withdrawn reply = new Withdrawn(change.answer());
    if (change.added().isEmpty()) {
      withdraw.replyTo().tell(reply);
      return Effect().none();
    }
    Instant now = clock.instant();
    return Effect().persist(new PlacesWithdrawn(change.added(), now.toEpochMilli())).thenRun(s -> {
      change.added().forEach(w -> memory.out.takeOut(s, w));
      tellViews(s, now, true); // every node hears of it now, not at the next publish
      withdraw.replyTo().tell(reply);
    });
  }

  private LineOpened opening(State state, Conditions sale, Instant now) {
    long key = 0;
    if (sale.room().shuffleAtOpen() && state.leasedThrough() > 1) {
      while (key == 0) key = random.nextLong();
    }
    return new LineOpened(state.leasedThrough(), key, now);
  }

  private Effect<Event, State> onTick(State state, Command tick) {
    Instant now = clock.instant();
    double seconds = memory.lastTickMillis == 0 ? 0 : Math.max(0, (now.toEpochMilli() - memory.lastTickMillis) / 1e3);
    memory.lastTickMillis = now.toEpochMilli();
    Optional<Conditions> found = conditions.at(saleId, now);
    boolean on = found.isPresent() && found.get().room().enabled();
    memory.pace = on ? found.get().room().admitPerSecond() : 0;
    memory.admitting = on && found.get().admitting();
    if (found.isPresent() && found.get().over() && shard != null) {
      shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf())); // ended or closed: nothing more to let in
    }
    if (found.isEmpty() || !found.get().room().enabled()) return publish(state, now, false);
    Conditions sale = found.get();
    if (!state.opened() && sale.started()) {
      return Effect().persist(opening(state, sale, now)).thenRun(s -> tellViews(s, now, true));
    }
    long ttlMillis = sale.room().admissionTtl().toMillis();
    if (state.opened() && !sale.admitting()) {
      // paused or sold out: nobody let in can buy meanwhile, so their admissions do not run out
      boolean began = memory.stoppedSinceMillis == 0;
      if (began) memory.stoppedSinceMillis = now.toEpochMilli();
      memory.allowance = 0;
      return publish(state, now, began);
    }
    if (memory.stoppedSinceMillis != 0) {
      long stopped = now.toEpochMilli() - memory.stoppedSinceMillis;
      memory.stoppedSinceMillis = 0;
      if (!memory.admissions.isEmpty() && stopped > 0) {
        memory.admissions.defer(stopped);
        return Effect().persist(new AdmissionsDeferred(stopped)).thenRun(s -> tellViews(s, now, true));
      }
    }
    memory.admissions.expire(now.toEpochMilli() - ttlMillis);
    if (!state.opened()) {
      memory.allowance = 0;
      return publish(state, now, false);
    }
    long settleBefore = now.toEpochMilli() - settings.settle().toMillis();
    while (!memory.unsettled.isEmpty() && memory.unsettled.peekFirst()[1] <= settleBefore) {
      memory.settledThrough = memory.unsettled.pollFirst()[0];
    }
    int rate = sale.room().admitPerSecond();
    memory.allowance = Math.min(memory.allowance + rate * seconds, Math.max(1, rate)); // at most one second's worth saved up
    int room = sale.room().maxActive() - memory.admissions.active();
    long budget = (long) Math.floor(Math.min(memory.allowance, room));
    if (budget <= 0) return publish(state, now, false);
    // the next ranks that exist, skipping void places: every rank below the settled lease mark is
    // held by a buyer or void, and so is the whole of a shuffled pre-queue once the sale opened
    long rank = state.admittedThrough();
    long end = Math.max(memory.settledThrough, state.shuffleKey() != 0 ? state.preQueue() : 0);
    long admitted = 0;
    int skipped = 0;
    int scanned = 0;
    while (rank < end && admitted < budget && scanned < MAX_SCAN_PER_TICK) {
      long place = state.placeOf(rank);
      if (memory.voids.contains(place)) {
        skipped++;
      } else {
        admitted++;
        memory.waits.admitted(place, now.toEpochMilli());
      }
      rank++;
      scanned++;
    }
    if (rank == state.admittedThrough()) return publish(state, now, false);
    memory.allowance -= admitted;
    memory.admittedSinceStart += admitted;
    memory.voidSkipped += skipped;
    memory.admissions.add(new Wave(state.admittedThrough(), rank, now.toEpochMilli()), skipped);
    forgetPassedVoids(state, rank);
    return Effect().persist(new Admitted(rank, now.toEpochMilli(), now.toEpochMilli() - ttlMillis))
        .thenRun(s -> tellViews(s, now, true));
  }

  /** Void places the line passed for good: below the mark after the pre-queue, or the whole pre-queue once passed. */
  private void forgetPassedVoids(State state, long admittedThrough) {
    long passed = state.placesPassed(admittedThrough);
    memory.voids.forgetBelow(passed);
    memory.waits.forgetBelow(passed);
  }

  private Effect<Event, State> publish(State state, Instant now, boolean changed) {
    tellViews(state, now, changed);
    return Effect().none();
  }

  private void tellViews(State state, Instant now, boolean changed) {
    long nowNanos = System.nanoTime();
    if (!changed && nowNanos - memory.lastPublishNanos < settings.publishInterval().toNanos()) return;
    memory.lastPublishNanos = nowNanos;
    long given = Math.max(0, state.leasedThrough() - memory.voids.total());
    long admitted = Math.max(0, state.admittedThrough() - memory.voidSkipped);
    long nowMillis = now.toEpochMilli();
    ArrayDeque<long[]> samples = memory.samples;
    samples.addLast(new long[] {nowMillis, given, admitted});
    while (samples.size() > 1 && samples.peekFirst()[0] < nowMillis - 10_000) samples.pollFirst();
    long[] first = samples.peekFirst();
    double seconds = Math.max(1, (nowMillis - first[0]) / 1000.0);
    long waiting = Math.max(0, given - admitted);
    double admittedPerSecond = Math.max(0, (admitted - first[2]) / seconds);
    LineWaits.Summary waits = memory.waits.summary();
    views.tell(LineView.of(saleId, state, lastSequenceNumber(ctx), now, new LineView.Counts(memory.admissions.active(),
        // places reported void after the sample make "given" go back a little: a rate is never below 0
        waiting, memory.admissions.abandoned(), Math.max(0, (given - first[1]) / seconds), admittedPerSecond, admitted,
        waits.lastSeconds(), waits.medianSeconds(), waits.p90Seconds(), backOfLineEta(state, waiting, admittedPerSecond)),
        ctx.getSystem().address().toString(), memory.voids.ranges(), memory.stoppedSinceMillis));
  }

  /**
   * Seconds until the last place given is let in, at the recent pace (else the room's): none while
   * the line is not open or its sale does not admit (paused, sold out, not on).
   */
  private Long backOfLineEta(State state, long waiting, double admittedPerSecond) {
    if (!state.opened() || !memory.admitting || memory.pace <= 0) return null;
    double rate = admittedPerSecond > 0 ? admittedPerSecond : memory.pace;
    return (long) Math.ceil(waiting / rate);
  }

  private Figures figures(State state) {
    return new Figures(state.leasedThrough(), state.preQueue(), state.admittedThrough(), memory.admittedSinceStart,
        memory.voidSkipped, memory.admissions.active(), memory.admissions.finished(), memory.admissions.abandoned());
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(PlacesLeased.class, (s, e) -> new State(e.through(), s.preQueue(), s.shuffleKey(), s.admittedThrough(),
            s.recent(), s.out(), s.voids()))
        .onEvent(LineOpened.class, (s, e) -> new State(s.leasedThrough(), e.preQueue(), e.shuffleKey(),
            s.admittedThrough(), s.recent(), s.out(), s.voids()))
        .onEvent(AdmissionsDeferred.class, (s, e) -> new State(s.leasedThrough(), s.preQueue(), s.shuffleKey(),
            s.admittedThrough(), s.recent().stream()
                .map(w -> new Wave(w.from(), w.through(), w.atMillis() + e.millis())).toList(), s.out(), s.voids()))
        .onEvent(PlacesWithdrawn.class, PlacesOut::withdrawn)
        .onEvent(PlacesVoided.class, PlacesOut::voided)
        .onEvent(Admitted.class, (s, e) -> {
          List<Wave> recent = new ArrayList<>(s.recent().size() + 1);
          for (Wave w : s.recent()) if (w.atMillis() > e.keepAfterMillis()) recent.add(w);
          recent.add(new Wave(s.admittedThrough(), e.through(), e.atMillis()));
          State next = new State(s.leasedThrough(), s.preQueue(), s.shuffleKey(), e.through(), List.copyOf(recent), s.out(),
              s.voids());
          return PlacesOut.trimmed(next);
        })
        .build();
  }
}
