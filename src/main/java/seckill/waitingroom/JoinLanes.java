package seckill.waitingroom;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.Status;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.dispatch.OnComplete;
import org.apache.pekko.pattern.PromiseRef;
import org.apache.pekko.util.Timeout;
import scala.concurrent.ExecutionContextExecutor;

/**
 * This node's joins on their way to their desks: one lane per desk with at most one batch out.
 * Whoever frees a lane (a join finding it idle, or the answer to its batch) sends the joins waiting
 * in it as one {@link JoinDesk.JoinBatch}, which the desk answers with one
 * {@link JoinDesk.JoinsAnswered}, so the joins of a burst go to their desk in a few messages. Per
 * batch one reply target, good for what is left of the oldest join's {@code join-timeout}: a join
 * waits for its desk no longer than it did as an ask of its own. A lane with nothing waiting is dropped.
 */
final class JoinLanes {

  private record Pending(JoinDesk.Joining join, CompletableFuture<JoinDesk.Answer> answer, long sinceNanos) {}

  /** The joins waiting and whether a batch of this lane is out; changed only inside the map's compute. */
  private static final class Lane {
    final List<Pending> waiting = new ArrayList<>();
    boolean sending;
  }

  private final ActorSystem<?> system;
  private final ExecutionContextExecutor executor;
  private final Function<String, RecipientRef<JoinDesk.Command>> desks;
  private final Duration joinTimeout;
  private final int maxBatch;
  private final ConcurrentHashMap<String, Lane> lanes = new ConcurrentHashMap<>();

  /** Lanes to the desks {@code desks} finds by id (the sharded desks, or a test's). */
  JoinLanes(ActorSystem<?> system, Function<String, RecipientRef<JoinDesk.Command>> desks, Duration joinTimeout,
      int maxBatch) {
    this.system = system;
    this.executor = system.executionContext();
    this.desks = desks;
    this.joinTimeout = joinTimeout;
    this.maxBatch = Math.max(1, maxBatch);
  }

  /** Queues a join for its desk; completes with the desk's answer, or fails when none came in time. */
  CompletionStage<JoinDesk.Answer> join(String deskId, JoinDesk.Joining join) {
    Pending pending = new Pending(join, new CompletableFuture<>(), System.nanoTime());
    List<List<Pending>> out = new ArrayList<>(1);
    lanes.compute(deskId, (id, lane) -> {
      Lane l = lane != null ? lane : new Lane();
      l.waiting.add(pending);
      if (!l.sending) {
        l.sending = true;
        out.add(take(l));
      }
      return l;
    });
    if (!out.isEmpty()) send(deskId, out.get(0));
    return pending.answer();
  }

  /** The batch of a lane came back: its next batch goes, or the lane is dropped when nothing waits. */
  private void freed(String deskId) {
    List<List<Pending>> out = new ArrayList<>(1);
    lanes.computeIfPresent(deskId, (id, lane) -> {
      if (lane.waiting.isEmpty()) return null;
      out.add(take(lane));
      return lane;
    });
    if (!out.isEmpty()) send(deskId, out.get(0));
  }

  /** Up to a batch of the lane's joins, oldest first. */
  private List<Pending> take(Lane lane) {
    int n = Math.min(maxBatch, lane.waiting.size());
    List<Pending> batch = new ArrayList<>(lane.waiting.subList(0, n));
    lane.waiting.subList(0, n).clear();
    return batch;
  }

  private void send(String deskId, List<Pending> batch) {
    long waited = System.nanoTime() - batch.get(0).sinceNanos();
    long left = joinTimeout.toNanos() - waited;
    if (left <= 0) {
      TimeoutException late = new TimeoutException("waited " + joinTimeout + " for desk " + deskId);
      batch.forEach(p -> p.answer().completeExceptionally(late));
      freed(deskId);
      return;
    }
    List<JoinDesk.Joining> joins = new ArrayList<>(batch.size());
    for (Pending p : batch) joins.add(p.join());
    PromiseRef<Object> promise = PromiseRef.apply(Adapter.toClassic(system), Timeout.create(Duration.ofNanos(left)));
    promise.future().onComplete(new OnComplete<Object>() {
      @Override
      public void onComplete(Throwable failure, Object reply) {
        List<JoinDesk.JoinAnswer> answers = failure == null ? ((JoinDesk.JoinsAnswered) reply).answers() : List.of();
        for (int i = 0; i < batch.size(); i++) {
          if (i < answers.size()) batch.get(i).answer().complete(answers.get(i).answer());
          else batch.get(i).answer().completeExceptionally(
              failure != null ? failure : new IllegalStateException("desk " + deskId + " answered " + answers.size() + " joins of " + batch.size()));
        }
        freed(deskId);
      }
    }, executor);
    ActorRef<JoinDesk.JoinsAnswered> answerTo = Adapter.toTyped(promise.ref());
    try {
      desks.apply(deskId).tell(new JoinDesk.JoinBatch(joins, answerTo));
    } catch (RuntimeException e) {
      answerTo.unsafeUpcast().tell(new Status.Failure(e)); // answers the batch's joins now, not at the timeout
    }
  }
}
