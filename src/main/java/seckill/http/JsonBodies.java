package seckill.http;

import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.extractStrictEntity;
import static seckill.http.JsonAnswers.error;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/** Strict JSON request bodies, within this node's size and read-time limits ({@code seckill.http}). */
public final class JsonBodies {

  private final Duration readTimeout;
  private final long maxBodyBytes;

  public JsonBodies(ActorSystem<?> system) {
    var http = system.settings().config().getConfig("seckill.http");
    this.readTimeout = http.getDuration("ask-timeout");
    this.maxBodyBytes = http.getBytes("max-body-bytes");
  }

  /**
   * Parses the body as {@code type}; a body that is not declared {@code application/json} answers
   * 415, malformed JSON or wrong types 400, oversize bodies 413.
   */
  public <T> Route parse(Class<T> type, Function<T, Route> inner) {
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
    return extractStrictEntity(readTimeout, maxBodyBytes, entity -> {
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
}
