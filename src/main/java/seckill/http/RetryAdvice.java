package seckill.http;

import static org.apache.pekko.http.javadsl.server.Directives.respondWithHeader;
import static seckill.http.JsonAnswers.error;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The Retry-After a 503 gives: the short one normally, and one that covers a failover while a member
 * is unreachable or was removed within the failover window. A sale whose node died answers again
 * only after the split brain resolver has downed the node and its shards have moved (about 20 s),
 * and a client that honours a 1 s Retry-After a dozen times would give up before that.
 */
public final class RetryAdvice implements Extension {

  /** One per actor system. */
  public static final class Id extends AbstractExtensionId<RetryAdvice> implements ExtensionIdProvider {
    @Override
    public RetryAdvice createExtension(ExtendedActorSystem system) {
      return new RetryAdvice(Adapter.toTyped(system));
    }

    @Override
    public Id lookup() {
      return ID;
    }
  }

  public static final Id ID = new Id();

  private final Cluster cluster;
  private final long normal;
  private final long duringFailover;
  private final long windowNanos;
  private final AtomicLong lastMemberLoss = new AtomicLong(System.nanoTime() - Long.MAX_VALUE / 2);

  private RetryAdvice(ActorSystem<?> system) {
    var http = system.settings().config().getConfig("seckill.http");
    this.normal = Math.max(1, http.getDuration("retry-after").toSeconds());
    this.duringFailover = Math.max(1, http.getDuration("failover-retry-after").toSeconds());
    this.windowNanos = http.getDuration("failover-window").toNanos();
    this.cluster = Cluster.get(Adapter.toClassic(system));
    Behavior<Object> stamp = Behaviors.receive(Object.class).onAnyMessage(lossOfAMember -> {
      lastMemberLoss.set(System.nanoTime());
      return Behaviors.same();
    }).build();
    cluster.subscribe(Adapter.toClassic(system.systemActorOf(stamp, "retry-advice", Props.empty())),
        ClusterEvent.initialStateAsEvents(), ClusterEvent.UnreachableMember.class, ClusterEvent.MemberRemoved.class);
  }

  public static RetryAdvice get(ActorSystem<?> system) {
    return ID.get(Adapter.toClassic(system));
  }

  /** Seconds a client should wait before it sends the same request again. */
  public long seconds() {
    boolean failingOver = !cluster.state().getUnreachable().isEmpty()
        || System.nanoTime() - lastMemberLoss.get() < windowNanos;
    return failingOver ? duringFailover : normal;
  }

  /** Too busy, or an entity did not answer in time: 503 {@code unavailable} with this Retry-After; nothing changed. */
  public Route unavailable(String message) {
    return respondWithHeader(RetryAfter.create(seconds()), () -> error(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", message));
  }

  /** A wait in nanoseconds as the whole seconds of a Retry-After: rounded up, at least 1. */
  public static long wholeSeconds(long nanos) {
    return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
  }
}
