package seckill.http;

import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * A base for a routes class that inherits its directives: {@link JsonBodies}, {@link JsonAnswers}
 * and {@link RetryAdvice#unavailable} as its own methods. Routes and helpers compose those instead.
 */
public abstract class JsonDirectives extends AllDirectives {

  protected final Duration askTimeout;
  private final JsonBodies bodies;
  private final RetryAdvice retryAdvice;

  protected JsonDirectives(ActorSystem<?> system) {
    this.askTimeout = system.settings().config().getDuration("seckill.http.ask-timeout");
    this.bodies = new JsonBodies(system);
    this.retryAdvice = RetryAdvice.get(system);
  }

  protected <T> Route jsonBody(Class<T> type, Function<T, Route> inner) {
    return bodies.parse(type, inner);
  }

  protected Route json(StatusCode status, Object body) {
    return JsonAnswers.json(status, body);
  }

  protected Route error(StatusCode status, String code, String message) {
    return JsonAnswers.error(status, code, message);
  }

  protected Route unavailable(String message) {
    return retryAdvice.unavailable(message);
  }
}
