package seckill.switches;

import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.Route;
import seckill.http.JsonDirectives;

/**
 * The operator's brakes, applied by every feature's routes: each checks this node's copy of the
 * switches when the request arrives (no ask) and answers 503 with Retry-After when braked.
 */
public final class SwitchDirectives extends JsonDirectives {

  private final Switches switches;
  private final long retryAfterSeconds;

  public SwitchDirectives(ActorSystem<?> system) {
    super(system);
    this.switches = Switches.get(system);
    this.retryAfterSeconds = Math.max(1, system.settings().config().getDuration("seckill.switches.retry-after").toSeconds());
  }

  /** Passes unless read-only mode is on: for anything that changes a sale or a reservation. */
  public Route writable(Supplier<Route> inner) {
    return extractRequestContext(ctx -> switches.readOnly()
        ? braked("read_only", "the service is read-only for now; reading still works")
        : inner.get());
  }

  /** Passes unless the operator turned {@code feature} off (one of {@link SwitchValues#FEATURES}). */
  public Route feature(String feature, Supplier<Route> inner) {
    return extractRequestContext(ctx -> switches.featureOff(feature)
        ? braked("feature_off", feature + " is turned off for now")
        : inner.get());
  }

  /** Passes a reserve unless its sale (or every sale) is paused or the service is read-only. */
  public Route reservable(String saleId, Supplier<Route> inner) {
    return extractRequestContext(ctx -> reserveBrake(saleId).map(b -> braked(b.code(), b.message())).orElseGet(inner));
  }

  /** An operator's brake on a request: 503 with this code, message and Retry-After. */
  public record Brake(String code, String message, long retryAfterSeconds) {}

  /** Why a reserve on {@code saleId} is braked right now (its sale or every sale paused, read-only), or empty. */
  public java.util.Optional<Brake> reserveBrake(String saleId) {
    if (switches.paused(saleId)) {
      return java.util.Optional.of(new Brake("paused", "sale " + saleId + " is paused for now; its status is still served",
          retryAfterSeconds));
    }
    if (switches.readOnly()) {
      return java.util.Optional.of(new Brake("read_only", "the service is read-only for now; reading still works",
          retryAfterSeconds));
    }
    return java.util.Optional.empty();
  }

  private Route braked(String code, String message) {
    return respondWithHeader(RetryAfter.create(retryAfterSeconds),
        () -> error(StatusCodes.SERVICE_UNAVAILABLE, code, message));
  }
}
