package seckill.admission;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import seckill.challenge.Challenges;
import seckill.http.RetryAdvice;
import seckill.sale.Sale;
import seckill.sale.SaleIds;
import seckill.sale.SaleJson.ReserveRequest;
import seckill.sale.SalePhase;
import seckill.sale.SaleReplies;
import seckill.sale.SaleViews;
import seckill.switches.Switches;
import seckill.waitingroom.RoomVerdict;
import seckill.waitingroom.WaitingRoom;

/**
 * The filters in front of a reserve, in the order they run, cheapest first, in one place. What is
 * public comes first; the buyer's token (it names the buyer) comes after step 6, the body's parsing
 * after step 8; the bounded {@link ReserveQueue} after the last. Each step passes or gives a
 * {@link Refusal}, which {@link ReserveRoutes} only renders.
 *
 * <ol>
 *   <li>the sale is known in this node's view: 404 {@code sale_not_found}
 *   <li>the sale is open now: 409 {@code not_open}, {@code paused}, {@code ended}, {@code closed}
 *   <li>the operator's brakes (its sale or every sale paused, read-only): 503 with Retry-After
 *   <li>the hidden path's key: 404 {@code reserve_path_unknown}
 *   <li>units left in the view: 410 {@code sold_out}
 *   <li>the node is shedding load ({@link LoadShedder}) or holds a full queue's worth of reserves: 503
 *       {@code unavailable} with Retry-After
 *   <li>(the token: 401) the buyer's own rate ({@link HotKeys#throttle}): 429 {@code buyer_throttled}, answered after a pause
 *   <li>the sale's and the node's rate: 429 {@code rate_limited}
 *   <li>(the body) a valid request id and a quantity within the sale's limit: 400
 *   <li>the admission token when the sale has a waiting room: 403
 *   <li>the access token when the sale asks for a challenge and has no waiting room (its join asked): 403
 * </ol>
 *
 * <p>The same request (sale, buyer, requestId) already in flight on this node is joined before steps
 * 10 and 11; a token is taken by the first request that presents it and passes that request's
 * retries; a token refused only for having expired is answered with the reservation of its request
 * when it has one ({@link ReserveRoutes}): a retry gets its request's first answer.
 */
final class ReserveEdge {

  /** How a step refuses: status, error code, message, Retry-After seconds (0: none), answered after a pause. */
  record Refusal(StatusCode status, String code, String message, long retryAfterSeconds, boolean slowed) {
    static Refusal of(StatusCode status, String code, String message) {
      return new Refusal(status, code, message, 0, false);
    }
  }

  /** What the steps before the token found: the sale's view to go on with, or why not. */
  record Checked(SaleViews.LocalCopy view, Refusal refusal) {
    static Checked refused(Refusal refusal) {
      return new Checked(null, refusal);
    }
  }

  private final SaleViews views;
  private final HotKeys hotKeys;
  private final Switches switches;
  private final EdgeGuards guards;
  private final Challenges challenges;
  private final WaitingRoom room;
  private final ReserveQueue queue;
  private final RetryAdvice retryAdvice;

  ReserveEdge(ActorSystem<?> system, SaleViews views, EdgeGuards guards, Challenges challenges, WaitingRoom room) {
    this.views = views;
    this.hotKeys = HotKeys.get(system);
    this.switches = Switches.get(system);
    this.guards = guards;
    this.challenges = challenges;
    this.room = room;
    this.queue = ReserveQueue.get(system);
    this.retryAdvice = RetryAdvice.get(system);
  }

  /**
   * Steps 1 to 6, before the buyer's token: they read only what is public (the sale's status shows
   * the same, and an overloaded node tells everyone alike), so answering them first leaks nothing
   * and spares the token's cost to every loser.
   */
  Checked publicChecks(String saleId, String key) {
    Optional<SaleViews.LocalCopy> found = views.get(saleId);
    if (found.isEmpty()) return Checked.refused(Refusal.of(StatusCodes.NOT_FOUND, "sale_not_found", "no sale " + saleId));
    SaleViews.LocalCopy view = found.get();
    SalePhase phase = view.phase(Instant.now());
    if (phase != SalePhase.OPEN) return Checked.refused(refusal(phase.refusal()));
    Optional<Switches.Brake> brake = switches.reserveBrake(saleId);
    if (brake.isPresent()) {
      return Checked.refused(new Refusal(StatusCodes.SERVICE_UNAVAILABLE, brake.get().code(), brake.get().message(),
          switches.retryAfterSeconds(), false));
    }
    if (!guards.isSaleKey(saleId, view.definition().startsAt(), key)) {
      return Checked.refused(Refusal.of(StatusCodes.NOT_FOUND, "reserve_path_unknown", "this is not the sale's reserve path"));
    }
    if (view.available() == 0) return Checked.refused(Refusal.of(StatusCodes.GONE, "sold_out", "sold out"));
    // an overloaded or full node says so before it spends the token's cost on a request it would turn away
    if (queue.shedsNow()) return Checked.refused(unavailable(ReserveQueue.SHED));
    if (queue.fullNow()) return Checked.refused(unavailable(ReserveQueue.FULL));
    return new Checked(view, null);
  }

