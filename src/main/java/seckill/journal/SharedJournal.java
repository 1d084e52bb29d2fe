package seckill.journal;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this node writes to the same journal as its cluster. Every node publishes its journal's
 * id ({@link JournalIdentity}) under its address in a replicated map; the oldest member's journal is
 * the cluster's. A node whose journal differs is never ready, is given no shard
 * ({@link VerifiedAllocation}) and stops with exit code 1: a node started without the database
 * settings once joined, wrote a fresh journal and took a live sale over, answering 404 for it.
 */
public final class SharedJournal implements Extension {

  private static final Logger log = LoggerFactory.getLogger(SharedJournal.class);
  private static final Key<LWWMap<String, String>> KEY = LWWMapKey.create("journal-identities");

  /** One per actor system. */
  public static final class Id extends AbstractExtensionId<SharedJournal> implements ExtensionIdProvider {
    @Override
    public SharedJournal createExtension(ExtendedActorSystem system) {
      return new SharedJournal(Adapter.toTyped(system));
    }

    @Override
    public Id lookup() {
      return ID;
    }
  }

  public static final Id ID = new Id();

  /** Why a node on another journal stops (exit code 1, persistence.conf). */
  public static final class WrongJournal implements CoordinatedShutdown.Reason {
    static final WrongJournal INSTANCE = new WrongJournal();
  }

  private final ActorSystem<?> system;
  private final Cluster cluster;
  private final AtomicReference<String> mine = new AtomicReference<>();
  private final AtomicReference<Map<String, String>> published = new AtomicReference<>(Map.of());
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final CompletableFuture<Void> verified = new CompletableFuture<>();

  private SharedJournal(ActorSystem<?> system) {
    this.system = system;
    this.cluster = Cluster.get(system);
    var config = system.settings().config().getConfig("seckill.journal-identity");
    Duration ask = config.getDuration("ask-timeout");
    ActorRef<JournalIdentity.Get> identity = system.systemActorOf(
        JournalIdentity.create(config.getDuration("backoff.min"), config.getDuration("backoff.max"),
            config.getDouble("backoff.random-factor")), "journal-identity",
        Props.empty());
    ActorRef<Object> publisher = system.systemActorOf(publisher(), "journal-identities", Props.empty());
    askUntilNamed(identity, ask, publisher);
    awaitVerified(config.getDuration("allocation-poll"));
  }

  public static SharedJournal get(ActorSystem<?> system) {
    return ID.get(Adapter.toClassic(system));
  }

  /**
   * Completes once this node knows it writes to the cluster's journal ({@link #agrees()}); never on a
   * node on another journal, which stops instead. Whatever serves or consumes starts after it.
   */
  public CompletionStage<Void> verified() {
    return verified;
  }

  /** Checks every {@code poll} until verified: the id, the replicated map and the members all move it. */
  private void awaitVerified(Duration poll) {
    if (agrees()) {
      log.info("this node's journal ({}) is the cluster's", mine.get());
      verified.complete(null);
    } else if (!system.whenTerminated().isCompleted() && !stopping.get()) {
      system.scheduler().scheduleOnce(poll, () -> awaitVerified(poll), system.executionContext());
    }
  }

  /** This node's journal id, once read. */
  public Optional<String> mine() {
    return Optional.ofNullable(mine.get());
  }

  /** True once this node knows it writes to the cluster's journal (the oldest member's). */
  public boolean agrees() {
    String own = mine.get();
    Optional<Member> oldest = oldestUp();
    if (own == null || oldest.isEmpty()) return false;
    if (oldest.get().address().equals(cluster.selfMember().address())) return true;
    return own.equals(published.get().get(oldest.get().address().toString()));
  }

  /** {@link #agrees()}, and when the cluster's journal is known to be another, stops this node. */
  public boolean agreesOrStops() {
    if (agrees()) return true;
    stopIfOnAnotherJournal();
    return false;
  }

  /** True when the node at {@code address} has published the same journal id as this node. */
  public boolean sharesJournalWith(Address address) {
    String own = mine.get();
    Address at = address.hasLocalScope() ? cluster.selfMember().address() : address;
    return own != null && (at.equals(cluster.selfMember().address()) || own.equals(published.get().get(at.toString())));
  }

  private Optional<Member> oldestUp() {
    Member oldest = null;
    for (Member m : cluster.state().getMembers()) {
      if (m.status() == MemberStatus.up() && (oldest == null || m.isOlderThan(oldest))) oldest = m;
    }
    return Optional.ofNullable(oldest);
  }

  private void askUntilNamed(ActorRef<JournalIdentity.Get> identity, Duration timeout, ActorRef<Object> publisher) {
    AskPattern.<JournalIdentity.Get, String>ask(identity, JournalIdentity.Get::new, timeout, system.scheduler())
        .whenComplete((id, failure) -> {
          if (id != null) {
            mine.set(id);
            publisher.tell(new Publish(id));
          } else if (!system.whenTerminated().isCompleted()) {
            // the ask already waited its timeout (a writer that lost the race answers only the next ask)
            askUntilNamed(identity, timeout, publisher);
          }
        });
  }

  private record Publish(String id) {}

  private record Changed(Replicator.SubscribeResponse<LWWMap<String, String>> response) {}

  private record Written(Replicator.UpdateResponse<LWWMap<String, String>> response) {}

  /** Keeps this node's entry in the replicated map and a local copy of the whole map; checks after each change. */
  private Behavior<Object> publisher() {
    return Behaviors.setup(ctx -> DistributedData.withReplicatorMessageAdapter(
        (ReplicatorMessageAdapter<Object, LWWMap<String, String>> replicator) -> {
          SelfUniqueAddress self = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
          String address = cluster.selfMember().address().toString();
          replicator.subscribe(KEY, Changed::new);
          return Behaviors.receive(Object.class)
              .onMessage(Publish.class, p -> {
                replicator.askUpdate(replyTo -> new Replicator.Update<>(KEY, LWWMap.empty(), Replicator.writeLocal(), replyTo,
                    map -> map.put(self, address, p.id())), Written::new);
                return Behaviors.same();
              })
              .onMessage(Changed.class, c -> {
                if (c.response() instanceof Replicator.Changed<LWWMap<String, String>> changed) {
                  published.set(Map.copyOf(changed.get(KEY).getEntries()));
                  stopIfOnAnotherJournal();
                }
                return Behaviors.same();
              })
              .onMessage(Written.class, w -> Behaviors.same())
              .build();
        }));
  }

  private void stopIfOnAnotherJournal() {
    String own = mine.get();
    Optional<Member> oldest = oldestUp();
    if (own == null || oldest.isEmpty() || oldest.get().address().equals(cluster.selfMember().address())) return;
    String clusters = published.get().get(oldest.get().address().toString());
    if (clusters != null && !clusters.equals(own) && stopping.compareAndSet(false, true)) {
      log.error("stopping: this node's journal ({}) is not the cluster's ({}, the journal of the oldest member {});"
          + " check SECKILL_DB_URL", own, clusters, oldest.get().address());
      CoordinatedShutdown.get(system).run(WrongJournal.INSTANCE);
    }
  }
}
