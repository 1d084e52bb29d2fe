package seckill.sale;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.StreamSupport;
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
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import seckill.metrics.Metrics;
import seckill.sale.SaleState.Lifecycle;
import seckill.serialization.CborSerializable;

/**
 * Every node's local copy of every sale's definition, lifecycle and available units, replicated
 * with Distributed Data from what the sale entities tell it. The edge answers status requests and
 * early rejects from here without asking an entity; the numbers may lag the entity by a moment.
 */
public final class SaleViews implements Extension {

  /** One per actor system; the readiness check finds the node's views through it. */
  public static final class Id extends AbstractExtensionId<SaleViews> implements ExtensionIdProvider {
    @Override
    public SaleViews createExtension(ExtendedActorSystem system) {
      return new SaleViews(Adapter.toTyped(system));
    }

    @Override
    public Id lookup() {
      return ID;
    }
  }

  public static final Id ID = new Id();

  /** A replicated entry; one type for both maps, so one replicator adapter serves both keys. */
  public sealed interface Entry extends CborSerializable {
    long version();
  }

  /** What changes rarely: the definition and the lifecycle. */
  public record Listing(SaleDefinition definition, Lifecycle lifecycle, long version) implements Entry {}

  /** What changes with every batch: the units left. */
  public record Stock(int available, int sold, int held, long version) implements Entry {}

  /** One sale as this node's copy has it: what the edge answers from without asking the entity. */
  public record LocalCopy(String saleId, SaleDefinition definition, Lifecycle lifecycle, int available) {
    public SalePhase phase(Instant now) {
      return SalePhase.of(lifecycle, definition, now);
    }
  }

  static final Key<LWWMap<String, Entry>> LISTINGS = LWWMapKey.create("sale-listings");
  static final Key<LWWMap<String, Entry>> STOCK = LWWMapKey.create("sale-stock");

  private final Map<String, Listing> listings = new ConcurrentHashMap<>();
  private final Map<String, Stock> available = new ConcurrentHashMap<>();
  private final ActorRef<Sale.ViewChanged> publisher;
  // until both maps were read from a majority, a new node would miss sales that exist: not ready
  private volatile boolean synced;

  /** How long the first read of the views from a majority may take before it is tried again. */
  private final Duration readTimeout;

  private SaleViews(ActorSystem<?> system) {
    this.readTimeout = system.settings().config().getDuration("seckill.views.read-timeout");
    this.publisher = system.systemActorOf(behavior(), "sale-views", Props.empty()).narrow();
    GaugeWithCallback.builder().name("seckill_sale_units").help("A sale's units by state, from this node's view")
        .labelNames("sale", "state").callback(cb -> stock().forEach((sale, units) -> {
          cb.call(units.available(), sale, "available");
          cb.call(units.sold(), sale, "sold");
          cb.call(units.held(), sale, "held");
        })).register(Metrics.get(system).registry());
  }

  public static SaleViews get(ActorSystem<?> system) {
    return ID.get(Adapter.toClassic(system));
  }

  /** True once this node has read every sale from a majority of the cluster. */
  public boolean synced() {
    return synced;
  }

  /** Where sale entities on this node send their changes. */
  public ActorRef<Sale.ViewChanged> publisher() {
    return publisher;
  }

  /** Every sale's latest stock figures as this node sees them (for metrics). */
  public Map<String, Stock> stock() {
    return Collections.unmodifiableMap(available);
  }

  /**
   * True when the sale surely does not exist: this node has read the views and none lists it.
   * Asking such a sale would start, and with remember-entities keep, an entity for a made-up id.
   */
  public boolean surelyUnknown(String saleId) {
    return synced && !listings.containsKey(saleId);
  }

  /** A sale in the operators' list: its definition, phase and units as this node sees them. */
  public record Summary(String saleId, String item, SaleJson.ShownPhase phase, int stock, int available, int sold, int held,
      Instant startsAt, Instant endsAt) {}

