package seckill.waitingroom;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import seckill.auth.Signer;
import seckill.auth.TokenUses;
import seckill.metrics.Metrics;
import seckill.sale.SaleDefinition;
import seckill.sale.SalePhase;
import seckill.sale.SaleViews;
import seckill.sale.WaitingRoomPolicy;
import seckill.switches.Switches;

/**
 * This node's side of every sale's waiting room: joins (through the buyer's desk), polls (from the
 * node's copy of each line, with no ask), and the admission tokens the reserve checks. Tickets and
 * admission tokens are signed, so any node reads them; an admission token is single use on the node
 * that takes it, like the challenge's access token.
 */
public final class WaitingRoom {

  static final String TICKET = "ticket.";
  static final String ADMISSION = "admission.";

  /** What a ticket says: the buyer's place in one sale's line and when it was given. */
  public record Ticket(String sale, String buyer, long place, long joinedAt) {}

  /** What an admission token says: this buyer of this sale was admitted at rank {@code rank} until {@code expires}. */
  public record AdmissionClaims(String sale, String buyer, long rank, long expires) {}

  /** The buyer's state in the line. States: WAITING, ADMITTED, SOLD_OUT, CLOSED, EXPIRED (admitted, unused, past its time). */
  public record QueueAnswer(String ticket, String state, Long ahead, Long etaSeconds, Integer pollAfterSeconds,
      String admissionToken, Instant admissionExpiresAt) {

    QueueAnswer withTicket(String signed) {
      return new QueueAnswer(signed, state, ahead, etaSeconds, pollAfterSeconds, admissionToken, admissionExpiresAt);
    }
  }

  /** A reserve's admission: a refusal, or the rank it uses (to settle once the reserve is answered). */
  public sealed interface Admission permits Refused, Passed {}

  /**
   * {@code expired}: the token was good but has expired, so a retry of a request that got a
   * reservation with it may still be answered with that reservation.
   */
  public record Refused(String code, String message, boolean expired) implements Admission {
    Refused(String code, String message) {
      this(code, message, false);
    }
  }

  /** {@code rank} is -1 when the sale has no waiting room. */
  public record Passed(String saleId, long rank) implements Admission {
    static final Passed NO_ROOM = new Passed(null, -1);
  }

  /** How the reserve that passed the room was answered, for {@link #settle}. */
  public enum Answer {
    /** The sale placed (or replayed) a reservation. */
    RESERVED,
    /** The sale refused the request (sold out, limit): the admission is spent. */
    REFUSED,
    /** No answer from the sale (the node was busy): a retry of the request may use the admission again. */
    NONE
  }

  public record Settings(int desks, Duration pollMin, Duration pollMax, double pollJitter, Duration joinTimeout,
      Duration publishInterval, long usedMax) {
    static Settings fromConfig(Config room) {
      return new Settings(room.getInt("desks"), room.getDuration("poll-min"), room.getDuration("poll-max"),
          room.getDouble("poll-jitter"), room.getDuration("join-timeout"), room.getDuration("publish-interval"),
          room.getLong("used-max"));
    }
  }

  private final Settings settings;
  private final Signer signer;
  private final Clock clock;
  private final SaleViews views;
  private final Switches switches;
  private final ClusterSharding sharding;
  private final Map<String, LineView> lines = new ConcurrentHashMap<>();
  private final Map<String, Long> wokenAt = new ConcurrentHashMap<>();
  private final TokenUses used;
  private final Map<String, ConcurrentLinkedQueue<Long>> finished = new ConcurrentHashMap<>();
  private final Cache<String, Boolean> seenAdmitted;
  private final Map<String, WaitSamples> waits = new ConcurrentHashMap<>();
  private final Counter joins;
  private final Counter soldOutNotices;
  private final Histogram waitSeconds;
  private final java.security.SecureRandom random = new java.security.SecureRandom();

  /** This node's last waits (join to admission) of one sale, for the admin API's median and p90. */
  private static final class WaitSamples {
    private final long[] millis = new long[4096];
    private long count;

    synchronized void add(long wait) {
      millis[(int) (count++ % millis.length)] = wait;
    }

    synchronized long[] sorted() {
      long[] copy = Arrays.copyOf(millis, (int) Math.min(count, millis.length));
      Arrays.sort(copy);
      return copy;
    }
  }

