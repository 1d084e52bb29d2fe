package seckill.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import seckill.sale.SaleJson.ReserveRequest;
import seckill.sale.SaleJson.SaleRequest;

/** A body that is refused says why in the API's own terms: the field and what it must be, never a Java type or a library's switch. */
class BodyErrorsTest {

  /** What must never reach a buyer or an operator: class names, packages, Jackson's feature names and its quoting. */
  private static final Pattern INTERNALS = Pattern.compile(
      "java\\.|seckill\\.|[Jj]ackson|Json[A-Z]|Feature|ALLOW_|FAIL_ON|`|\\$|Integer|\\bString\\b|BigDecimal|\\bInstant\\b"
          + "|Enum|\\brecord\\b|\\bclass\\b|token '");

  private static final String SALE = """
      {"item":"x","price":1,"currency":"EUR","stock":%s,"startsAt":%s,"endsAt":"2030-01-01T00:00:00Z",
       "perBuyerLimit":1,"mode":%s}""";

  private static ApiError refused(String body, Class<?> type) {
    IOException e = assertThrows(IOException.class, () -> Json.MAPPER.readValue(body, type), body);
    ApiError error = BodyErrors.of(e);
    assertFalse(INTERNALS.matcher(error.message()).find(), "internals in: " + error.message());
    return error;
  }

  private static void assertRefused(String body, Class<?> type, String code, String message) {
    ApiError error = refused(body, type);
    assertEquals(code, error.error(), body);
    assertEquals(message, error.message(), body);
  }

  @Test
  void aWrongTypeNamesTheFieldAndWhatItMustBe() {
    assertRefused("{\"requestId\":\"r1\",\"quantity\":\"two\"}", ReserveRequest.class, "invalid_body",
        "field 'quantity' must be a whole number from -2147483648 to 2147483647");
    assertRefused("{\"requestId\":7}", ReserveRequest.class, "invalid_body", "field 'requestId' must be a string");
    assertRefused("{\"requestId\":\"r1\",\"quantity\":1.5}", ReserveRequest.class, "invalid_body",
        "field 'quantity' must be a whole number from -2147483648 to 2147483647");
    assertRefused("[1]", ReserveRequest.class, "invalid_body", "the body must be an object");
    assertRefused(SALE.formatted("1", "\"2029-01-01T00:00:00Z\"", "\"NOW\""), SaleRequest.class, "invalid_body",
        "field 'mode' must be one of \"ON_ORDER\", \"HOLD\", \"ON_PAYMENT\"");
    assertRefused(SALE.formatted("1", "1893456000", "\"ON_ORDER\""), SaleRequest.class, "invalid_body",
        "field 'startsAt' must be a time in ISO-8601 such as \"2030-01-01T12:00:00Z\"");
    assertRefused(SALE.formatted("1", "\"tomorrow\"", "\"ON_ORDER\""), SaleRequest.class, "invalid_body",
        "field 'startsAt' must be a time in ISO-8601 such as \"2030-01-01T12:00:00Z\"");
  }

  @Test
  void anUnknownFieldIsNamedWithTheKnownOnes() {
    assertRefused("{\"requestId\":\"r1\",\"qty\":1}", ReserveRequest.class, "invalid_body",
        "field 'qty' is not known; the fields are: quantity, requestId");
  }

  @Test
  void anOutOfRangeNumberSaysSo() {
    ApiError error = refused(SALE.formatted("99999999999", "\"2029-01-01T00:00:00Z\"", "\"ON_ORDER\""), SaleRequest.class);
    assertEquals("invalid_body", error.error());
    assertTrue(error.message().startsWith("field 'stock' "), error.message());
  }

  @Test
  void brokenJsonSaysWhereWithoutTheParsersWords() {
    assertRefused("{\"requestId\":\"r1\",\"quantity\":NaN}", ReserveRequest.class, "malformed_json",
        "NaN and Infinity are not JSON numbers (line 1, column 33)");
    assertRefused("{\"requestId\":\"a\",\"requestId\":\"b\"}", ReserveRequest.class, "malformed_json",
        "field 'requestId' appears twice (line 1, column 29)");
    assertRefused("{\"requestId\":\"r1\"", ReserveRequest.class, "malformed_json", "the body ends before its JSON does");
    assertRefused("{\"requestId\":\"r1\"} {}", ReserveRequest.class, "malformed_json",
        "the body has more after its JSON value (line 1, column 20)");
    assertRefused("{requestId:1}", ReserveRequest.class, "malformed_json", "the body is not valid JSON (line 1, column 2)");
    ApiError nested = refused(SALE.formatted("1", "\"2029-01-01T00:00:00Z\"", "\"ON_ORDER\"").replace("}", ",\"waitingRoom\":{\"maxActive\":5,}}"),
        SaleRequest.class);
    assertEquals("malformed_json", nested.error(), "broken JSON inside a nested object: " + nested.message());
    ApiError nestedTwice = refused(SALE.formatted("1", "\"2029-01-01T00:00:00Z\"", "\"ON_ORDER\"")
        .replace("}", ",\"waitingRoom\":{\"maxActive\":5,\"maxActive\":6}}"), SaleRequest.class);
    assertEquals("malformed_json", nestedTwice.error(), nestedTwice.message());
    assertTrue(nestedTwice.message().startsWith("field 'maxActive' appears twice"), nestedTwice.message());
  }
}
