package seckill.sale;

import seckill.auth.AuthDirectives;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import seckill.switches.SwitchDirectives;
import seckill.auth.BuyerTokens;
import seckill.http.JsonDirectives;
import seckill.sale.SaleJson.ReservationView;

/** A buyer's own reservations: look one up, cancel a hold. Reserving goes through the admission edge. */
public final class SaleRoutes extends JsonDirectives {

  private final Sales sales;
  private final SaleViews views;
  private final BuyerTokens tokens;
  private final SwitchDirectives brakes;

  private final SaleReplies replies;
  private final AuthDirectives auth;

  public SaleRoutes(ActorSystem<?> system, BuyerTokens tokens) {
    super(system);
    this.replies = new SaleReplies(system);
    this.auth = new AuthDirectives(system);
    this.brakes = new SwitchDirectives(system);
    this.sales = new Sales(system);
    this.views = SaleViews.get(system);
    this.tokens = tokens;
  }

  /**
   * {@code GET /api/sales/{id}/reservations?offset=0&limit=20}: one page of the buyer's own
   * reservations in one sale, oldest first; {@code nextOffset} is absent (null) on the last page.
   */
  public record MyReservations(String saleId, java.util.List<ReservationView> reservations, int total, Integer nextOffset) {}

  private static final int DEFAULT_PAGE = 20;
  private static final int MAX_PAGE = 100;

  /** The sale: its entity's shards, this node's views of every sale, and a buyer's reservation routes. */
  public static Route init(ActorSystem<?> system, BuyerTokens tokens) {
    Sale.init(system, SaleViews.get(system).publisher());
    return new SaleRoutes(system, tokens).routes();
  }

  public Route routes() {
    return concat(
        path(PathMatchers.segment("api").slash("reservations").slash(PathMatchers.segment()), rid -> concat(
            get(() -> brakes.feature("reservation-lookup", () -> auth.buyer(tokens, buyer -> reservation(rid, buyer)))),
            delete(() -> brakes.writable(() -> auth.buyer(tokens, buyer -> cancel(rid, buyer)))))),
        path(PathMatchers.segment("api").slash("sales").slash(PathMatchers.segment()).slash("reservations"),
            saleId -> get(() -> brakes.feature("buyer-reservations", () -> auth.buyer(tokens, buyer ->
                parameterOptional("offset", offset -> parameterOptional("limit", limit -> page(offset, limit,
                    (from, size) -> mine(saleId, buyer, from, size)))))))));
  }

  private Route page(java.util.Optional<String> offset, java.util.Optional<String> limit,
      java.util.function.BiFunction<Integer, Integer, Route> inner) {
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
    if (!SaleIds.isValidSaleId(saleId) || views.surelyUnknown(saleId)) return replies.saleNotFound(saleId);
    return onSuccess(sales.<Sale.BuyerReservations>ask(saleId, r -> new Sale.GetBuyerReservations(buyer, r)), found -> {
      var all = found.reservations();
      var page = all.stream().skip(offset).limit(limit).map(ReservationView::of).toList();
      Integer next = offset + limit < all.size() ? offset + limit : null;
      return json(StatusCodes.OK, new MyReservations(saleId, page, all.size(), next));
    });
  }

  private Route reservation(String reservationId, String buyer) {
    return SaleIds.saleIdOf(reservationId)
        .map(saleId -> views.surelyUnknown(saleId) ? replies.saleNotFound(saleId)
            : replies.reservationAnswer(sales.ask(saleId, r -> new Sale.GetReservation(reservationId, buyer, r))))
        .orElseGet(() -> notFound(reservationId));
  }

  private Route cancel(String reservationId, String buyer) {
    return SaleIds.saleIdOf(reservationId)
        .map(saleId -> views.surelyUnknown(saleId) ? replies.saleNotFound(saleId)
            : replies.reservationAnswer(sales.ask(saleId, r -> new Sale.Cancel(reservationId, buyer, r))))
        .orElseGet(() -> notFound(reservationId));
  }

  private Route notFound(String reservationId) {
    return error(StatusCodes.NOT_FOUND, "reservation_not_found", "no reservation " + reservationId);
  }
}
