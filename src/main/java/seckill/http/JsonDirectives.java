package seckill.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.io.IOException;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import seckill.auth.BuyerTokens;
import java.util.concurrent.CompletionStage;
import seckill.sale.Sale;
import seckill.sale.SaleJson;

/** Directives shared by every route class: strict JSON bodies, JSON answers, bearer checks. */
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
      } catch (MismatchedInputException e) {
        return error(StatusCodes.BAD_REQUEST, "invalid_body", describe(e));
      } catch (JsonProcessingException e) {
        return error(StatusCodes.BAD_REQUEST, "malformed_json", "body is not valid JSON: " + e.getOriginalMessage());
      } catch (IOException e) {
        return error(StatusCodes.BAD_REQUEST, "malformed_json", "body cannot be read");
      }
      if (value == null) return error(StatusCodes.BAD_REQUEST, "invalid_body", "body must be a JSON object");
      return inner.apply(value);
    });
  }

  private static String describe(MismatchedInputException e) {
    String field = e.getPath().stream()
        .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
        .reduce((a, b) -> a + "." + b)
        .orElse(null);
    String detail = e.getOriginalMessage();
    int cut = detail.indexOf('\n');
    if (cut > 0) detail = detail.substring(0, cut);
    return field == null ? "body does not match: " + detail : "field '" + field + "' is invalid: " + detail;
  }

  protected Route json(StatusCode status, Object body) {
    return complete(status, body, Json.marshaller());
  }

  protected Route error(StatusCode status, String code, String message) {
    return json(status, new ApiError(code, message));
  }

  /** Too busy or an entity did not answer in time: come back later, nothing changed. */
  protected Route unavailable(String message) {
    return respondWithHeader(RetryAfter.create(retryAdvice.seconds()),
        () -> error(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", message));
  }

  /** Maps an entity's refusal to its status code: the one table of reasons to HTTP. */
  protected Route rejected(Sale.Rejected rejected) {
    return error(statusOf(rejected.reason()), rejected.reason().name().toLowerCase(), rejected.message());
  }

  static StatusCode statusOf(Sale.Reason reason) {
    return switch (reason) {
      case SALE_NOT_FOUND, RESERVATION_NOT_FOUND -> StatusCodes.NOT_FOUND;
      case INVALID_DEFINITION, INVALID_QUANTITY, INVALID_STOCK -> StatusCodes.BAD_REQUEST;
      case SOLD_OUT -> StatusCodes.GONE;
      case ALREADY_STARTED, NOT_OPEN, PAUSED, ENDED, CLOSED, LIMIT_REACHED, NOT_CANCELLABLE,
          RESERVATION_EXPIRED, RESERVATION_CANCELLED, ALREADY_PAID, PAYMENT_FAILED, TOO_MANY_RESERVATIONS -> StatusCodes.CONFLICT;
    };
  }

  protected Route saleNotFound(String saleId) {
    return error(StatusCodes.NOT_FOUND, "sale_not_found", "no sale " + saleId);
  }

  /** A sale's answer about one reservation: 200 with it, or the refusal's status. */
  protected Route reservationAnswer(CompletionStage<Sale.ReservationReply> reply) {
    return onSuccess(reply, r -> r instanceof Sale.ReservationResult found
        ? json(StatusCodes.OK, SaleJson.ReservationView.of(found.reservation()))
        : rejected((Sale.Rejected) r));
  }

  /** The buyer named by a valid bearer token, or 401. */
  protected Route buyer(BuyerTokens tokens, Function<String, Route> inner) {
    return optionalHeaderValueByName("Authorization", header -> {
      Optional<String> buyer = bearer(header).flatMap(tokens::buyerOf);
      if (buyer.isEmpty()) {
        String message = header.isPresent() ? "bearer token is invalid or expired" : "a bearer token is required";
        return unauthorized(message);
      }
      return inner.apply(buyer.get());
    });
  }

  /** Passes only requests carrying the operator's admin token, else 401. */
  protected Route admin(String adminToken, Supplier<Route> inner) {
    return optionalHeaderValueByName("Authorization", header -> {
      boolean ok = bearer(header)
          .map(t -> MessageDigest.isEqual(t.getBytes(StandardCharsets.UTF_8), adminToken.getBytes(StandardCharsets.UTF_8)))
          .orElse(false);
      return ok ? inner.get() : unauthorized(header.isPresent() ? "admin token is invalid" : "an admin bearer token is required");
    });
  }

  private Route unauthorized(String message) {
    HttpHeader challenge = WWWAuthenticate.create(HttpChallenge.createOAuth2("seckill"));
    return respondWithHeader(challenge, () -> error(StatusCodes.UNAUTHORIZED, "unauthorized", message));
  }

  private static Optional<String> bearer(Optional<String> header) {
    return header.filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7)).map(h -> h.substring(7).trim());
  }
}
