package seckill.waitingroom;

import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import seckill.auth.Signer;
import seckill.metrics.Metrics;
import seckill.sale.SaleDefinition;
import seckill.sale.SalePhase;
import seckill.sale.SaleViews;
import seckill.sale.WaitingRoomPolicy;
import seckill.switches.Switches;

/**
 * This node's side of every sale's waiting room. It starts the lines ({@link WaitingLine}) and the
 * join desks ({@link JoinDesk}), reads each sale as they need it, and wires the node's parts:
 * {@link Tickets}, {@link LineCopies} and the {@link Polls} answered from them,
 * {@link AdmissionTokens} (what a reserve needs), the operators' {@link PriorityLane} and
 * {@link RoomMetrics}.
 */
public final class WaitingRoom {

  public record Settings(int desks, Duration pollMin, Duration pollMax, double pollJitter, Duration joinTimeout,
      Duration publishInterval, long usedMax, int joinBatch) {
    static Settings fromConfig(Config room) {
      return new Settings(room.getInt("desks"), room.getDuration("poll-min"), room.getDuration("poll-max"),
          room.getDouble("poll-jitter"), room.getDuration("join-timeout"), room.getDuration("publish-interval"),
          room.getLong("used-max"), room.getInt("join-batch"));
    }
  }

  private final Settings settings;
  private final Clock clock;
  private final SaleViews views;
  private final Switches switches;
  private final ClusterSharding sharding;
  private final Tickets tickets;
  private final LineCopies copies = new LineCopies();
  private final RoomMetrics metrics;
  private final AdmissionTokens admissions;
  private final PriorityLane priorityLane;
  private final Polls polls;
  private final JoinLanes joins;

  /** Starts this node's line copies, the desks' and lines' sharding, and the flush of finished admissions. */
  public static WaitingRoom init(ActorSystem<?> system) {
    Config config = system.settings().config().getConfig("seckill.waiting-room");
    WaitingRoom room = new WaitingRoom(system, Settings.fromConfig(config), new Signer(config.getString("secret"),
        "seckill.waiting-room.secret"), Clock.systemUTC());
    ActorRef<LineView> publisher = room.copies.start(system);
    WaitingLine.init(system, room::conditions, publisher);
    JoinDesk.init(system, room::saleOver);
    Duration flush = config.getDuration("tick");
    system.scheduler().scheduleWithFixedDelay(flush, flush, room.admissions::flushFinished, system.executionContext());
    return room;
  }

  WaitingRoom(ActorSystem<?> system, Settings settings, Signer signer, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    this.views = SaleViews.get(system);
    this.switches = Switches.get(system);
    this.sharding = ClusterSharding.get(system);
    this.tickets = new Tickets(signer);
    this.metrics = new RoomMetrics(Metrics.get(system).registry(), settings.usedMax(), copies, this::roomOf);
    this.admissions = new AdmissionTokens(signer, clock, settings.usedMax(), sharding, copies);
    this.priorityLane = new PriorityLane(admissions);
    this.polls = new Polls(settings, clock, switches, sharding, copies, admissions, metrics);
    this.joins = new JoinLanes(system, desk -> sharding.entityRefFor(JoinDesk.ENTITY_KEY, desk), settings.joinTimeout(),
        settings.joinBatch());
  }

  Tickets tickets() {
    return tickets;
  }

  Polls polls() {
    return polls;
  }

  LineCopies copies() {
    return copies;
  }

  RoomMetrics metrics() {
    return metrics;
  }

  PriorityLane priorityLane() {
    return priorityLane;
  }

  /** The room in front of a sale with the operator's switches applied, or empty when it has none that is on. */
  public Optional<WaitingRoomPolicy> roomOf(SaleDefinition definition, String saleId) {
    if (!definition.queued()) return Optional.empty();
    WaitingRoomPolicy room = definition.waitingRoom();
    var values = switches.values();
    Integer pace = values.saleAdmitPerSecond().get(saleId);
    Integer cap = values.saleMaxActive().get(saleId);
    if (pace == null && cap == null) return Optional.of(room);
    return Optional.of(new WaitingRoomPolicy(room.enabled(), pace != null ? pace : room.admitPerSecond(),
        cap != null ? cap : room.maxActive(), room.preQueueFrom(), room.shuffleAtOpen(), room.admissionTtl()));
  }

