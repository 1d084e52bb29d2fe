package seckill.sale;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import seckill.admin.SwitchDirectives;
import seckill.admission.SaleViews;
import seckill.auth.BuyerTokens;
import seckill.http.JsonDirectives;
import seckill.sale.SaleJson.ReservationView;

/** A buyer's own reservations: look one up, cancel a hold. Reserving goes through the admission edge. */
public final class SaleRoutes extends JsonDirectives {

  private final Sales sales;
  private final SaleViews views;
  private final BuyerTokens tokens;
  private final SwitchDirectives brakes;

  public SaleRoutes(ActorSystem<?> system, BuyerTokens tokens) {
    super(system);
    this.brakes = new SwitchDirectives(system);
    this.sales = new Sales(system);
    this.views = SaleViews.get(system);
    this.tokens = tokens;
  }

  /** {@code GET /api/sales/{id}/reservations}: the buyer's own reservations in one sale. */
  public record MyReservations(String saleId, java.util.List<ReservationView> reservations) {}

  public Route routes() {
    return concat(
        path(PathMatchers.segment("api").slash("reservations").slash(PathMatchers.segment()), rid -> concat(
            get(() -> brakes.feature("reservation-lookup", () -> buyer(tokens, buyer -> reservation(rid, buyer)))),
            delete(() -> brakes.writable(() -> buyer(tokens, buyer -> cancel(rid, buyer)))))),
        path(PathMatchers.segment("api").slash("sales").slash(PathMatchers.segment()).slash("reservations"),
            saleId -> get(() -> brakes.feature("buyer-reservations", () -> buyer(tokens, buyer -> mine(saleId, buyer))))));
  }

  private Route mine(String saleId, String buyer) {
    if (!Sale.isValidSaleId(saleId) || views.surelyUnknown(saleId)) return saleNotFound(saleId);
    return onSuccess(sales.<Sale.BuyerReservations>ask(saleId, r -> new Sale.GetBuyerReservations(buyer, r)),
        found -> json(StatusCodes.OK,
            new MyReservations(saleId, found.reservations().stream().map(ReservationView::of).toList())));
  }

  private Route reservation(String reservationId, String buyer) {
    return Sale.saleIdOf(reservationId)
        .map(saleId -> views.surelyUnknown(saleId) ? saleNotFound(saleId)
            : reservationAnswer(sales.ask(saleId, r -> new Sale.GetReservation(reservationId, buyer, r))))
        .orElseGet(() -> notFound(reservationId));
  }

  private Route cancel(String reservationId, String buyer) {
    return Sale.saleIdOf(reservationId)
        .map(saleId -> views.surelyUnknown(saleId) ? saleNotFound(saleId)
            : reservationAnswer(sales.ask(saleId, r -> new Sale.Cancel(reservationId, buyer, r))))
        .orElseGet(() -> notFound(reservationId));
  }

  private Route notFound(String reservationId) {
    return error(StatusCodes.NOT_FOUND, "reservation_not_found", "no reservation " + reservationId);
  }
}
