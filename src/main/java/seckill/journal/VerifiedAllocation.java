package seckill.journal;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/**
 * Where the coordinator puts a shard: on the region with the fewest shards among the nodes that
 * write to the coordinator's journal ({@link SharedJournal}), never on one that does not. Shards are
 * never rebalanced while their nodes run: each move is a 1-2 s outage of its sales, and a restarted
 * node used to take a live sale back. A leaving node still hands its shards off, and new sales go to
 * the least loaded node; the cost is that a restarted node hosts only sales started after it.
 */
public final class VerifiedAllocation extends ShardCoordinator.AbstractShardAllocationStrategy {

  private final ActorSystem<?> system;
  private static final Logger log = LoggerFactory.getLogger(VerifiedAllocation.class);

  private final SharedJournal journal;
  private final Duration poll;
  private final Duration patience;

  public VerifiedAllocation(ActorSystem<?> system) {
    this.system = system;
    this.journal = SharedJournal.get(system);
    var config = system.settings().config().getConfig("seckill.journal-identity");
    this.poll = config.getDuration("allocation-poll");
    this.patience = config.getDuration("allocation-patience");
  }

  @Override
  public Future<ActorRef> allocateShard(ActorRef requester, String shardId, Map<ActorRef, IndexedSeq<String>> current) {
    Optional<ActorRef> now = leastLoadedVerified(current);
    if (now.isPresent()) return Future.successful(allocated(shardId, now.get()));
    // at start the ids are still being read and spread: wait for them rather than fail the allocation
    CompletableFuture<ActorRef> later = new CompletableFuture<>();
    retry(shardId, current, later, System.nanoTime() + patience.toNanos());
    return FutureConverters.asScala(later);
  }

  private void retry(String shardId, Map<ActorRef, IndexedSeq<String>> current, CompletableFuture<ActorRef> later, long deadline) {
    system.scheduler().scheduleOnce(poll, () -> {
      Optional<ActorRef> found = leastLoadedVerified(current);
      if (found.isPresent()) later.complete(allocated(shardId, found.get()));
      else if (System.nanoTime() > deadline) later.completeExceptionally(new IllegalStateException("no node shares this journal yet"));
      else retry(shardId, current, later, deadline);
    }, system.executionContext());
  }

  /** A shard is allocated once per start of its node or failover: logged, so operators see where sales went. */
  private ActorRef allocated(String shardId, ActorRef region) {
    var address = region.path().address();
    log.info("shard {} allocated to {}", shardId,
        address.hasLocalScope() ? Cluster.get(system).selfMember().address() : address);
    return region;
  }

  private Optional<ActorRef> leastLoadedVerified(Map<ActorRef, IndexedSeq<String>> current) {
    ActorRef best = null;
    int fewest = Integer.MAX_VALUE;
    for (Map.Entry<ActorRef, IndexedSeq<String>> region : current.entrySet()) {
      if (journal.sharesJournalWith(region.getKey().path().address()) && region.getValue().size() < fewest) {
        best = region.getKey();
        fewest = region.getValue().size();
      }
    }
    return Optional.ofNullable(best);
  }

  @Override
  public Future<Set<String>> rebalance(Map<ActorRef, IndexedSeq<String>> current, Set<String> inProgress) {
    return Future.successful(Set.of());
  }
}