  private Refusal unavailable(ReserveQueue.Busy busy) {
    return new Refusal(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", busy.message(), retryAdvice.seconds(), false);
  }

  /** Steps 7 and 8, for a buyer whose token was verified. */
  Optional<Refusal> buyerChecks(String saleId, String buyer) {
    OptionalLong pause = hotKeys.throttle(buyer);
    if (pause.isPresent()) {
      return Optional.of(new Refusal(StatusCodes.TOO_MANY_REQUESTS, "buyer_throttled",
          "too many requests from this buyer; try again shortly", pause.getAsLong(), true));
    }
    OptionalLong wait = guards.rateLimited(saleId, switches.values());
    if (wait.isPresent()) {
      return Optional.of(new Refusal(StatusCodes.TOO_MANY_REQUESTS, "rate_limited",
          "too many requests on this node; try again shortly", wait.getAsLong(), false));
    }
    return Optional.empty();
  }

  /** Step 9: the body's own rules. */
  Optional<Refusal> body(ReserveRequest body, SaleViews.LocalCopy view) {
    if (!SaleIds.isValidRequestId(body.requestId())) {
      return Optional.of(Refusal.of(StatusCodes.BAD_REQUEST, "invalid_request_id", SaleIds.REQUEST_ID_RULE));
    }
    int quantity = quantityOf(body);
    if (quantity <= 0) return Optional.of(Refusal.of(StatusCodes.BAD_REQUEST, "invalid_quantity", "quantity must be at least 1"));
    if (quantity > view.definition().perBuyerLimit()) {
      return Optional.of(Refusal.of(StatusCodes.BAD_REQUEST, "invalid_quantity",
          "quantity is above the limit of " + view.definition().perBuyerLimit() + " per buyer"));
    }
    return Optional.empty();
  }

  /**
   * What steps 10 and 11 found: the passes to settle once the reserve is answered, or a refusal;
   * {@code expired} when the refusal is only that a good token expired, so a retry of a request
   * that got a reservation with it can still be answered with that reservation.
   */
  record Tokens(RoomVerdict.LetIn admission, Challenges.Passed access, Refusal refusal, boolean expired) {
    static Tokens refused(String code, String message, boolean expired) {
      return new Tokens(null, null, Refusal.of(StatusCodes.FORBIDDEN, code, message), expired);
    }
  }

  /**
   * Steps 10 and 11: the waiting room's admission token when the sale has a room, then the access
   * token of a solved challenge when the sale asks for one. The first request to present a token
   * takes it; retries of that request pass again, other requests are refused (auth's TokenUses).
   */
  Tokens tokens(String saleId, SaleViews.LocalCopy view, String buyer, String requestId, Optional<String> admissionToken,
      Optional<String> accessToken) {
    RoomVerdict entry = room.admit(saleId, view.definition(), buyer, requestId, admissionToken);
    if (entry instanceof RoomVerdict.Refused refused) return Tokens.refused(refused.code(), refused.message(), refused.expired());
    Challenges.Access access = challenges.admit(saleId, buyer, requestId, accessToken);
    if (access instanceof Challenges.Refusal refused) return Tokens.refused(refused.code(), refused.message(), refused.expired());
    return new Tokens((RoomVerdict.LetIn) entry, (Challenges.Passed) access, null, false);
  }

  /**
   * After the reserve's outcome: the sale's answer ends the admission, and a refusal by the sale
   * spends both tokens; no answer (the node was busy) leaves them to the request's retry.
   */
  void settle(Tokens passed, ReserveQueue.Outcome outcome) {
    RoomVerdict.SaleAnswer answer = !(outcome instanceof ReserveQueue.Answered answered) ? RoomVerdict.SaleAnswer.NONE
        : answered.reply() instanceof Sale.Reserved ? RoomVerdict.SaleAnswer.RESERVED
        : ((Sale.Rejected) answered.reply()).reason() == Sale.Reason.ADMISSION_USED ? RoomVerdict.SaleAnswer.TAKEN
        : RoomVerdict.SaleAnswer.REFUSED;
    room.settle(passed.admission(), answer);
    if (answer == RoomVerdict.SaleAnswer.REFUSED) challenges.refused(passed.access());
  }

  static int quantityOf(ReserveRequest body) {
    return body.quantity() == null ? 1 : body.quantity();
  }

  private static Refusal refusal(Sale.Rejected rejected) {
    return Refusal.of(SaleReplies.statusOf(rejected.reason()), SaleReplies.codeOf(rejected.reason()), rejected.message());
  }
}
