package seckill.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.junit.jupiter.api.Test;
import seckill.sale.SaleJson.SaleRequest;

/** The API's JSON mapping refuses what a lenient one would quietly turn into something else. */
class JsonTest {

  private static final String SALE = """
      {"item":"x","price":1,"currency":"EUR","stock":1,"startsAt":%s,"endsAt":"2030-01-01T00:00:00Z",
       "perBuyerLimit":1,"mode":%s}""";

  @Test
  void refusesDuplicateKeys() {
    assertThrows(JsonProcessingException.class, () -> Json.MAPPER.readTree("{\"requestId\":\"a\",\"requestId\":\"b\"}"));
  }

  @Test
  void refusesANumberForAnEnumOrATime() throws Exception {
    assertEquals("ON_ORDER", Json.MAPPER.readValue(SALE.formatted("\"2029-01-01T00:00:00Z\"", "\"ON_ORDER\""),
        SaleRequest.class).mode().name());
    assertThrows(JsonProcessingException.class,
        () -> Json.MAPPER.readValue(SALE.formatted("\"2029-01-01T00:00:00Z\"", "1"), SaleRequest.class));
    assertThrows(JsonProcessingException.class,
        () -> Json.MAPPER.readValue(SALE.formatted("1893456000", "\"ON_ORDER\""), SaleRequest.class));
    assertThrows(JsonProcessingException.class,
        () -> Json.MAPPER.readValue(SALE.formatted("1893456000.5", "\"ON_ORDER\""), SaleRequest.class));
  }
}
