package seckill.sale;

import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * The ids a sale deals in and their rules: sale ids, reservation ids ({@code {saleId}.{random}}, so the
 * owner is found without a lookup: sale ids never hold a dot) and buyers' request ids.
 */
public final class SaleIds {

  private static final Pattern SALE_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final int MAX_REQUEST_ID = 100;
  /** Printable ASCII, so a batch's size in bytes stays bounded (see hot-batch-factor in admission.conf). */
  private static final Pattern REQUEST_ID = Pattern.compile("[\\x21-\\x7E]{1," + MAX_REQUEST_ID + "}");
  /** What a buyer's requestId must be, wherever it arrives (reserve, challenge). */
  public static final String REQUEST_ID_RULE = "requestId must be 1 to " + MAX_REQUEST_ID + " printable ASCII characters without spaces";

  private SaleIds() {}

  public static boolean isValidSaleId(String saleId) {
    return saleId != null && SALE_ID.matcher(saleId).matches();
  }

  public static boolean isValidRequestId(String requestId) {
    return requestId != null && REQUEST_ID.matcher(requestId).matches();
  }

  /** The sale a reservation id belongs to, or empty when it is not one. */
  public static Optional<String> saleIdOf(String reservationId) {
    int dot = reservationId == null ? -1 : reservationId.indexOf('.');
    if (dot <= 0) return Optional.empty();
    String saleId = reservationId.substring(0, dot);
    return isValidSaleId(saleId) ? Optional.of(saleId) : Optional.empty();
  }

  /** A new random reservation id in {@code saleId}; the caller checks it is not taken. */
  static String newReservationId(String saleId) {
    return saleId + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
  }
}