  /** Every sale this node knows, by id. */
  public List<Summary> summaries(Instant now) {
    return listings.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> {
      Listing l = e.getValue();
      Stock s = available.get(e.getKey());
      int stock = l.definition().stock();
      return new Summary(e.getKey(), l.definition().item(),
          SaleJson.ShownPhase.of(SalePhase.of(l.lifecycle(), l.definition(), now), s == null ? stock : s.available()),
          s == null ? stock : s.available() + s.sold() + s.held(), s == null ? stock : s.available(),
          s == null ? 0 : s.sold(), s == null ? 0 : s.held(), l.definition().startsAt(), l.definition().endsAt());
    }).toList();
  }

  public Optional<LocalCopy> get(String saleId) {
    Listing listing = listings.get(saleId);
    if (listing == null) return Optional.empty();
    Stock stock = available.get(saleId);
    return Optional.of(new LocalCopy(saleId, listing.definition(), listing.lifecycle(),
        stock == null ? listing.definition().stock() : stock.available()));
  }

  // ---------------------------------------------------------------- the replicating actor

  /** The actor takes {@link Sale.ViewChanged} from entities and its own replicator answers. */
  private interface Msg {}

  private record Replicated(Replicator.SubscribeResponse<LWWMap<String, Entry>> response) implements Msg {}

  private record Ignored(Object response) implements Msg {}

  private record FirstRead(Key<LWWMap<String, Entry>> key, Replicator.GetResponse<LWWMap<String, Entry>> response)
      implements Msg {}

  private record ReadAgain(Key<LWWMap<String, Entry>> key) implements Msg {}

  /** Version is the entity's sequence number: newer always wins, whichever node wrote it. */
  private static final LWWRegister.Clock<Entry> VERSION = (current, value) -> value.version();

  private Behavior<Object> behavior() {
    Behavior<Object> inner = Behaviors.setup(ctx -> DistributedData.withReplicatorMessageAdapter(
        (ReplicatorMessageAdapter<Object, LWWMap<String, Entry>> replicator) -> {
          SelfUniqueAddress self = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
          replicator.subscribe(LISTINGS, Replicated::new);
          replicator.subscribe(STOCK, Replicated::new);
          Set<Key<LWWMap<String, Entry>>> unread = new HashSet<>(List.of(LISTINGS, STOCK));
          // read once this node is Up, from a majority that includes another node whenever there is one:
          // before joining, a "majority" is this node alone and would find nothing
          Consumer<Key<LWWMap<String, Entry>>> read = key -> {
            Cluster cluster = Cluster.get(Adapter.toClassic(ctx.getSystem()));
            long up = StreamSupport.stream(cluster.state().getMembers().spliterator(), false)
                .filter(m -> m.status() == MemberStatus.up()).count();
            int minCap = up > 1 ? 2 : 1;
            replicator.askGet(
                replyTo -> new Replicator.Get<>(key, new Replicator.ReadMajority(readTimeout, minCap), replyTo),
                response -> new FirstRead(key, response));
          };
          // the callback runs on another thread: it may only send, so the actor ref and keys are taken here
          ActorRef<Object> me = ctx.getSelf();
          List<Key<LWWMap<String, Entry>>> keys = List.copyOf(unread);
          Cluster.get(Adapter.toClassic(ctx.getSystem()))
              .registerOnMemberUp(() -> keys.forEach(k -> me.tell(new ReadAgain(k))));
          Map<String, Listing> lastListing = new HashMap<>();
          Map<String, Long> lastStockVersion = new HashMap<>();
          return Behaviors.receive(Object.class)
              .onMessage(Sale.ViewChanged.class, v -> {
                Listing listing = new Listing(v.definition(), v.lifecycle(), v.version());
                Listing previous = lastListing.get(v.saleId());
                if (previous == null || !previous.definition().equals(listing.definition())
                    || previous.lifecycle() != listing.lifecycle()) {
                  lastListing.put(v.saleId(), listing);
                  listings.merge(v.saleId(), listing, SaleViews::newer); // seen here at once; other nodes by gossip
                  write(replicator, self, LISTINGS, v.saleId(), listing);
                }
                Long seen = lastStockVersion.get(v.saleId());
                if (seen == null || seen < v.version()) {
                  lastStockVersion.put(v.saleId(), v.version());
                  Stock stock = new Stock(v.available(), v.sold(), v.held(), v.version());
                  available.merge(v.saleId(), stock, SaleViews::newer);
                  write(replicator, self, STOCK, v.saleId(), stock);
                }
                return Behaviors.same();
              })
              .onMessage(Replicated.class, r -> {
                if (r.response() instanceof Replicator.Changed<LWWMap<String, Entry>> changed) {
                  changed.dataValue().getEntries().forEach((id, entry) -> {
                    if (entry instanceof Listing l) listings.merge(id, l, SaleViews::newer);
                    if (entry instanceof Stock st) available.merge(id, st, SaleViews::newer);
                  });
                }
                return Behaviors.same();
              })
              .onMessage(FirstRead.class, f -> {
                if (f.response() instanceof Replicator.GetSuccess<LWWMap<String, Entry>> ok) {
                  ok.get(f.key()).getEntries().forEach((id, entry) -> {
                    if (entry instanceof Listing l) listings.merge(id, l, SaleViews::newer);
                    if (entry instanceof Stock st) available.merge(id, st, SaleViews::newer);
                  });
                } else if (!(f.response() instanceof Replicator.NotFound)) {
                  // no majority reachable yet (still joining): read again shortly
                  ctx.scheduleOnce(readTimeout, ctx.getSelf(), new ReadAgain(f.key()));
                  return Behaviors.same();
                }
                unread.remove(f.key());
                if (unread.isEmpty()) synced = true;
                return Behaviors.same();
              })
              .onMessage(ReadAgain.class, r -> {
                read.accept(r.key());
                return Behaviors.same();
              })
              .onMessage(Ignored.class, i -> Behaviors.same())
              .build();
        }));
    return Behaviors.supervise(inner).onFailure(SupervisorStrategy.restart());
  }

  /** A replicated value may be older than one this node just wrote itself: keep the newer. */
  private static <E extends Entry> E newer(E current, E candidate) {
    return candidate.version() >= current.version() ? candidate : current;
  }

  private static void write(ReplicatorMessageAdapter<Object, LWWMap<String, Entry>> replicator, SelfUniqueAddress self,
      Key<LWWMap<String, Entry>> key, String saleId, Entry entry) {
    replicator.askUpdate(
        replyTo -> new Replicator.Update<>(key, LWWMap.empty(), Replicator.writeLocal(), replyTo,
            map -> map.put(self, saleId, entry, VERSION)),
        Ignored::new);
  }
}
