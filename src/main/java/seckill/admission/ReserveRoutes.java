package seckill.admission;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static seckill.http.JsonAnswers.error;
import static seckill.http.JsonAnswers.json;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import seckill.auth.AuthDirectives;
import seckill.auth.BuyerTokens;
import seckill.challenge.Challenges;
import seckill.http.ApiError;
import seckill.http.JsonBodies;
import seckill.http.RetryAdvice;
import seckill.sale.Reservation;
import seckill.sale.Sale;
import seckill.sale.SaleJson.ReservationView;
import seckill.sale.SaleJson.ReserveRequest;
import seckill.sale.SaleReplies;
import seckill.sale.SaleRoutes;
import seckill.sale.SaleViews;
import seckill.sale.Sales;
import seckill.waitingroom.WaitingRoom;

/**
 * The reserve, {@code POST {reservePath}}: the edge's filters in their order ({@link ReserveEdge}),
 * the buyer's token among them, the buyer's request already in flight, then the {@link ReserveQueue}.
 * Every attempt is counted in {@link HotKeys} first, so floods show; every answer by its outcome.
 * The sale's status shows the way in that this edge keeps: the hidden path and the challenge.
 */
public final class ReserveRoutes implements SaleRoutes.Entrance {

  /** The reserve's header carrying the admission token of a sale's waiting room. */
  public static final String ADMISSION_TOKEN = "X-Admission-Token";

  private final ActorSystem<?> system;
  private final ReserveQueue queue;
  private final EdgeGuards guards;
  private final ReserveEdge edge;
  private final HotKeys hotKeys;
  private final BuyerTokens tokens;
  private final Challenges challenges;
  private final Sales sales;
  private final JsonBodies bodies;
  private final RetryAdvice retryAdvice;
  private final Duration throttledDelay;

  public ReserveRoutes(ActorSystem<?> system, BuyerTokens tokens, Challenges challenges, WaitingRoom room) {
    this.system = system;
    this.queue = ReserveQueue.get(system);
    this.guards = new EdgeGuards(system.settings().config().getConfig("seckill.admission"));
    this.edge = new ReserveEdge(system, SaleViews.get(system), guards, challenges, room);
    this.hotKeys = HotKeys.get(system);
    this.tokens = tokens;
    this.challenges = challenges;
    this.sales = new Sales(system);
    this.bodies = new JsonBodies(system);
    this.retryAdvice = RetryAdvice.get(system);
    this.throttledDelay = system.settings().config().getDuration("seckill.admission.hot-keys.throttled-answer-delay");
  }

  public Route routes() {
    return pathPrefix(PathMatchers.segment("api").slash("sales").slash(PathMatchers.segment()), saleId -> concat(
        path(PathMatchers.segment("reservations").slash(PathMatchers.segment()),
            key -> post(() -> counted(() -> attempt(saleId, () -> reserve(saleId, key))))),
        path("reservations", () -> post(() -> attempt(saleId, () -> error(StatusCodes.NOT_FOUND, "reserve_path_unknown",
            "reserve at the reservePath the sale's status publishes once the sale is open"))))));
  }

  @Override
  public void polled(String saleId) {
    hotKeys.statusPoll(saleId);
  }

  @Override
  public String reservePath(String saleId, Instant startsAt) {
    return "/api/sales/" + saleId + "/reservations/" + guards.saleKey(saleId, startsAt);
  }

  @Override
  public int challenge(String saleId) {
    return challenges.difficultyFor(saleId);
  }

  /** Counts a reserve attempt on the sale before anything can refuse it. */
  private Route attempt(String saleId, Supplier<Route> inner) {
    hotKeys.reserveAttempt(saleId);
    return inner.get();
  }

  /**
   * Counts each reserve answer by its outcome ("reserved", or the error code the answer was built
   * with) and times it from here, where the route starts.
   */
  private Route counted(Supplier<Route> inner) {
    long start = System.nanoTime();
    Route route = inner.get(); // the edge's checks run while the route is built: timed too
    return mapResponse(response -> {
      int status = response.status().intValue();
      queue.answered(status == 201 ? "reserved"
          : response.getAttribute(ApiError.KEY).map(ApiError::error).orElse("status_" + status), status,
          System.nanoTime() - start);
      return response;
    }, () -> route);
  }

