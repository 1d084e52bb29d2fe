package seckill.sale;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static seckill.http.JsonAnswers.error;
import static seckill.http.JsonAnswers.json;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import seckill.auth.AuthDirectives;
import seckill.auth.BuyerTokens;
import seckill.http.ETags;
import seckill.http.Json;
import seckill.sale.SaleJson.ReservationView;
import seckill.sale.SaleJson.SaleView;
import seckill.switches.SwitchDirectives;
import seckill.switches.Switches;

/**
 * A sale for its buyers: its definition and status from this node's views (no entity asked), and a
 * buyer's own reservations (look one up, cancel a hold). Reserving goes through the reserve edge.
 */
public final class SaleRoutes {

  /** What the status shows of the way in to a reserve, kept by the edge in front of the sale. */
  public interface Entrance {
    /** Counts one status poll of the sale, so floods show. */
    void polled(String saleId);

    /** The hidden path an open sale takes reserves at. */
    String reservePath(String saleId, Instant startsAt);

    /** The difficulty of the challenge a reserve needs; 0 when none. */
    int challenge(String saleId);
  }

  /**
   * {@code GET /api/sales/{id}/status}: small, cheap, polled by the sale page. {@code challenge} is the
   * difficulty of the challenge a reserve needs, absent when none; {@code waitingRoom} is true when
   * buyers queue first ({@code /api/sales/{id}/queue}), absent otherwise.
   */
  public record StatusView(String state, int available, Instant serverTime, Instant startsAt, Instant endsAt,
      String reservePath, Integer challenge, Boolean waitingRoom) {}

  /**
   * {@code GET /api/sales/{id}/reservations?offset=0&limit=20}: one page of the buyer's own
   * reservations in one sale, oldest first; {@code nextOffset} is absent (null) on the last page.
   */
  public record MyReservations(String saleId, List<ReservationView> reservations, int total, Integer nextOffset) {}

  private static final int DEFAULT_PAGE = 20;
  private static final int MAX_PAGE = 100;

  private final Sales sales;
  private final SaleViews views;
  private final Switches switches;
  private final SwitchDirectives brakes;
  private final BuyerTokens tokens;
  private final Entrance entrance;
  private final long saleMaxAge;
  private final long statusMaxAge;

  public SaleRoutes(ActorSystem<?> system, BuyerTokens tokens, Entrance entrance) {
    this.sales = new Sales(system);
    this.views = SaleViews.get(system);
    this.switches = Switches.get(system);
    this.brakes = new SwitchDirectives(system);
    this.tokens = tokens;
    this.entrance = entrance;
    this.saleMaxAge = system.settings().config().getDuration("seckill.http.sale-max-age").toSeconds();
    this.statusMaxAge = system.settings().config().getDuration("seckill.http.status-max-age").toSeconds();
  }

  public static Route init(ActorSystem<?> system, BuyerTokens tokens, Entrance entrance) {
    return new SaleRoutes(system, tokens, entrance).routes();
  }

  public Route routes() {
    return concat(
        pathPrefix(PathMatchers.segment("api").slash("sales").slash(PathMatchers.segment()), saleId -> concat(
            pathEndOrSingleSlash(() -> get(() -> sale(saleId))),
            path("status", () -> get(() -> status(saleId))),
            path("reservations", () -> get(() -> brakes.feature("buyer-reservations", () ->
                AuthDirectives.buyer(tokens, buyer -> parameterOptional("offset", offset -> parameterOptional("limit",
                    limit -> page(offset, limit, (from, size) -> mine(saleId, buyer, from, size)))))))))),
        path(PathMatchers.segment("api").slash("reservations").slash(PathMatchers.segment()), rid -> concat(
            get(() -> brakes.feature("reservation-lookup", () -> AuthDirectives.buyer(tokens, buyer -> reservation(rid, buyer)))),
            delete(() -> brakes.writable(() -> AuthDirectives.buyer(tokens, buyer -> cancel(rid, buyer)))))));
  }

