package seckill.admission;

import seckill.waitingroom.WaitingRoom;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import seckill.auth.AuthDirectives;
import seckill.auth.BuyerTokens;
import seckill.challenge.Challenges;
import seckill.http.JsonDirectives;
import seckill.sale.SaleJson.ReserveRequest;
import seckill.sale.SaleViews;

/**
 * The reserve's way in one step at a time, for the benchmark's ladder ({@code java load-tests/Bench.java
 * ladder}): each rung answers a constant 200 after one more step than the one before, so the cost of
 * each step is the difference between two rungs measured in one run. Off unless
 * {@code seckill.bench.ladder} is on; never in production.
 *
 * <ul>
 *   <li>a bare Pekko HTTP server on {@code seckill.bench.noop-port}: one constant answer, no route tree (the reference)
 *   <li>{@code POST /bench/noop}: through our route tree and its error handling
 *   <li>{@code POST /bench/token}: + the buyer's token
 *   <li>{@code POST /bench/body}: + the JSON body
 *   <li>{@code POST /bench/edge/{sale}/{key}}: + every filter of {@link ReserveEdge}
 * </ul>
 * The rung above the last is the real reserve: + the buyer's request in flight, the queue, the sale.
 */
public final class EdgeLadder extends JsonDirectives {

  private static final Logger log = LoggerFactory.getLogger(EdgeLadder.class);
  private static final HttpResponse OK = HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, "{}");

  private final BuyerTokens tokens;
  private final AuthDirectives auth;
  private final ReserveEdge edge;

  private EdgeLadder(ActorSystem<?> system, BuyerTokens tokens, Challenges challenges, WaitingRoom room) {
    super(system);
    this.tokens = tokens;
    this.auth = new AuthDirectives(system);
    this.edge = new ReserveEdge(system, SaleViews.get(system),
        new EdgeGuards(system.settings().config().getConfig("seckill.admission")), challenges, room);
  }

  /** The ladder's routes and the bare reference server when {@code seckill.bench.ladder} is on; else nothing. */
  public static Route init(ActorSystem<?> system, BuyerTokens tokens, Challenges challenges, WaitingRoom room) {
    var config = system.settings().config();
    if (!config.getBoolean("seckill.bench.ladder")) return Directives.reject();
    log.warn("benchmark ladder routes are on (/bench/*, and a bare server on port {}): not for production",
        config.getInt("seckill.bench.noop-port"));
    Http.get(system).newServerAt(config.getString("seckill.http.interface"), config.getInt("seckill.bench.noop-port"))
        .bind(Directives.complete(OK));
    return new EdgeLadder(system, tokens, challenges, room).routes();
  }

  private Route routes() {
    return pathPrefix("bench", () -> post(() -> concat(
        path("noop", () -> complete(OK)),
        path("token", () -> auth.buyer(tokens, buyer -> complete(OK))),
        path("body", () -> auth.buyer(tokens, buyer -> jsonBody(ReserveRequest.class, body -> complete(OK)))),
        path(PathMatchers.segment("edge").slash(PathMatchers.segment()).slash(PathMatchers.segment()), (sale, key) ->
            auth.buyer(tokens, buyer -> {
              ReserveEdge.Checked checked = edge.publicChecks(sale, key);
              if (checked.refusal() != null) return error(checked.refusal().status(), checked.refusal().code(), "");
              var throttled = edge.buyerChecks(sale, buyer);
              if (throttled.isPresent()) return error(throttled.get().status(), throttled.get().code(), "");
              return jsonBody(ReserveRequest.class, body -> edge.body(body, checked.view())
                  .map(refused -> error(refused.status(), refused.code(), ""))
                  .orElseGet(() -> complete(OK)));
            })))));
  }
}
