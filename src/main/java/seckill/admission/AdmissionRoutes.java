package seckill.admission;

import seckill.sale.Reservation;
import seckill.sale.SaleViews;
import seckill.sale.SaleReplies;
import seckill.sale.Sales;
import seckill.auth.AuthDirectives;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import seckill.switches.Switches;
import seckill.auth.BuyerTokens;
import seckill.challenge.Challenges;
import seckill.http.ApiError;
import seckill.http.ETags;
import seckill.http.Json;
import seckill.http.JsonDirectives;
import seckill.sale.Sale;
import seckill.sale.SaleJson;
import seckill.sale.SaleJson.ReservationView;
import seckill.sale.SaleJson.ReserveRequest;
import seckill.sale.SaleJson.SaleView;
import seckill.waitingroom.WaitingRoom;

/**
 * The buyer's way in: sale definition and status from the local views, and the reserve endpoint:
 * the buyer's token, the edge's filters in their order ({@link ReserveEdge}), the buyer's request
 * already in flight, then the bounded admission queue. Every attempt and status poll is counted in
 * {@link HotKeys} first, so floods show; every answer is counted by its outcome.
 */
public final class AdmissionRoutes extends JsonDirectives {

  /** The reserve's header carrying the access token of a solved challenge. */
  public static final String ACCESS_TOKEN = "X-Access-Token";

  /** The reserve's header carrying the admission token of a sale's waiting room. */
  public static final String ADMISSION_TOKEN = "X-Admission-Token";

  /**
   * {@code GET /api/sales/{id}/status}: small, cheap, polled by the sale page. {@code challenge} is the
   * difficulty of the challenge a reserve needs, absent when none; {@code waitingRoom} is true when
   * buyers queue first ({@code /api/sales/{id}/queue}), absent otherwise.
   */
  public record StatusView(String state, int available, Instant serverTime, Instant startsAt, Instant endsAt,
      String reservePath, Integer challenge, Boolean waitingRoom) {}

  private final SaleViews views;
  private final Admission admission;
  private final ReserveEdge edge;
  private final EdgeGuards guards;
  private final BuyerTokens tokens;
  private final Challenges challenges;
  private final WaitingRoom room;
  private final HotKeys hotKeys;
  private final ActorSystem<?> system;
  private final Duration throttledDelay;
  private final long saleMaxAge;
  private final long statusMaxAge;
  private final Switches switches;

  private final SaleReplies replies;
  private final AuthDirectives auth;
  private final Sales sales;

  public AdmissionRoutes(ActorSystem<?> system, SaleViews views, Admission admission, EdgeGuards guards,
      BuyerTokens tokens, Challenges challenges, WaitingRoom room) {
    super(system);
    this.replies = new SaleReplies(system);
    this.auth = new AuthDirectives(system);
    this.sales = new Sales(system);
    this.views = views;
    this.admission = admission;
    this.guards = guards;
    this.tokens = tokens;
    this.challenges = challenges;
    this.room = room;
    this.edge = new ReserveEdge(system, views, guards, challenges, room);
    this.hotKeys = HotKeys.get(system);
    this.system = system;
    this.throttledDelay = system.settings().config().getDuration("seckill.admission.hot-keys.throttled-answer-delay");
    this.saleMaxAge = system.settings().config().getDuration("seckill.http.sale-max-age").toSeconds();
    this.statusMaxAge = system.settings().config().getDuration("seckill.http.status-max-age").toSeconds();
    this.switches = Switches.get(system);
  }

  /** The reserve edge of this node: its admission queue, guards and routes (status, sale, reserve). */
  public static Route init(ActorSystem<?> system, BuyerTokens tokens, Challenges challenges, WaitingRoom room) {
    return new AdmissionRoutes(system, SaleViews.get(system), Admission.get(system),
        new EdgeGuards(system.settings().config().getConfig("seckill.admission")), tokens, challenges, room).routes();
  }

