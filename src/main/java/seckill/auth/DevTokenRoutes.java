package seckill.auth;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static seckill.http.JsonAnswers.error;
import static seckill.http.JsonAnswers.json;

import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import seckill.http.JsonBodies;

/** {@code POST /dev/tokens}: mints a buyer token for trying the API. Only bound in dev mode. */
public final class DevTokenRoutes {

  /** Request body. */
  public record TokenRequest(String buyer) {}

  /** Answer: the bearer token and when it expires. */
  public record TokenResponse(String buyer, String token, Instant expiresAt) {}

  private final BuyerTokens tokens;
  private final Duration ttl;
  private final JsonBodies bodies;

  public DevTokenRoutes(ActorSystem<?> system, BuyerTokens tokens) {
    this.bodies = new JsonBodies(system);
    this.tokens = tokens;
    this.ttl = system.settings().config().getDuration("seckill.auth.dev-token-ttl");
  }

  /** {@code POST /dev/tokens} in dev mode; nothing outside it. */
  public static Route init(ActorSystem<?> system, BuyerTokens tokens) {
    return system.settings().config().getBoolean("seckill.auth.dev-mode")
        ? new DevTokenRoutes(system, tokens).routes() : reject();
  }

  public Route routes() {
    return path(PathMatchers.segment("dev").slash("tokens"), () -> post(() -> bodies.parse(TokenRequest.class, body -> {
      if (!BuyerTokens.isValidBuyer(body.buyer()))
        return error(StatusCodes.BAD_REQUEST, "invalid_buyer", "buyer must be " + BuyerTokens.BUYER_RULE);
      if (!tokens.canMint())
        return error(StatusCodes.CONFLICT, "not_available", "dev tokens need an HS256 secret, but RS256 is configured");
      return json(StatusCodes.CREATED, new TokenResponse(body.buyer(), tokens.mint(body.buyer(), ttl), Instant.now().plus(ttl)));
    })));
  }
}
