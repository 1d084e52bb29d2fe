package seckill.switches;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToIntFunction;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.LWWRegisterKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import seckill.metrics.Metrics;

/**
 * This node's copy of the operator switches: an atomic reference the edge reads with no ask, kept
 * current by a Distributed Data subscription. At member-up the node asks the {@link Switchboard}
 * once (and again until it answers), because Distributed Data lives in memory only and is empty
 * after a full restart; until then the node is not ready.
 */
public final class Switches implements Extension {

  private static final Logger log = LoggerFactory.getLogger(Switches.class);

  /** One per actor system, so several nodes in one JVM keep their own copy. */
  public static final class Id extends AbstractExtensionId<Switches> implements ExtensionIdProvider {
    @Override
    public Switches createExtension(ExtendedActorSystem system) {
      return new Switches(Adapter.toTyped(system));
    }

    @Override
    public Id lookup() {
      return ID;
    }
  }

  public static final Id ID = new Id();

  static final Key<LWWRegister<Switchboard.State>> KEY = LWWRegisterKey.create("switches");

  /** The version orders states: whichever node writes, a later change always wins. */
  private static final LWWRegister.Clock<Switchboard.State> VERSION = (current, value) -> value.version();

  private final AtomicReference<Switchboard.State> current = new AtomicReference<>(Switchboard.State.EMPTY);
  private volatile boolean loaded;
  private final long retryAfterSeconds;

