package seckill.challenge;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static seckill.http.JsonAnswers.error;
import static seckill.http.JsonAnswers.json;

import java.time.Instant;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import seckill.auth.AuthDirectives;
import seckill.auth.BuyerTokens;
import seckill.http.JsonBodies;
import seckill.sale.SaleDefinition;
import seckill.sale.SaleIds;
import seckill.sale.SalePhase;
import seckill.sale.SaleReplies;
import seckill.sale.SaleViews;

/**
 * {@code GET /api/sales/{id}/challenge} hands an open sale's buyer a proof of work (a sale with a
 * waiting room: while its line takes joins); {@code POST} the solution to trade it for the access
 * token the reserve must carry, or with a waiting room the join.
 */
public final class ChallengeRoutes {

  /** {@code POST /api/sales/{id}/challenge}. */
  public record SolveRequest(String challenge, String solution, String requestId) {}

  private final SaleViews views;
  private final Challenges challenges;
  private final BuyerTokens tokens;
  private final JsonBodies bodies;

  public ChallengeRoutes(ActorSystem<?> system, SaleViews views, Challenges challenges, BuyerTokens tokens) {
    this.bodies = new JsonBodies(system);
    this.views = views;
    this.challenges = challenges;
    this.tokens = tokens;
  }

  public static Route init(ActorSystem<?> system, BuyerTokens tokens, Challenges challenges) {
    return new ChallengeRoutes(system, SaleViews.get(system), challenges, tokens).routes();
  }

  public Route routes() {
    return path(PathMatchers.segment("api").slash("sales").slash(PathMatchers.segment()).slash("challenge"),
        saleId -> respondWithHeader(CacheControl.create(CacheDirectives.NO_STORE), () -> concat(
            get(() -> AuthDirectives.buyer(tokens, buyer -> issue(saleId, buyer))),
            post(() -> AuthDirectives.buyer(tokens, buyer -> redeem(saleId, buyer))))));
  }

  private Route issue(String saleId, String buyer) {
    Optional<SaleViews.LocalCopy> found = views.get(saleId);
    if (found.isEmpty()) return SaleReplies.saleNotFound(saleId);
    // only once the sale is open: challenges solved in advance would pile up at the opening second;
    // a line spreads that second itself, so its door asks from the pre-queue on, and while paused
    Instant now = Instant.now();
    SalePhase phase = found.get().phase(now);
    if (phase != SalePhase.OPEN && !lineTakesJoins(found.get().definition(), phase, now)) {
      return SaleReplies.rejected(phase.refusal());
    }
    if (challenges.difficultyFor(saleId) == 0)
      return error(StatusCodes.NOT_FOUND, "challenge_off", "sale " + saleId + " needs no challenge: reserve directly");
    return json(StatusCodes.OK, challenges.issue(saleId, buyer));
  }

  /** A sale with a waiting room takes joins before the opening, from its pre-queue on, and while paused. */
  private static boolean lineTakesJoins(SaleDefinition definition, SalePhase phase, Instant now) {
    if (!definition.queued()) return false;
    return phase == SalePhase.PAUSED
        || phase == SalePhase.UPCOMING && !now.isBefore(definition.waitingRoom().joinsFrom(definition.startsAt()));
  }

  private Route redeem(String saleId, String buyer) {
    if (views.get(saleId).isEmpty()) return SaleReplies.saleNotFound(saleId);
    return bodies.parse(SolveRequest.class, body -> {
      String missing = body.challenge() == null ? "challenge" : body.solution() == null ? "solution"
          : body.requestId() == null ? "requestId" : null;
      if (missing != null) return error(StatusCodes.BAD_REQUEST, "invalid_body", "field '" + missing + "' is required");
      if (!SaleIds.isValidRequestId(body.requestId()))
        return error(StatusCodes.BAD_REQUEST, "invalid_request_id", SaleIds.REQUEST_ID_RULE);
      Challenges.Redemption outcome = challenges.redeem(saleId, buyer, body.challenge(), body.solution(), body.requestId());
      if (outcome instanceof Challenges.Refusal refusal) return error(StatusCodes.FORBIDDEN, refusal.code(), refusal.message());
      return json(StatusCodes.OK, outcome);
    });
  }
}
