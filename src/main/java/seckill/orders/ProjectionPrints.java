package seckill.orders;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.projection.ProjectionBehavior;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Console;

/**
 * Sends what a projection prints to the log: pekko-projection-jdbc prints {@code # stop <projection>}
 * with Scala's {@code println} each time a projection stops (JdbcProjectionImpl, 1.0.0 to its main
 * branch, a leftover marked FIXME), and a node's stdout is its log. Scala's {@code Console.out} is
 * per thread, so it is replaced only while a projection's actor handles a message or signal, which is
 * where the library stops it; our own logging and every other thread keep the real stdout.
 */
final class ProjectionPrints extends BehaviorInterceptor<ProjectionBehavior.Command, ProjectionBehavior.Command> {

  private static final Logger log = LoggerFactory.getLogger(ProjectionPrints.class);
  private static final PrintStream LOGGED = new PrintStream(new LogLines(), true, StandardCharsets.UTF_8);

  private ProjectionPrints() {
    super(ProjectionBehavior.Command.class);
  }

  /** The projection's behavior, with its prints logged at DEBUG instead of written to stdout. */
  static Behavior<ProjectionBehavior.Command> logged(Behavior<ProjectionBehavior.Command> projection) {
    return Behaviors.intercept(ProjectionPrints::new, projection);
  }

  @Override
  public Behavior<ProjectionBehavior.Command> aroundReceive(TypedActorContext<ProjectionBehavior.Command> ctx,
      ProjectionBehavior.Command msg, ReceiveTarget<ProjectionBehavior.Command> target) {
    return Console.withOut(LOGGED, () -> target.apply(ctx, msg));
  }

  @Override
  public Behavior<ProjectionBehavior.Command> aroundSignal(TypedActorContext<ProjectionBehavior.Command> ctx,
      Signal signal, SignalTarget<ProjectionBehavior.Command> target) {
    return Console.withOut(LOGGED, () -> target.apply(ctx, signal));
  }

  /** Logs each line written to it, per thread, so lines of two actors never mix. */
  private static final class LogLines extends OutputStream {
    private final ThreadLocal<ByteArrayOutputStream> line = ThreadLocal.withInitial(ByteArrayOutputStream::new);

    @Override
    public void write(int b) {
      if (b != '\n') {
        line.get().write(b);
        return;
      }
      ByteArrayOutputStream buffer = line.get();
      String text = buffer.toString(StandardCharsets.UTF_8).stripTrailing();
      buffer.reset();
      if (!text.isEmpty()) log.debug("printed by the projection: {}", text);
    }
  }
}
