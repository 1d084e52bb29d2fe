package seckill.switches;

import static org.apache.pekko.http.javadsl.server.Directives.extractRequestContext;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithHeader;
import static seckill.http.JsonAnswers.error;

import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The operator's brakes, applied by every feature's routes: each checks this node's copy of the
 * switches when the request arrives (no ask) and answers 503 with Retry-After when braked.
 */
public final class SwitchDirectives {

  private final Switches switches;

  public SwitchDirectives(ActorSystem<?> system) {
    this.switches = Switches.get(system);
  }

  /** Passes unless read-only mode is on: for anything that changes a sale or a reservation. */
  public Route writable(Supplier<Route> inner) {
    return extractRequestContext(ctx -> switches.writeBrake().map(this::braked).orElseGet(inner));
  }

  /** Passes unless the operator turned {@code feature} off (one of {@link SwitchValues#FEATURES}). */
  public Route feature(String feature, Supplier<Route> inner) {
    return extractRequestContext(ctx -> switches.featureOff(feature)
        ? braked(new Switches.Brake("feature_off", feature + " is turned off for now"))
        : inner.get());
  }

  private Route braked(Switches.Brake brake) {
    return respondWithHeader(RetryAfter.create(switches.retryAfterSeconds()),
        () -> error(StatusCodes.SERVICE_UNAVAILABLE, brake.code(), brake.message()));
  }
}