  private Switches(ActorSystem<?> system) {
    this.retryAfterSeconds = Math.max(1, system.settings().config().getDuration("seckill.switches.retry-after").toSeconds());
    ActorRef<Object> copy = system.systemActorOf(behavior(system), "switches", Props.empty());
    // the switchboard's shard starts here, before this copy asks it at member-up: the readiness check
    // creates this extension before Main wires anything, and an ask that came first failed in a
    // restart loop ("Shard type [Switchboard] must be started first", thousands of ERRORs per start)
    Switchboard.init(system, copy.narrow());
    Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> copy.tell(new AskBoard()));
    registerGauges(system);
  }

  /** Gauges of this node's copy of the switches: what it enforces right now. */
  private void registerGauges(ActorSystem<?> system) {
    GaugeWithCallback.builder().name("seckill_switch").help("Operator switches as this node sees them (absent: config)")
        .labelNames("switch").callback(cb -> {
          Switchboard.State state = state();
          SwitchValues v = state.values();
          cb.call(state.version(), "version");
          cb.call(v.pauseAll() ? 1 : 0, "pauseAll");
          cb.call(v.pausedSales().size(), "pausedSales");
          cb.call(v.readOnly() ? 1 : 0, "readOnly");
          cb.call(v.disabledFeatures().size(), "disabledFeatures");
          cb.call(v.challengeDifficulty(), "challengeDifficulty");
          if (v.nodeRatePerSecond() != null) cb.call(v.nodeRatePerSecond(), "nodeRatePerSecond");
          if (v.queueSize() != null) cb.call(v.queueSize(), "queueSize");
          if (v.waitBudgetMillis() != null) cb.call(v.waitBudgetMillis(), "waitBudgetMillis");
        }).register(Metrics.get(system).registry());
  }

  /**
   * Starts this node's copy of the switches and the switchboard's shard (Main), unless the readiness
   * check already did: it reads the copy before Main wires anything.
   */
  public static Switches init(ActorSystem<?> system) {
    return get(system);
  }

  public static Switches get(ActorSystem<?> system) {
    return ID.get(Adapter.toClassic(system));
  }

  /** The switchboard as this node last saw it: values, who set them, recent changes. */
  public Switchboard.State state() {
    return current.get();
  }

  public SwitchValues values() {
    return current.get().values();
  }

  /** True once this node has the journal's switches (asked at start), so it will not miss a pause. */
  public boolean loaded() {
    return loaded;
  }

  public boolean paused(String saleId) {
    return current.get().values().paused(saleId);
  }

  public boolean readOnly() {
    return current.get().values().readOnly();
  }

  public boolean featureOff(String feature) {
    return current.get().values().featureOff(feature);
  }

  /** An operator's brake on a request: answered 503 with this code and message, and {@link #retryAfterSeconds()}. */
  public record Brake(String code, String message) {}

  private static final Brake READ_ONLY = new Brake("read_only", "the service is read-only for now; reading still works");

  /** Why a reserve on {@code saleId} is braked right now (its sale or every sale paused, read-only), or empty. */
  public Optional<Brake> reserveBrake(String saleId) {
    if (paused(saleId)) {
      return Optional.of(new Brake("paused", "sale " + saleId + " is paused for now; its status is still served"));
    }
    return writeBrake();
  }

  /** Read-only mode, which brakes anything that changes a sale or a reservation, or empty. */
  public Optional<Brake> writeBrake() {
    return readOnly() ? Optional.of(READ_ONLY) : Optional.empty();
  }

  /** The Retry-After of a braked request (seckill.switches.retry-after). */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** The challenge difficulty at runtime over the startup config ({@link SwitchValues#difficultyFor}). */
  public ToIntFunction<String> challengeDifficulty(ToIntFunction<String> configured) {
    return saleId -> current.get().values().difficultyFor(saleId, configured.applyAsInt(saleId));
  }

  /** Takes {@code candidate} when it is newer than what this node has; any thread may call it. */
  public void offer(Switchboard.State candidate) {
    Switchboard.State before = current.getAndUpdate(c -> candidate.version() > c.version() ? candidate : c);
    if (candidate.version() > before.version()) {
      log.info("switches at version {}: {}", candidate.version(), candidate.values());
    }
  }

  // ---------------------------------------------------------------- the replicating actor

  private interface Msg {}

  private record Replicated(Replicator.SubscribeResponse<LWWRegister<Switchboard.State>> response) implements Msg {}

  private record Written(Replicator.UpdateResponse<LWWRegister<Switchboard.State>> response) implements Msg {}

  private record AskBoard() implements Msg {}

  private record Answered(Switchboard.State state, Throwable failure) implements Msg {}

  private Behavior<Object> behavior(ActorSystem<?> system) {
    var config = system.settings().config().getConfig("seckill.switches");
    Duration writeTimeout = config.getDuration("write-timeout");
    Duration askTimeout = config.getDuration("ask-timeout");
    Behavior<Object> inner = Behaviors.setup(ctx -> DistributedData.withReplicatorMessageAdapter(
        (ReplicatorMessageAdapter<Object, LWWRegister<Switchboard.State>> replicator) -> {
          SelfUniqueAddress self = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
          replicator.subscribe(KEY, Replicated::new);
          return Behaviors.receive(Object.class)
              .onMessage(Switchboard.State.class, state -> {
                offer(state);
                // WriteAll, not WriteMajority: a majority write sends to a majority first and leaves the
                // rest to gossip (2 s rounds); a switch must reach every node within a second. A node that
                // does not answer in time only makes this time out: the others have it, gossip brings it later
                replicator.askUpdate(
                    replyTo -> new Replicator.Update<>(KEY, LWWRegister.create(self, state, VERSION),
                        new Replicator.WriteAll(writeTimeout), replyTo,
                        register -> register.withValue(self, state, VERSION)),
                    Written::new);
                return Behaviors.same();
              })
              .onMessage(Replicated.class, r -> {
                if (r.response() instanceof Replicator.Changed<LWWRegister<Switchboard.State>> changed) {
                  offer(changed.get(KEY).getValue());
                }
                return Behaviors.same();
              })
              .onMessage(Written.class, w -> {
                if (!(w.response() instanceof Replicator.UpdateSuccess)) {
                  log.warn("switches not yet on every node ({}); gossip spreads them", w.response().getClass().getSimpleName());
                }
                return Behaviors.same();
              })
              .onMessage(AskBoard.class, a -> {
                ctx.pipeToSelf(ClusterSharding.get(ctx.getSystem())
                    .entityRefFor(Switchboard.ENTITY_KEY, Switchboard.ID)
                    .ask(Switchboard.Get::new, askTimeout), Answered::new);
                return Behaviors.same();
              })
              .onMessage(Answered.class, a -> {
                if (a.failure() != null) {
                  log.info("switchboard did not answer yet ({}); asking again", a.failure().getMessage());
                  ctx.scheduleOnce(askTimeout, ctx.getSelf(), new AskBoard());
                } else {
                  offer(a.state());
                  loaded = true;
                }
                return Behaviors.same();
              })
              .build();
        }));
    return Behaviors.supervise(inner).onFailure(SupervisorStrategy.restart());
  }
}
