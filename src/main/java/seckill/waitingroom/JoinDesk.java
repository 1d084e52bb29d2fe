package seckill.waitingroom;

import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import seckill.journal.VerifiedAllocation;
import seckill.serialization.CborSerializable;

/**
 * One of a sale's join desks, sharded as {@code saleId~desk}: a buyer always joins at the same desk
 * (by the buyer's name), so joining again gives the same place wherever the request lands. Each
 * node sends a desk the joins it received together as one {@link JoinBatch} ({@link JoinLanes}). A
 * desk gives places from a block leased from the {@link WaitingLine}, used for at most
 * {@code lease-lifetime} from when it was asked for and its rest handed back unused, so places given
 * at one moment are close. Blocks are sized by the desk's join pace, and a desk asks for the next
 * block while the one in use still serves, so a burst of joins waits for the line about once, at
 * the desk's first block.
 * The places it gives in the pre-queue are persisted before they are answered (a batch of joins per
 * write), so a desk that moves to another node gives the same buyer the same place, the same draw
 * in a shuffled pre-queue; later places live in its memory only (a buyer back without the ticket
 * after a crash goes to the back, which gains nothing). Every place also lives in the signed ticket
 * and the line's lease mark, so losing a desk loses and reuses no place.
 */
public final class JoinDesk {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "JoinDesk");

  private JoinDesk() {}

  public sealed interface Command extends CborSerializable {}

  /**
   * A buyer joins; the desk leaves pre-queue places alone from {@code opensAtMillis} on. A buyer whose
   * place {@code expiredPlace} is over (admitted and let expire, left or revoked) gets a new one (-1:
   * none is over).
   */
  public record Join(String buyer, long opensAtMillis, long expiredPlace, ActorRef<Answer> replyTo) implements Command {}

  /**
   * Joins a node received together: the desk answers them with one {@link JoinsAnswered}, in the
   * same order, once each has its answer (pre-queue places written first).
   */
  public record JoinBatch(List<Joining> joins, ActorRef<JoinsAnswered> answerTo) implements Command {}

  /** One buyer's join in a {@link JoinBatch}; the fields are those of a {@link Join}. */
  public record Joining(String buyer, long opensAtMillis, long expiredPlace) implements CborSerializable {}

  /** The answers to a {@link JoinBatch}, in its order. */
  public record JoinsAnswered(List<JoinAnswer> answers) implements CborSerializable {}

  /** One answer in {@link JoinsAnswered}, flat so that a list of them needs no type names: {@code notPlaced} is null when placed. */
  public record JoinAnswer(long place, long joinedAtMillis, boolean again, String notPlaced) implements CborSerializable {
    static JoinAnswer of(Answer answer) {
      if (answer instanceof Placed p) return new JoinAnswer(p.place(), p.joinedAtMillis(), p.again(), null);
      return new JoinAnswer(-1, 0, false, ((NotPlaced) answer).why());
    }

    /** The answer as the desk's reply to one {@link Join}. */
    public Answer answer() {
      return notPlaced != null ? new NotPlaced(notPlaced) : new Placed(place, joinedAtMillis, again);
    }
  }

  /** The places this desk gave {@code buyers}, for a revocation; the desk changes nothing. */
  public record PlacesOf(List<String> buyers, ActorRef<KnownPlaces> replyTo) implements Command {}

  /** By buyer, the place the desk gave; buyers it does not know are left out. */
  public record KnownPlaces(Map<String, Long> places) implements CborSerializable {}

  public sealed interface Answer extends CborSerializable {}

  /** The buyer's place and when it was first given; {@code again} when it was given before. */
  public record Placed(long place, long joinedAtMillis, boolean again) implements Answer {}

  /** No place now: the line could not be reached. */
  public record NotPlaced(String why) implements Answer {}

  private record GotLease(WaitingLine.Leased leased) implements Command {}

  private record LeaseFailed(String why) implements Command {}

  private record CheckLease(long unused) implements Command {}

  /** Gives places to the joins waiting: joins that arrive together are served, and persisted, together. */
  private record ServePending(long unused) implements Command {}

  public sealed interface Event extends CborSerializable {}

  /** Pre-queue places given, each to its buyer. */
  public record PlacesDrawn(List<Drawn> drawn) implements Event {}

  public record Drawn(String buyer, long place, long joinedAtMillis) implements CborSerializable {}

  /** The pre-queue places this desk gave, by buyer (kept in place as events apply: the desk takes no snapshots). */
  public record State(Map<String, Placed> drawn) implements CborSerializable {}

  public record Settings(Duration leaseLifetime, int minBlock, int maxBlock, Duration leaseTimeout) {
    static Settings fromConfig(Config room) {
      return new Settings(room.getDuration("lease-lifetime"), room.getInt("min-block"), room.getInt("max-block"),
          room.getDuration("join-timeout"));
    }
  }

  /** Where a desk leases places: the sale's line, wherever it runs. */
  public interface Lines {
    EntityRef<WaitingLine.Command> line(String saleId);
  }

  /** Starts sharding for desks; a desk stops once {@code saleOver} says its sale ended or closed. */
  public static void init(ActorSystem<?> system, Predicate<String> saleOver) {
    Settings settings = Settings.fromConfig(system.settings().config().getConfig("seckill.waiting-room"));
    ClusterSharding sharding = ClusterSharding.get(system);
    Lines lines = saleId -> sharding.entityRefFor(WaitingLine.ENTITY_KEY, saleId);
    sharding.init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), settings, lines, Clock.systemUTC(),
            saleOver, ctx.getShard()))
        .withAllocationStrategy(new VerifiedAllocation(system)));
  }

  /** The desk id for a buyer of a sale: one of {@code desks}, by the buyer's name. */
  public static String deskId(String saleId, String buyer, int desks) {
    return saleId + "~" + Math.floorMod(buyer.hashCode() * 0x9E3779B1, desks);
  }

  static String saleOf(String deskId) {
    return deskId.substring(0, deskId.lastIndexOf('~'));
  }

  /** The desk {@code deskId} ({@link #deskId}); it stops once its sale is over, through {@code shard} (null: never by itself). */
  public static Behavior<Command> create(String deskId, Settings settings, Lines lines, Clock clock,
      Predicate<String> saleOver, ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Desk(deskId, settings, lines, clock, ctx, timers,
        saleOver, shard)));
  }

  /** A join waiting for its place, and where its answer goes: the buyer's ask, or its slot in a batch's answer. */
  private record Waiting(Joining join, Consumer<Answer> reply) {}

  /** A batch's answers as they come: the batch is answered once the last one is in. */
  private static final class BatchReply {
    private final JoinAnswer[] answers;
    private final ActorRef<JoinsAnswered> to;
    private int left;

    BatchReply(int size, ActorRef<JoinsAnswered> to) {
      this.answers = new JoinAnswer[size];
      this.to = to;
      this.left = size;
      if (size == 0) to.tell(new JoinsAnswered(List.of()));
    }

    Consumer<Answer> slot(int i) {
      return answer -> {
        answers[i] = JoinAnswer.of(answer);
        if (--left == 0) to.tell(new JoinsAnswered(List.of(answers)));
      };
    }
  }

  /** A block of places from the line, and when the desk asked for it (its age counts from then). */
  private record Block(long from, long to, boolean preQueue, long askedAtNanos) {}

  private static final class Desk extends EventSourcedBehavior<Command, Event, State> {
    private final String saleId;
    private final Settings settings;
    private final Lines lines;
    private final Clock clock;
    private final ActorContext<Command> ctx;
    /** Every place this desk gave since it started (those of the pre-queue are in its state too, persisted). */
    private final Map<String, Placed> placed = new HashMap<>();
    private final List<Waiting> pending = new ArrayList<>();
    private boolean serveScheduled;
    /** The block in use: places {@code next} to {@code to} are left of those from {@code blockFrom}. */
    private long blockFrom;
    private long next;
    private long to;
    private boolean preQueue;
    /** When the block in use was asked for: its places are numbered after that, so its age bounds how far out of order they can be. */
    private long leasedAtNanos;
    /** A block asked for ahead, used once the one in use is done. */
    private Block spare;
    private long askedAtNanos;
    private boolean leasing;
    /** The opening as the latest join saw it: whether a block asked for ahead may be a pre-queue one. */
    private long opensAtMillis = Long.MAX_VALUE;
    private long windowStartNanos = System.nanoTime();
    private long joinsThisWindow;
    private long joinsLastWindow;
    private final Predicate<String> saleOver;
    private final ActorRef<ClusterSharding.ShardCommand> shard;

    Desk(String deskId, Settings settings, Lines lines, Clock clock, ActorContext<Command> ctx,
        TimerScheduler<Command> timers, Predicate<String> saleOver,
        ActorRef<ClusterSharding.ShardCommand> shard) {
      super(PersistenceId.of(ENTITY_KEY.name(), deskId));
      this.saleOver = saleOver;
      this.shard = shard;
      this.saleId = saleOf(deskId);
      this.settings = settings;
      this.lines = lines;
      this.clock = clock;
      this.ctx = ctx;
      timers.startTimerWithFixedDelay(new CheckLease(0), settings.leaseLifetime());
    }

    @Override
    public State emptyState() {
      return new State(new HashMap<>());
    }

    @Override
    public EventHandler<State, Event> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onEvent(PlacesDrawn.class, (state, e) -> {
        for (Drawn d : e.drawn()) state.drawn().put(d.buyer(), new Placed(d.place(), d.joinedAtMillis(), false));
        return state;
      }).build();
    }

    @Override
    public CommandHandler<Command, Event, State> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Join.class, (state, join) -> {
            arrive(state, new Joining(join.buyer(), join.opensAtMillis(), join.expiredPlace()), join.replyTo()::tell);
            return Effect().none();
          })
          .onCommand(JoinBatch.class, (state, batch) -> {
            BatchReply reply = new BatchReply(batch.joins().size(), batch.answerTo());
            for (int i = 0; i < batch.joins().size(); i++) arrive(state, batch.joins().get(i), reply.slot(i));
            return Effect().none();
          })
          .onCommand(ServePending.class, (state, serve) -> {
            serveScheduled = false;
            return serve(state);
          })
          .onCommand(PlacesOf.class, (state, asked) -> {
            Map<String, Long> known = new HashMap<>();
            for (String buyer : asked.buyers()) {
              Placed given = known(state, buyer);
              if (given != null) known.put(buyer, given.place());
            }
            asked.replyTo().tell(new KnownPlaces(known));
            return Effect().none();
          })
          .onCommand(GotLease.class, (state, got) -> {
            leasing = false;
            Block block = new Block(got.leased().from(), got.leased().to(), got.leased().preQueue(), askedAtNanos);
            if (next < to && !expired(leasedAtNanos, preQueue, clock.millis(), Long.MAX_VALUE)) {
              spare = block; // asked for ahead: the block in use still serves
            } else {
              if (next < to) dropBlock();
              use(block);
            }
            return serve(state);
          })
          .onCommand(LeaseFailed.class, (state, failed) -> {
            leasing = false;
            pending.forEach(w -> w.reply().accept(new NotPlaced(failed.why())));
            pending.clear();
            return Effect().none();
          })
          .onCommand(CheckLease.class, (state, check) -> {
            if (pending.isEmpty()) dropExpired();
            // the sale ended or closed: nobody joins any more, and the buyers it knows need not stay in memory
            if (pending.isEmpty() && saleOver.test(saleId) && shard != null) shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
            return Effect().none();
          })
          .build();
    }

    /** A join: answered at once when the desk knows the buyer's place, else it waits for the next serve. */
    private void arrive(State state, Joining join, Consumer<Answer> reply) {
      opensAtMillis = join.opensAtMillis();
      Placed known = current(state, join);
      if (known != null) {
        reply.accept(new Placed(known.place(), known.joinedAtMillis(), true));
        return;
      }
      counted();
      pending.add(new Waiting(join, reply));
      if (!serveScheduled) {
        serveScheduled = true;
        ctx.getSelf().tell(new ServePending(0));
      }
    }

    /** The place the desk gave the buyer: a later one (in memory) before a pre-queue one (persisted). */
    private Placed known(State state, String buyer) {
      Placed later = placed.get(buyer);
      return later != null ? later : state.drawn().get(buyer);
    }

    /** The buyer's place, unless it is the one the join says is over (the buyer then gets a new one). */
    private Placed current(State state, Joining join) {
      Placed known = known(state, join.buyer());
      return known == null || known.place() == join.expiredPlace() ? null : known;
    }

    /** Whether a block asked for at {@code askedAtNanos} may give no more places: too old, or pre-queue once the sale opened. */
    private boolean expired(long askedAtNanos, boolean preQueueBlock, long nowMillis, long opensAtMillis) {
      return System.nanoTime() - askedAtNanos >= settings.leaseLifetime().toNanos()
          || (preQueueBlock && nowMillis >= opensAtMillis);
    }

    /**
     * Gives places to the buyers waiting, from the block in use, then from the one asked for ahead,
     * leasing a new block when both are used up or too old. When pre-queue places were among them,
     * every answer waits for their write.
     */
    private Effect<Event, State> serve(State state) {
      List<Runnable> answers = new ArrayList<>();
      List<Drawn> drawn = new ArrayList<>();
      while (!pending.isEmpty()) {
        Waiting waiting = pending.get(0);
        Joining join = waiting.join();
        long now = clock.millis();
        Placed known = current(state, join); // the same buyer twice in one wait
        if (known != null) {
          Placed again = new Placed(known.place(), known.joinedAtMillis(), true);
          answers.add(() -> waiting.reply().accept(again));
          pending.remove(0);
          continue;
        }
        if (next < to && !expired(leasedAtNanos, preQueue, now, join.opensAtMillis())) {
          Placed given = new Placed(next++, now, false);
          placed.put(join.buyer(), given);
          if (preQueue) drawn.add(new Drawn(join.buyer(), given.place(), now));
          answers.add(() -> waiting.reply().accept(given));
          pending.remove(0);
          continue;
        }
        if (next < to) dropBlock();
        if (spare != null) {
          Block ahead = spare;
          spare = null;
          use(ahead); // checked like any block on the next turn
          continue;
        }
        if (!leasing) lease(nextSize());
        break;
      }
      askAhead();
      if (drawn.isEmpty()) {
        answers.forEach(Runnable::run);
        return Effect().none();
      }
      return Effect().persist(new PlacesDrawn(List.copyOf(drawn))).thenRun(s -> answers.forEach(Runnable::run));
    }

    private void use(Block block) {
      blockFrom = block.from();
      next = block.from();
      to = block.to();
      preQueue = block.preQueue();
      leasedAtNanos = block.askedAtNanos();
    }

    /**
     * Asks for the next block while the one in use still serves, once it is half gone: half of it
     * given, when at the pace it went so far the rest would run out before it expires, or half its
     * lifetime over, when joins keep coming (it gave more than one place). The joins of a burst, or
     * of a steady stream, then find places ready instead of waiting for the line.
     */
    private void askAhead() {
      if (leasing || spare != null || to == blockFrom) return;
      long used = next - blockFrom;
      long left = to - next;
      long age = System.nanoTime() - leasedAtNanos;
      long lifetime = settings.leaseLifetime().toNanos();
      if (age >= lifetime) return;
      boolean halfGiven = 2 * used >= to - blockFrom && used * (lifetime - age) > left * age;
      boolean halfLived = 2 * age >= lifetime && used >= 2;
      if (halfGiven || halfLived) lease(nextSize());
    }

    /** Hands back what the blocks held hold once too old to give (no join came to use them up). */
    private void dropExpired() {
      if (next < to && expired(leasedAtNanos, preQueue, clock.millis(), Long.MAX_VALUE)) dropBlock();
      if (spare != null && expired(spare.askedAtNanos(), false, 0, Long.MAX_VALUE)) {
        lines.line(saleId).tell(new WaitingLine.Unused(spare.from(), spare.to()));
        spare = null;
      }
    }

    /** Ends a block before it was used up: the rest is void. */
    private void dropBlock() {
      lines.line(saleId).tell(new WaitingLine.Unused(next, to));
      next = to;
    }

    /** Counts a new buyer's join in the current lease lifetime. */
    private void counted() {
      long now = System.nanoTime();
      long lifetime = settings.leaseLifetime().toNanos();
      if (now - windowStartNanos >= lifetime) {
        joinsLastWindow = now - windowStartNanos < 2 * lifetime ? joinsThisWindow : 0;
        joinsThisWindow = 0;
        windowStartNanos = now;
      }
      joinsThisWindow++;
    }

    /**
     * The next block: the buyers waiting now, or the joins expected in one lease lifetime and a tenth
     * more, whichever is more (every place a block still has when it expires is void). Expected: the
     * last lifetime's joins, or this one's so far at their pace (taken over at least a quarter of a
     * lifetime, so a first join alone asks for a small block): a burst's blocks grow with it from its
     * first moments, not one lifetime later.
     */
    private int nextSize() {
      long lifetime = settings.leaseLifetime().toNanos();
      long elapsed = Math.max(System.nanoTime() - windowStartNanos, lifetime / 4);
      double pace = (double) joinsThisWindow * lifetime / elapsed;
      double expected = Math.max(joinsLastWindow, pace);
      return bounded(Math.max(pending.size(), (long) Math.ceil(expected * 1.1)));
    }

    private int bounded(long size) {
      return (int) Math.max(settings.minBlock(), Math.min(settings.maxBlock(), size));
    }

    private void lease(int size) {
      leasing = true;
      askedAtNanos = System.nanoTime();
      long opening = pending.isEmpty() ? opensAtMillis : pending.get(0).join().opensAtMillis();
      ctx.ask(WaitingLine.Leased.class, lines.line(saleId), settings.leaseTimeout(),
          replyTo -> new WaitingLine.Lease(size, clock.millis() >= opening, replyTo),
          (leased, failure) -> leased != null ? new GotLease(leased)
              : new LeaseFailed("the line did not answer: " + failure.getMessage()));
    }
  }
}