  public Route routes() {
    return pathPrefix(PathMatchers.segment("api").slash("sales").slash(PathMatchers.segment()), saleId -> concat(
        pathEndOrSingleSlash(() -> get(() -> sale(saleId))),
        path("status", () -> get(() -> status(saleId))),
        path(PathMatchers.segment("reservations").slash(PathMatchers.segment()),
            key -> post(() -> counted(() -> attempt(saleId, () -> reserve(saleId, key))))),
        path("reservations", () -> post(() -> attempt(saleId, () -> error(StatusCodes.NOT_FOUND, "reserve_path_unknown",
            "reserve at the reservePath the sale's status publishes once the sale is open"))))));
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
      admission.answered(status == 201 ? "reserved"
          : response.getAttribute(ApiError.KEY).map(ApiError::error).orElse("status_" + status), status,
          System.nanoTime() - start);
      return response;
    }, () -> route);
  }

  private Route sale(String saleId) {
    Optional<SaleViews.LocalCopy> view = views.get(saleId);
    if (view.isEmpty()) return replies.saleNotFound(saleId);
    SaleView body = SaleView.of(saleId, view.get().definition());
    return respondWithHeader(CacheControl.create(CacheDirectives.PUBLIC, CacheDirectives.MAX_AGE(saleMaxAge)),
        () -> conditional(ETags.of(Json.bytes(body)), () -> json(StatusCodes.OK, body)));
  }

  private Route status(String saleId) {
    hotKeys.statusPoll(saleId);
    Optional<SaleViews.LocalCopy> found = views.get(saleId);
    if (found.isEmpty()) return replies.saleNotFound(saleId);
    SaleViews.LocalCopy view = found.get();
    Instant now = Instant.now();
    SaleJson.ShownPhase shown = SaleJson.ShownPhase.of(view.phase(now), view.available());
    // an operator's pause shows as PAUSED while units are left; the reserve path is there only while OPEN
    SaleJson.ShownPhase state = shown == SaleJson.ShownPhase.OPEN && switches.paused(saleId) ? SaleJson.ShownPhase.PAUSED : shown;
    String reservePath = state == SaleJson.ShownPhase.OPEN ? reservePath(saleId, view) : null;
    int difficulty = challenges.difficultyFor(saleId);
    return respondWithHeader(CacheControl.create(CacheDirectives.PUBLIC, CacheDirectives.MAX_AGE(statusMaxAge)),
        () -> json(StatusCodes.OK, new StatusView(state.name(), view.available(), now, view.definition().startsAt(),
            view.definition().endsAt(), reservePath, difficulty == 0 ? null : difficulty,
            room.roomOf(view.definition(), saleId).isPresent() ? Boolean.TRUE : null)));
  }

  private String reservePath(String saleId, SaleViews.LocalCopy view) {
    return "/api/sales/" + saleId + "/reservations/" + guards.saleKey(saleId, view.definition().startsAt());
  }

  /** The edge's steps in order ({@link ReserveEdge}): what is public, the token, the buyer's, the body's; then the queue. */
  private Route reserve(String saleId, String key) {
    ReserveEdge.Checked checked = edge.publicChecks(saleId, key);
    if (checked.refusal() != null) return refuse(checked.refusal());
    return auth.buyer(tokens, buyer -> edge.buyerChecks(saleId, buyer).map(this::refuse)
        .orElseGet(() -> jsonBody(ReserveRequest.class, body -> admit(saleId, buyer, body, checked.view()))));
  }

  private Route admit(String saleId, String buyer, ReserveRequest body, SaleViews.LocalCopy view) {
    Optional<ReserveEdge.Refusal> invalid = edge.body(body, view);
    if (invalid.isPresent()) return refuse(invalid.get());
    String requestId = body.requestId();
    // a retry of a request still in flight here gets that request's answer; its tokens were checked
    String key = EdgeGuards.requestKey(saleId, buyer, requestId);
    Optional<CompletionStage<Admission.Outcome>> running = guards.inFlight(key);
    if (running.isPresent()) return onSuccess(running.get(), this::answer);
    return optionalHeaderValueByName(ADMISSION_TOKEN, admitted -> optionalHeaderValueByName(ACCESS_TOKEN, access -> {
      ReserveEdge.Tokens passed = edge.tokens(saleId, view, buyer, requestId, admitted, access);
      if (passed.refusal() != null) {
        return passed.expired() ? answeredBefore(saleId, buyer, requestId, passed.refusal()) : refuse(passed.refusal());
      }
      return onSuccess(guards.joinInFlight(key,
          () -> admission.offer(saleId, buyer, requestId, ReserveEdge.quantityOf(body))).whenComplete(
              (outcome, failure) -> edge.settle(passed, outcome)),
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
      if (done.isFailure()) return unavailable("the sale did not answer in time; retry with the same requestId");
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

  private Route answer(Admission.Outcome outcome) {
    if (outcome instanceof Admission.Busy busy) return unavailable(busy.message());
    Sale.ReserveReply reply = ((Admission.Answered) outcome).reply();
    if (reply instanceof Sale.Reserved reserved) return reserved(reserved.reservation());
    return replies.rejected((Sale.Rejected) reply);
  }

  private Route reserved(Reservation reservation) {
    ReservationView view = ReservationView.of(reservation);
    return respondWithHeader(Location.create("/api/reservations/" + view.reservationId()),
        () -> json(StatusCodes.CREATED, view));
  }

}
