package seckill.auth;

import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithHeader;
import static seckill.http.JsonAnswers.error;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.Route;

/** Who is asking: the buyer of a bearer JWT, or the operator's admin token; 401 with a JSON body otherwise. */
public final class AuthDirectives {

  private AuthDirectives() {}

  /** The buyer named by a valid bearer token, or 401. */
  public static Route buyer(BuyerTokens tokens, Function<String, Route> inner) {
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
  public static Route admin(String adminToken, Supplier<Route> inner) {
    return optionalHeaderValueByName("Authorization", header -> {
      boolean ok = bearer(header)
          .map(t -> MessageDigest.isEqual(t.getBytes(StandardCharsets.UTF_8), adminToken.getBytes(StandardCharsets.UTF_8)))
          .orElse(false);
      return ok ? inner.get() : unauthorized(header.isPresent() ? "admin token is invalid" : "an admin bearer token is required");
    });
  }

  private static Route unauthorized(String message) {
    HttpHeader challenge = WWWAuthenticate.create(HttpChallenge.createOAuth2("seckill"));
    return respondWithHeader(challenge, () -> error(StatusCodes.UNAUTHORIZED, "unauthorized", message));
  }

  private static Optional<String> bearer(Optional<String> header) {
    return header.filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7)).map(h -> h.substring(7).trim());
  }
}