  /** The room of a sale this node knows, switches applied; empty when it has none that is on. */
  Optional<WaitingRoomPolicy> roomOf(String saleId) {
    return views.get(saleId).flatMap(view -> roomOf(view.definition(), saleId));
  }

  Optional<WaitingLine.Conditions> conditions(String saleId, Instant now) {
    return views.get(saleId).flatMap(view -> roomOf(view.definition(), saleId).map(room -> {
      SalePhase phase = view.phase(now);
      return new WaitingLine.Conditions(room, phase != SalePhase.UPCOMING && phase != SalePhase.NOT_DEFINED,
          phase == SalePhase.OPEN && !switches.paused(saleId) && view.available() > 0, over(phase));
    }));
  }

  /** True once this node sees the sale ended or closed: its line and desks stop. */
  boolean saleOver(String saleId) {
    return views.get(saleId).map(view -> over(view.phase(clock.instant()))).orElse(false);
  }

  static boolean over(SalePhase phase) {
    return phase == SalePhase.ENDED || phase == SalePhase.CLOSED;
  }

  /**
   * The buyer's place from the buyer's desk (in a batch with the other joins this node has for it):
   * the same place on every join, except after the place's admission expired unused
   * ({@code expiredPlace}), when the buyer goes to the back.
   */
  CompletionStage<JoinDesk.Answer> join(String saleId, String buyer, Instant opensAt, long expiredPlace) {
    return joins.join(JoinDesk.deskId(saleId, buyer, settings.desks()),
        new JoinDesk.Joining(buyer, opensAt.toEpochMilli(), expiredPlace));
  }

  /** Takes places out of the sale's line (see {@link WaitingLine.Withdraw}); the places out now, with their reasons. */
  CompletionStage<WaitingLine.Withdrawn> withdraw(String saleId, List<WaitingLine.Withdrawal> withdrawals) {
    return sharding.entityRefFor(WaitingLine.ENTITY_KEY, saleId)
        .ask(replyTo -> new WaitingLine.Withdraw(withdrawals, replyTo), settings.joinTimeout());
  }

  /**
   * Revokes the places of {@code buyers}: their desks say which place each holds (one ask per desk),
   * then the line takes those out in one event. The buyers whose place is out of the line now; a
   * buyer no desk knows (never joined, or the desk's node was lost) is not among them.
   */
  CompletionStage<Set<String>> revoke(String saleId, Collection<String> buyers) {
    Map<String, List<String>> byDesk = new TreeMap<>();
    for (String buyer : new LinkedHashSet<>(buyers)) {
      byDesk.computeIfAbsent(JoinDesk.deskId(saleId, buyer, settings.desks()), desk -> new ArrayList<>()).add(buyer);
    }
    List<CompletableFuture<JoinDesk.KnownPlaces>> asked = new ArrayList<>();
    byDesk.forEach((desk, ofDesk) -> asked.add(sharding.entityRefFor(JoinDesk.ENTITY_KEY, desk)
        .<JoinDesk.KnownPlaces>ask(replyTo -> new JoinDesk.PlacesOf(ofDesk, replyTo), settings.joinTimeout())
        .toCompletableFuture()));
    return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).thenCompose(all -> {
      List<WaitingLine.Withdrawal> places = new ArrayList<>();
      for (CompletableFuture<JoinDesk.KnownPlaces> known : asked) {
        known.join().places().forEach((buyer, place) -> places.add(new WaitingLine.Withdrawal(place, buyer, true)));
      }
      if (places.isEmpty()) return CompletableFuture.completedFuture(Set.of());
      return withdraw(saleId, places).thenApply(withdrawn -> withdrawn.out().stream()
          .map(WaitingLine.Withdrawal::buyer).collect(Collectors.toSet()));
    });
  }

  /** Whether a reserve may pass the room: at once when the sale has none, else see {@link AdmissionTokens#check}. */
  public RoomVerdict admit(String saleId, SaleDefinition definition, String buyer, String requestId, Optional<String> token) {
    if (roomOf(definition, saleId).isEmpty()) return RoomVerdict.LetIn.NO_ROOM;
    return admissions.check(saleId, buyer, requestId, token);
  }

  /** After the sale answered a reserve the room let in: see {@link AdmissionTokens#settle}. */
  public void settle(RoomVerdict.LetIn letIn, RoomVerdict.SaleAnswer answer) {
    admissions.settle(letIn, answer);
  }
}