  /** Starts this node's line copies, the desks' and lines' sharding, and the flush of finished admissions. */
  public static WaitingRoom init(ActorSystem<?> system) {
    Config config = system.settings().config().getConfig("seckill.waiting-room");
    WaitingRoom room = new WaitingRoom(system, Settings.fromConfig(config), new Signer(config.getString("secret"),
        "seckill.waiting-room.secret"), Clock.systemUTC());
    ActorRef<Topic.Command<LineView>> topic = system.systemActorOf(Topic.create(LineView.class, "waiting-lines"),
        "waiting-lines-topic", Props.empty());
    ActorRef<LineView> copies = system.systemActorOf(room.copies(topic), "waiting-lines", Props.empty());
    ActorRef<LineView> publisher = system.systemActorOf(Behaviors.receive(LineView.class).onMessage(LineView.class, v -> {
      room.keep(v); // this node at once, the others through the topic
      topic.tell(Topic.publish(v));
      return Behaviors.same();
    }).build(), "waiting-lines-publisher", Props.empty());
    WaitingLine.init(system, room::conditions, publisher);
    JoinDesk.init(system, room::saleOver);
    Duration flush = config.getDuration("tick");
    system.scheduler().scheduleWithFixedDelay(flush, flush, room::flushFinished, system.executionContext());
    return room;
  }

  WaitingRoom(ActorSystem<?> system, Settings settings, Signer signer, Clock clock) {
    this.settings = settings;
    this.signer = signer;
    this.clock = clock;
    this.views = SaleViews.get(system);
    this.switches = Switches.get(system);
    this.sharding = ClusterSharding.get(system);
    this.used = new TokenUses(settings.usedMax(), WaitingRoomPolicy.MAX_TTL);
    this.seenAdmitted = Caffeine.newBuilder().maximumSize(settings.usedMax()).expireAfterWrite(WaitingRoomPolicy.MAX_TTL).build();
    PrometheusRegistry registry = Metrics.get(system).registry();
    this.joins = Counter.builder().name("seckill_queue_joins_total")
        .help("Joins answered by this node: a new place, or the same place again").labelNames("sale", "kind").register(registry);
    this.soldOutNotices = Counter.builder().name("seckill_queue_sold_out_notices_total")
        .help("Polls answered SOLD_OUT and joins refused sold out, on this node").labelNames("sale").register(registry);
    this.waitSeconds = Histogram.builder().name("seckill_queue_wait_seconds")
        .help("From join to admission, for buyers this node first told they were admitted")
        .classicUpperBounds(1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600).labelNames("sale").register(registry);
    GaugeWithCallback.builder().name("seckill_queue_line").help("A waiting line as this node last heard from it")
        .labelNames("sale", "figure").callback(cb -> lines.forEach((sale, line) -> {
          LineView.Counts c = line.counts();
          cb.call(c.waiting(), sale, "waiting");
          cb.call(c.active(), sale, "active");
          cb.call(c.abandoned(), sale, "abandoned");
          cb.call(c.joinedPerSecond(), sale, "joined_per_second");
          cb.call(c.admittedPerSecond(), sale, "admitted_per_second");
          cb.call(line.admittedThrough(), sale, "admitted_through");
        })).register(registry);
  }

  /** A join answered (a new place or the same again), for the counters. */
  void joined(String saleId, boolean again) {
    joins.labelValues(saleId, again ? "again" : "new").inc();
  }

  /** A poll or join told a buyer the sale is sold out. */
  public void soldOutNotice(String saleId) {
    soldOutNotices.labelValues(saleId).inc();
  }

  /** What operators see of a sale's line: the line's figures and this node's observed waits. */
  public record Figures(String saleId, boolean heard, long admittedThrough, long leasedThrough, boolean opened,
      LineView.Counts line, Instant lineAt, String lineNode, long waitsObserved, Double waitMedianSeconds,
      Double waitP90Seconds) {}

