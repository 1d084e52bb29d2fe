package seckill.sale;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import seckill.auth.BuyerTokens;
import seckill.http.Json;
import seckill.http.JsonDirectives;
import seckill.sale.SaleJson.ReservationView;
import seckill.sale.SaleJson.ReserveRequest;
import seckill.sale.SaleJson.SaleView;
import seckill.sale.SaleJson.StatusView;

/** The buyer API: sale definition and status, reserve, look up and cancel one's own reservations. */
public final class SaleRoutes extends JsonDirectives {

  private static final int MAX_REQUEST_ID = 100;

  private final Sales sales;
  private final BuyerTokens tokens;
  private final long saleMaxAge;
  private final long statusMaxAge;

  public SaleRoutes(ActorSystem<?> system, BuyerTokens tokens) {
    super(system);
    this.sales = new Sales(system);
    this.tokens = tokens;
    this.saleMaxAge = system.settings().config().getDuration("seckill.http.sale-max-age").toSeconds();
    this.statusMaxAge = system.settings().config().getDuration("seckill.http.status-max-age").toSeconds();
  }

  public Route routes() {
    return pathPrefix("api", () -> concat(
        pathPrefix(PathMatchers.segment("sales").slash(PathMatchers.segment()), saleId -> concat(
            pathEndOrSingleSlash(() -> get(() -> sale(saleId))),
            path("status", () -> get(() -> status(saleId))),
            path("reservations", () -> post(() -> buyer(tokens, buyer -> reserve(saleId, buyer)))))),
        path(PathMatchers.segment("reservations").slash(PathMatchers.segment()), rid -> concat(
            get(() -> buyer(tokens, buyer -> reservation(rid, buyer))),
            delete(() -> buyer(tokens, buyer -> cancel(rid, buyer)))))));
  }

  private Route sale(String saleId) {
    if (!Sale.isValidSaleId(saleId)) return saleNotFound(saleId);
    return onSuccess(sales.status(saleId), status -> {
      if (status.definition() == null) return saleNotFound(saleId);
      SaleView view = SaleView.of(saleId, status.definition());
      return respondWithHeader(CacheControl.create(CacheDirectives.PUBLIC, CacheDirectives.MAX_AGE(saleMaxAge)),
          () -> conditional(EntityTag.create(etagOf(view), false), () -> json(StatusCodes.OK, view)));
    });
  }

  private Route status(String saleId) {
    if (!Sale.isValidSaleId(saleId)) return saleNotFound(saleId);
    return onSuccess(sales.status(saleId), status -> status.definition() == null
        ? saleNotFound(saleId)
        : respondWithHeader(CacheControl.create(CacheDirectives.PUBLIC, CacheDirectives.MAX_AGE(statusMaxAge)),
            () -> json(StatusCodes.OK, StatusView.of(status))));
  }

  private Route reserve(String saleId, String buyer) {
    return jsonBody(ReserveRequest.class, body -> {
      if (!Sale.isValidSaleId(saleId)) return saleNotFound(saleId);
      String requestId = body.requestId();
      if (requestId == null || requestId.isBlank() || requestId.length() > MAX_REQUEST_ID)
        return error(StatusCodes.BAD_REQUEST, "invalid_request_id", "requestId must be 1 to " + MAX_REQUEST_ID + " characters");
      int quantity = body.quantity() == null ? 1 : body.quantity();
      if (quantity <= 0) return error(StatusCodes.BAD_REQUEST, "invalid_quantity", "quantity must be at least 1");
      return onSuccess(
          sales.<Sale.ReserveReply>ask(saleId, replyTo ->
              new Sale.ReserveBatch(List.of(new Sale.Reserve(buyer, requestId, quantity, replyTo)))),
          reply -> {
            if (reply instanceof Sale.Reserved reserved) {
              ReservationView view = ReservationView.of(reserved.reservation());
              return respondWithHeader(Location.create("/api/reservations/" + view.reservationId()),
                  () -> json(StatusCodes.CREATED, view));
            }
            return rejected((Sale.Rejected) reply);
          });
    });
  }

  private Route reservation(String reservationId, String buyer) {
    return Sale.saleIdOf(reservationId)
        .map(saleId -> reservationReply(sales.ask(saleId, r -> new Sale.GetReservation(reservationId, buyer, r))))
        .orElseGet(() -> reservationNotFound(reservationId));
  }

  private Route cancel(String reservationId, String buyer) {
    return Sale.saleIdOf(reservationId)
        .map(saleId -> reservationReply(sales.ask(saleId, r -> new Sale.Cancel(reservationId, buyer, r))))
        .orElseGet(() -> reservationNotFound(reservationId));
  }

  private Route reservationReply(java.util.concurrent.CompletionStage<Sale.ReservationReply> reply) {
    return onSuccess(reply, r -> r instanceof Sale.ReservationResult found
        ? json(StatusCodes.OK, ReservationView.of(found.reservation()))
        : rejected((Sale.Rejected) r));
  }

  private Route saleNotFound(String saleId) {
    return error(StatusCodes.NOT_FOUND, "sale_not_found", "no sale " + saleId);
  }

  private Route reservationNotFound(String reservationId) {
    return error(StatusCodes.NOT_FOUND, "reservation_not_found", "no reservation " + reservationId);
  }

  private static String etagOf(Object view) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(Json.MAPPER.writeValueAsBytes(view));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(hash).substring(0, 22);
    } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
