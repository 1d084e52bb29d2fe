package seckill.waitingroom;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * This node's copy of every sale's line: each line publishes where it stands ({@link LineView}) to
 * every node through a topic, and a node keeps the newest it has heard, so polls need no ask.
 */
final class LineCopies {

  private final Map<String, LineView> lines = new ConcurrentHashMap<>();

  /** Starts the topic and this node's subscriber; a line tells the returned publisher where it stands. */
  ActorRef<LineView> start(ActorSystem<?> system) {
    ActorRef<Topic.Command<LineView>> topic = system.systemActorOf(Topic.create(LineView.class, "waiting-lines"),
        "waiting-lines-topic", Props.empty());
    system.systemActorOf(subscriber(topic), "waiting-lines", Props.empty());
    return system.systemActorOf(Behaviors.receive(LineView.class).onMessage(LineView.class, v -> {
      keep(v); // this node at once, the others through the topic
      topic.tell(Topic.publish(v));
      return Behaviors.same();
    }).build(), "waiting-lines-publisher", Props.empty());
  }

  private Behavior<LineView> subscriber(ActorRef<Topic.Command<LineView>> topic) {
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
  Optional<LineView> line(String saleId) {
    return Optional.ofNullable(lines.get(saleId));
  }

  void forEach(BiConsumer<String, LineView> action) {
    lines.forEach(action);
  }
}