  public Figures figures(String saleId) {
    LineView line = lines.get(saleId);
    WaitSamples samples = waits.get(saleId);
    long[] sorted = samples == null ? new long[0] : samples.sorted();
    Double median = sorted.length == 0 ? null : sorted[sorted.length / 2] / 1000.0;
    Double p90 = sorted.length == 0 ? null : sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.9))] / 1000.0;
    if (line == null) return new Figures(saleId, false, 0, 0, false, null, null, null, sorted.length, median, p90);
    return new Figures(saleId, true, line.admittedThrough(), line.leasedThrough(), line.opened(), line.counts(),
        Instant.ofEpochMilli(line.publishedAtMillis()), line.node(), samples == null ? 0 : samples.count, median, p90);
  }

  /**
   * Admission tokens for chosen buyers, outside the line (the operators' priority lane): single use,
   * good until {@code expiresAt}, not counted against {@code maxActive}.
   */
  public Map<String, String> bypass(String saleId, java.util.Collection<String> buyers, Instant expiresAt) {
    long expires = expiresAt.toEpochMilli();
    Map<String, String> tokens = new java.util.TreeMap<>();
    for (String buyer : buyers) {
      long rank = -2 - (random.nextLong() & Long.MAX_VALUE) % (Long.MAX_VALUE - 2); // below every place, never -1
      tokens.put(buyer, signer.sign(ADMISSION, new AdmissionClaims(saleId, buyer, rank, expires)));
    }
    return tokens;
  }

  private Behavior<LineView> copies(ActorRef<Topic.Command<LineView>> topic) {
    return Behaviors.setup(ctx -> {
      topic.tell(Topic.subscribe(ctx.getSelf()));
      return Behaviors.receive(LineView.class).onMessage(LineView.class, v -> {
        keep(v);
        return Behaviors.same();
      }).build();
    });
  }

  private void keep(LineView view) {
    lines.merge(view.saleId(), view, (old, candidate) -> candidate.version() > old.version()
        || (candidate.version() == old.version() && candidate.publishedAtMillis() >= old.publishedAtMillis()) ? candidate : old);
  }

  /** This node's copy of a sale's line, if it has heard from it. */
  public Optional<LineView> line(String saleId) {
    return Optional.ofNullable(lines.get(saleId));
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

  private static boolean over(SalePhase phase) {
    return phase == SalePhase.ENDED || phase == SalePhase.CLOSED;
  }

  // ---------------------------------------------------------------- joins

  /** A signed ticket from {@code ticket} when it is ours and names this sale and buyer. */
  public Optional<Ticket> ticket(String saleId, String buyer, String ticket) {
    return signer.verify(TICKET, ticket, Ticket.class)
        .filter(t -> t.sale().equals(saleId) && (buyer == null || t.buyer().equals(buyer)));
  }

  /**
   * The buyer's place from the buyer's desk: the same place on every join, except after the place's
   * admission expired unused ({@code expiredPlace}), when the buyer goes to the back.
   */
  public CompletionStage<JoinDesk.Answer> join(String saleId, String buyer, Instant opensAt, long expiredPlace) {
    return sharding.entityRefFor(JoinDesk.ENTITY_KEY, JoinDesk.deskId(saleId, buyer, settings.desks()))
        .ask(replyTo -> new JoinDesk.Join(buyer, opensAt.toEpochMilli(), expiredPlace, replyTo), settings.joinTimeout());
  }

  public String sign(Ticket ticket) {
    return signer.sign(TICKET, ticket);
  }

  // ---------------------------------------------------------------- polls

  /** Where the ticket's holder stands now, from this node's copies of the sale and its line. */
  public QueueAnswer status(SaleViews.LocalCopy view, WaitingRoomPolicy room, Ticket ticket) {
    Instant now = clock.instant();
    SalePhase phase = view.phase(now);
    if (phase == SalePhase.ENDED || phase == SalePhase.CLOSED) return new QueueAnswer(null, "CLOSED", null, null, null, null, null);
    if (phase != SalePhase.UPCOMING && view.available() == 0) {
      soldOutNotice(view.saleId());
      return new QueueAnswer(null, "SOLD_OUT", null, null, null, null, null);
    }
    LineView line = lines.get(view.saleId());
    if (line == null || !line.opened()) {
      wakeIfQuiet(view.saleId(), line, now, phase);
      long untilOpen = Math.max(0, Duration.between(now, view.definition().startsAt()).toSeconds());
      return waiting(null, phase == SalePhase.UPCOMING ? untilOpen : null, untilOpen);
    }
    wakeIfQuiet(view.saleId(), line, now, phase);
    long rank = line.rankOf(ticket.place());
    if (rank >= line.admittedThrough()) {
      long ahead = line.ahead(rank);
      double rate = line.counts().admittedPerSecond();
      if (rate <= 0) rate = room.admitPerSecond();
      boolean moving = phase == SalePhase.OPEN && !switches.paused(view.saleId());
      // the wait shown is at the recent pace; polls follow the soonest the buyer can be let in (the
      // room's full pace), so a buyer let in learns it soon and does not hold an active slot unaware
      return waiting(ahead, moving ? (long) Math.ceil(ahead / rate) : null, (long) Math.ceil(ahead / (double) room.admitPerSecond()));
    }
    OptionalLong at = line.admittedAt(rank);
    long expires = at.isPresent() ? at.getAsLong() + room.admissionTtl().toMillis() : 0;
    // the sale stopped (paused, sold out) after letting this buyer in: the admission does not run
    // out meanwhile, and the line moves it on by the stop once the sale sells again
    if (at.isPresent() && line.stoppedSinceMillis() > 0) expires += Math.max(0, now.toEpochMilli() - line.stoppedSinceMillis());
    if (expires <= now.toEpochMilli()) return new QueueAnswer(null, "EXPIRED", null, null, null, null, null);
    if (seenAdmitted.asMap().putIfAbsent(view.saleId() + '|' + rank, Boolean.TRUE) == null) {
      long wait = Math.max(0, at.getAsLong() - ticket.joinedAt());
      waitSeconds.labelValues(view.saleId()).observe(wait / 1000.0);
      waits.computeIfAbsent(view.saleId(), id -> new WaitSamples()).add(wait);
    }
    String token = signer.sign(ADMISSION, new AdmissionClaims(view.saleId(), ticket.buyer(), rank, expires));
    return new QueueAnswer(null, "ADMITTED", 0L, 0L, null, token, Instant.ofEpochMilli(expires));
  }

  /** Waiting, with a poll after a quarter of {@code soonestSeconds} (within the configured bounds) plus jitter. */
  private QueueAnswer waiting(Long ahead, Long etaSeconds, long soonestSeconds) {
    long quarter = soonestSeconds / 4;
    long base = Math.max(settings.pollMin().toSeconds(), Math.min(settings.pollMax().toSeconds(), quarter));
    long jitter = Math.round(base * settings.pollJitter() * ThreadLocalRandom.current().nextDouble());
    return new QueueAnswer(null, "WAITING", ahead, etaSeconds, (int) (base + jitter), null, null);
  }

  /**
   * A line that has gone quiet while its sale is on (its node restarted, its shard moved) is woken
   * by the next poll: polls never reach the line otherwise. At most once per publish interval per node.
   */
  private void wakeIfQuiet(String saleId, LineView line, Instant now, SalePhase phase) {
    if (phase == SalePhase.ENDED || phase == SalePhase.CLOSED) return;
    long nowMillis = now.toEpochMilli();
    long quiet = 3 * settings.publishInterval().toMillis();
    if (line != null && nowMillis - line.publishedAtMillis() < quiet) return;
    Long last = wokenAt.get(saleId);
    if (last != null && nowMillis - last < quiet) return;
    wokenAt.put(saleId, nowMillis);
    sharding.entityRefFor(WaitingLine.ENTITY_KEY, saleId).tell(new WaitingLine.Wake(nowMillis));
  }

  // ---------------------------------------------------------------- the reserve's check

  /**
   * Whether a reserve may pass the room: yes when the sale has none, else only with a valid,
   * unexpired admission token of this sale and buyer that no other request used on this node (the
   * first request to present it takes it; that request's retries pass again until the sale refuses
   * it, see {@link TokenUses}).
   */
  public Admission admit(String saleId, SaleDefinition definition, String buyer, String requestId, Optional<String> token) {
    if (roomOf(definition, saleId).isEmpty()) return Passed.NO_ROOM;
    if (token.isEmpty() || token.get().isBlank()) {
      return new Refused("admission_required", "this sale has a waiting room: POST /api/sales/" + saleId
          + "/queue, then reserve with the admission token once admitted");
    }
    Optional<AdmissionClaims> read = signer.verify(ADMISSION, token.get().trim(), AdmissionClaims.class);
    if (read.isEmpty() || !saleId.equals(read.get().sale()) || !buyer.equals(read.get().buyer()))
      return new Refused("admission_invalid", "the admission token was not issued for this sale and buyer");
    AdmissionClaims claims = read.get();
    if (clock.millis() >= claims.expires())
      return new Refused("admission_expired", "the admission token expired; join the queue again", true);
    if (used.claim(saleId + '|' + claims.rank(), requestId) == TokenUses.Claim.SPENT)
      return new Refused("admission_used", "the admission token was used by another request; join the queue again");
    return new Passed(saleId, claims.rank());
  }

  /**
   * After the reserve's answer: an answer from the sale ends the admission and frees its place among
   * the active; a refusal also spends the token for retries. No answer leaves both as they were.
   */
  public void settle(Passed passed, Answer answer) {
    if (passed.saleId() == null || answer == Answer.NONE) return;
    if (answer == Answer.REFUSED) used.refused(passed.saleId() + '|' + passed.rank());
    if (passed.rank() < 0) return; // a bypass: never in the line
    finished.computeIfAbsent(passed.saleId(), id -> new ConcurrentLinkedQueue<>()).add(passed.rank());
  }

  private void flushFinished() {
    finished.forEach((saleId, queue) -> {
      java.util.List<Long> ranks = new java.util.ArrayList<>();
      Long rank;
      while (ranks.size() < 10_000 && (rank = queue.poll()) != null) ranks.add(rank);
      if (!ranks.isEmpty()) sharding.entityRefFor(WaitingLine.ENTITY_KEY, saleId).tell(new WaitingLine.Finished(ranks));
    });
  }
}
