package seckill.sale;

import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static seckill.http.JsonAnswers.error;
import static seckill.http.JsonAnswers.json;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/** A sale's answers as HTTP: the one table of refusal reasons to status codes, and reservation replies. */
public final class SaleReplies {

  private SaleReplies() {}

  /** Maps an entity's refusal to its status code: the one table of reasons to HTTP. */
  public static Route rejected(Sale.Rejected rejected) {
    return error(statusOf(rejected.reason()), codeOf(rejected.reason()), rejected.message());
  }

  /** A refusal's error code: its reason in lower case ({@code sold_out}). */
  public static String codeOf(Sale.Reason reason) {
    return reason.name().toLowerCase();
  }

  public static StatusCode statusOf(Sale.Reason reason) {
    return switch (reason) {
      case SALE_NOT_FOUND, RESERVATION_NOT_FOUND -> StatusCodes.NOT_FOUND;
      case INVALID_DEFINITION, INVALID_QUANTITY, INVALID_STOCK -> StatusCodes.BAD_REQUEST;
      case SOLD_OUT -> StatusCodes.GONE;
      case ADMISSION_USED -> StatusCodes.FORBIDDEN;
      case ALREADY_STARTED, NOT_OPEN, PAUSED, ENDED, CLOSED, LIMIT_REACHED, NOT_CANCELLABLE,
          RESERVATION_EXPIRED, RESERVATION_CANCELLED, ALREADY_PAID, PAYMENT_FAILED, TOO_MANY_RESERVATIONS -> StatusCodes.CONFLICT;
    };
  }

  public static Route saleNotFound(String saleId) {
    return error(StatusCodes.NOT_FOUND, "sale_not_found", "no sale " + saleId);
  }

  /** A sale's answer about one reservation: 200 with it, or the refusal's status. */
  public static Route reservationAnswer(CompletionStage<Sale.ReservationReply> reply) {
    return onSuccess(reply, r -> r instanceof Sale.ReservationResult found
        ? json(StatusCodes.OK, SaleJson.ReservationView.of(found.reservation()))
        : rejected((Sale.Rejected) r));
  }
}