  private Route sale(String saleId) {
    Optional<SaleViews.LocalCopy> view = views.get(saleId);
    if (view.isEmpty()) return SaleReplies.saleNotFound(saleId);
    SaleView body = SaleView.of(saleId, view.get().definition());
    return respondWithHeader(CacheControl.create(CacheDirectives.PUBLIC, CacheDirectives.MAX_AGE(saleMaxAge)),
        () -> conditional(ETags.of(Json.bytes(body)), () -> json(StatusCodes.OK, body)));
  }

  private Route status(String saleId) {
    entrance.polled(saleId);
    Optional<SaleViews.LocalCopy> found = views.get(saleId);
    if (found.isEmpty()) return SaleReplies.saleNotFound(saleId);
    SaleViews.LocalCopy view = found.get();
    Instant now = Instant.now();
    SaleJson.ShownPhase shown = SaleJson.ShownPhase.of(view.phase(now), view.available());
    // an operator's pause shows as PAUSED while units are left; the reserve path is there only while OPEN
    SaleJson.ShownPhase state = shown == SaleJson.ShownPhase.OPEN && switches.paused(saleId) ? SaleJson.ShownPhase.PAUSED : shown;
    SaleDefinition definition = view.definition();
    String reservePath = state == SaleJson.ShownPhase.OPEN ? entrance.reservePath(saleId, definition.startsAt()) : null;
    int difficulty = entrance.challenge(saleId);
    return respondWithHeader(CacheControl.create(CacheDirectives.PUBLIC, CacheDirectives.MAX_AGE(statusMaxAge)),
        () -> json(StatusCodes.OK, new StatusView(state.name(), view.available(), now, definition.startsAt(),
            definition.endsAt(), reservePath, difficulty == 0 ? null : difficulty, definition.queued() ? Boolean.TRUE : null)));
  }

  private Route page(Optional<String> offset, Optional<String> limit, BiFunction<Integer, Integer, Route> inner) {
    try {
      int from = offset.map(Integer::parseInt).orElse(0);
      int size = limit.map(Integer::parseInt).orElse(DEFAULT_PAGE);
      if (from >= 0 && size >= 1 && size <= MAX_PAGE) return inner.apply(from, size);
    } catch (NumberFormatException notANumber) {
      // answered below
    }
    return error(StatusCodes.BAD_REQUEST, "invalid_page", "offset must be 0 or more and limit 1 to " + MAX_PAGE);
  }

  private Route mine(String saleId, String buyer, int offset, int limit) {
    if (!SaleIds.isValidSaleId(saleId) || views.surelyUnknown(saleId)) return SaleReplies.saleNotFound(saleId);
    return onSuccess(sales.<Sale.BuyerReservations>ask(saleId, r -> new Sale.GetBuyerReservations(buyer, r)), found -> {
      var all = found.reservations();
      var page = all.stream().skip(offset).limit(limit).map(ReservationView::of).toList();
      Integer next = offset + limit < all.size() ? offset + limit : null;
      return json(StatusCodes.OK, new MyReservations(saleId, page, all.size(), next));
    });
  }

  private Route reservation(String reservationId, String buyer) {
    return SaleIds.saleIdOf(reservationId)
        .map(saleId -> views.surelyUnknown(saleId) ? SaleReplies.saleNotFound(saleId)
            : SaleReplies.reservationAnswer(sales.ask(saleId, r -> new Sale.GetReservation(reservationId, buyer, r))))
        .orElseGet(() -> notFound(reservationId));
  }

  private Route cancel(String reservationId, String buyer) {
    return SaleIds.saleIdOf(reservationId)
        .map(saleId -> views.surelyUnknown(saleId) ? SaleReplies.saleNotFound(saleId)
            : SaleReplies.reservationAnswer(sales.ask(saleId, r -> new Sale.Cancel(reservationId, buyer, r))))
        .orElseGet(() -> notFound(reservationId));
  }

  private Route notFound(String reservationId) {
    return error(StatusCodes.NOT_FOUND, "reservation_not_found", "no reservation " + reservationId);
  }
}