  /** The edge's steps in order ({@link ReserveEdge}): what is public, the token, the buyer's, the body's; then the queue. */
  private Route reserve(String saleId, String key) {
    ReserveEdge.Checked checked = edge.publicChecks(saleId, key);
    if (checked.refusal() != null) return refuse(checked.refusal());
    return AuthDirectives.buyer(tokens, buyer -> edge.buyerChecks(saleId, buyer).map(this::refuse)
        .orElseGet(() -> bodies.parse(ReserveRequest.class, body -> admit(saleId, buyer, body, checked.view()))));
  }

  private Route admit(String saleId, String buyer, ReserveRequest body, SaleViews.LocalCopy view) {
    Optional<ReserveEdge.Refusal> invalid = edge.body(body, view);
    if (invalid.isPresent()) return refuse(invalid.get());
    String requestId = body.requestId();
    // a retry of a request still in flight here gets that request's answer; its tokens were checked
    String key = EdgeGuards.requestKey(saleId, buyer, requestId);
    Optional<CompletionStage<ReserveQueue.Outcome>> running = guards.inFlight(key);
    if (running.isPresent()) return onSuccess(running.get(), this::answer);
    return optionalHeaderValueByName(ADMISSION_TOKEN, admitted -> optionalHeaderValueByName(Challenges.ACCESS_TOKEN, access -> {
      ReserveEdge.Tokens passed = edge.tokens(saleId, view, buyer, requestId, admitted, access);
      if (passed.refusal() != null) {
        return passed.expired() ? answeredBefore(saleId, buyer, requestId, passed.refusal()) : refuse(passed.refusal());
      }
      return onSuccess(guards.joinInFlight(key,
          () -> queue.offer(saleId, buyer, requestId, ReserveEdge.quantityOf(body), passed.admission().admission()))
              .whenComplete((outcome, failure) -> edge.settle(passed, outcome)),
          this::answer);
    }));
  }

  /**
   * A token that expired, sent with a retry: when its request got a reservation, the retry is
   * answered with it (201, as the first time); otherwise the token's refusal stands. The sale is
   * asked, and only asked: nothing new is reserved on an expired token.
   */
  private Route answeredBefore(String saleId, String buyer, String requestId, ReserveEdge.Refusal expired) {
    return onComplete(sales.<Sale.BuyerReservations>ask(saleId, r -> new Sale.GetBuyerReservations(buyer, r)), done -> {
      if (done.isFailure()) return retryAdvice.unavailable("the sale did not answer in time; retry with the same requestId");
      return done.get().reservations().stream().filter(r -> r.requestId().equals(requestId)).findFirst()
          .map(this::reserved).orElseGet(() -> refuse(expired));
    });
  }

  /**
   * A step's refusal as HTTP. A flooding buyer's 429 is sent after a short pause: a bot that sends
   * its next request as soon as the last is answered would otherwise turn cheap refusals into more
   * requests, and the edge's CPU goes to it. The pause is a timer, not a blocked thread; it holds
   * only the bot's own connection.
   */
  private Route refuse(ReserveEdge.Refusal refusal) {
    Route answer = refusal.retryAfterSeconds() > 0
        ? respondWithHeader(RetryAfter.create(refusal.retryAfterSeconds()),
            () -> error(refusal.status(), refusal.code(), refusal.message()))
        : error(refusal.status(), refusal.code(), refusal.message());
    if (!refusal.slowed() || throttledDelay.isZero()) return answer;
    CompletableFuture<Done> later = new CompletableFuture<>();
    system.scheduler().scheduleOnce(throttledDelay, () -> later.complete(Done.getInstance()), system.executionContext());
    return onSuccess(later, done -> answer);
  }

  private Route answer(ReserveQueue.Outcome outcome) {
    if (outcome instanceof ReserveQueue.Busy busy) return retryAdvice.unavailable(busy.message());
    Sale.ReserveReply reply = ((ReserveQueue.Answered) outcome).reply();
    if (reply instanceof Sale.Reserved reserved) return reserved(reserved.reservation());
    return SaleReplies.rejected((Sale.Rejected) reply);
  }

  private Route reserved(Reservation reservation) {
    ReservationView view = ReservationView.of(reservation);
    return respondWithHeader(Location.create("/api/reservations/" + view.reservationId()),
        () -> json(StatusCodes.CREATED, view));
  }
}
