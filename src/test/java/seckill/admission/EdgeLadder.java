package seckill.admission;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static seckill.http.JsonAnswers.error;

import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import seckill.auth.AuthDirectives;
import seckill.auth.BuyerTokens;
import seckill.challenge.Challenges;
import seckill.http.JsonBodies;
import seckill.sale.SaleJson.ReserveRequest;
import seckill.sale.SaleViews;
import seckill.waitingroom.WaitingRoom;

/**
 * The reserve's way in one step at a time, for the benchmark's ladder ({@code java load-tests/Bench.java
 * ladder}, which starts {@code BenchNode}): each rung answers a constant 200 after one
 * more step than the one before, so the cost of each step is the difference between two rungs
 * measured in one run.
 *
 * <ul>
 *   <li>{@code POST /bench/noop}: through our route tree and its error handling
 *   <li>{@code POST /bench/token}: + the buyer's token
 *   <li>{@code POST /bench/body}: + the JSON body
 *   <li>{@code POST /bench/edge/{sale}/{key}}: + every filter of {@link ReserveEdge}
 * </ul>
 * The rung above the last is the real reserve: + the buyer's request in flight, the queue, the sale.
 */
public final class EdgeLadder {

  /** The constant answer of every rung. */
  public static final HttpResponse OK = HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, "{}");

  private final BuyerTokens tokens;
  private final JsonBodies bodies;
  private final ReserveEdge edge;

  private EdgeLadder(ActorSystem<?> system, BuyerTokens tokens, Challenges challenges, WaitingRoom room) {
    this.tokens = tokens;
    this.bodies = new JsonBodies(system);
    this.edge = new ReserveEdge(system, SaleViews.get(system),
        new EdgeGuards(system.settings().config().getConfig("seckill.admission")), challenges, room);
  }

  /** The ladder's routes under {@code /bench}, on the node's own edge (its views, challenges and waiting room). */
  public static Route routes(ActorSystem<?> system, BuyerTokens tokens, Challenges challenges, WaitingRoom room) {
    return new EdgeLadder(system, tokens, challenges, room).routes();
  }

  private Route routes() {
    return pathPrefix("bench", () -> post(() -> concat(
        path("noop", () -> complete(OK)),
        path("token", () -> AuthDirectives.buyer(tokens, buyer -> complete(OK))),
        path("body", () -> AuthDirectives.buyer(tokens, buyer -> bodies.parse(ReserveRequest.class, body -> complete(OK)))),
        path(PathMatchers.segment("edge").slash(PathMatchers.segment()).slash(PathMatchers.segment()), (sale, key) ->
            AuthDirectives.buyer(tokens, buyer -> {
              ReserveEdge.Checked checked = edge.publicChecks(sale, key);
              if (checked.refusal() != null) return refused(checked.refusal());
              Optional<ReserveEdge.Refusal> throttled = edge.buyerChecks(sale, buyer);
              if (throttled.isPresent()) return refused(throttled.get());
              return bodies.parse(ReserveRequest.class, body -> edge.body(body, checked.view())
                  .map(EdgeLadder::refused)
                  .orElseGet(() -> complete(OK)));
            })))));
  }

  /** A refusal's status and code, without its message: the rung measures the step, not the words. */
  private static Route refused(ReserveEdge.Refusal refusal) {
    return error(refusal.status(), refusal.code(), "");
  }
}
