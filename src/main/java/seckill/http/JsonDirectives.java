package seckill.http;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** Directives shared by every route class, knowing no feature: strict JSON bodies, JSON answers, the 503. */
public abstract class JsonDirectives extends AllDirectives {

  protected final Duration askTimeout;
  private final RetryAdvice retryAdvice;
  private final long maxBodyBytes;

  protected JsonDirectives(ActorSystem<?> system) {
    var http = system.settings().config().getConfig("seckill.http");
    this.askTimeout = http.getDuration("ask-timeout");
    this.retryAdvice = RetryAdvice.get(system);
    this.maxBodyBytes = http.getBytes("max-body-bytes");
  }

  /**
   * Parses the body as {@code type}; a body that is not declared {@code application/json} answers
   * 415, malformed JSON or wrong types 400, oversize bodies 413.
   */
  protected <T> Route jsonBody(Class<T> type, Function<T, Route> inner) {
    return extractRequestEntity(declared -> {
      if (!declared.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
        return error(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "the body must be application/json");
      }
      return declared.getContentLengthOption().orElse(0L) > maxBodyBytes
          ? error(StatusCodes.PAYLOAD_TOO_LARGE, "payload_too_large", "request body is over " + maxBodyBytes + " bytes")
          : parsed(type, inner);
    });
  }

  private <T> Route parsed(Class<T> type, Function<T, Route> inner) {
    return extractStrictEntity(askTimeout, maxBodyBytes, entity -> {
      T value;
      try {
        value = Json.MAPPER.readValue(entity.getData().toArray(), type);
      } catch (IOException e) {
        ApiError refused = BodyErrors.of(e);
        return error(StatusCodes.BAD_REQUEST, refused.error(), refused.message());
      }
      if (value == null) return error(StatusCodes.BAD_REQUEST, "invalid_body", "body must be a JSON object");
      return inner.apply(value);
    });
  }

  protected Route json(StatusCode status, Object body) {
    return complete(status, body, Json.marshaller());
  }

  protected Route error(StatusCode status, String code, String message) {
    return complete(new ApiError(code, message).response(status));
  }

  /** Too busy or an entity did not answer in time: come back later, nothing changed. */
  protected Route unavailable(String message) {
    return respondWithHeader(RetryAfter.create(retryAdvice.seconds()),
        () -> error(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", message));
  }

}
