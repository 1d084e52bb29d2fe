package seckill.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.OneNode;
import seckill.TestNode;
import seckill.switches.Switches;

/** The switches API on one node: validation, who and when, and what each brake answers. */
@ExtendWith({LogCapturingExtension.class, OneNode.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SwitchesTest {

  private TestNode node;
  private Api api;

  private Response patch(String body) {
    return api.admin("PATCH", "/admin/switches", body);
  }

  private void assertInvalid(String body, String messagePart) {
    Response r = patch(body);
    assertEquals(400, r.status(), body + " -> " + r.text());
    assertEquals("application/json", r.header("Content-Type"));
    assertNotNull(r.error(), r.text());
    assertTrue(r.json().get("message").asText().contains(messagePart), body + " -> " + r.text());
  }

  private static void assertBraked(Response r, String code) {
    assertEquals(503, r.status(), r.text());
    assertEquals(code, r.error(), r.text());
    assertNotNull(r.header("Retry-After"), "a braked answer says when to come back");
  }

  @Test
  void badChangesAre400WithAJsonErrorAndChangeNothing() {
    long before = api.admin("GET", "/admin/switches", null).json().get("version").asLong();
    assertInvalid("{\"pauseAll\":true}", "\"by\"");
    assertInvalid("{\"by\":\"  \",\"pauseAll\":true}", "\"by\"");
    assertInvalid("{\"by\":\"ops\"}", "at least one switch");
    assertInvalid("{\"by\":\"ops\",\"pauseAl\":true}", "unknown switch \"pauseAl\"");
    assertInvalid("{\"by\":\"ops\",\"pauseAll\":\"yes\"}", "pauseAll must be true or false");
    assertInvalid("{\"by\":\"ops\",\"queueSize\":0}", "queueSize must be a whole number from 1 to 4096");
    assertInvalid("{\"by\":\"ops\",\"queueSize\":4097}", "from 1 to 4096");
    assertInvalid("{\"by\":\"ops\",\"nodeRatePerSecond\":1.5}", "nodeRatePerSecond must be a whole number");
    assertInvalid("{\"by\":\"ops\",\"waitBudgetMillis\":-1}", "waitBudgetMillis");
    assertInvalid("{\"by\":\"ops\",\"challengeDifficulty\":33}", "from 0 to 32");
    assertInvalid("{\"by\":\"ops\",\"pausedSales\":[\"has space\"]}", "is not a sale id");
    assertInvalid("{\"by\":\"ops\",\"pausedSales\":\"one\"}", "array of strings");
    assertInvalid("{\"by\":\"ops\",\"saleRatePerSecond\":{\"s\":0}}", "saleRatePerSecond.s must be a whole number");
    assertInvalid("{\"by\":\"ops\",\"disabledFeatures\":[\"reserve\"]}", "not a feature that can be turned off");
    assertInvalid("{\"by\":\"ops\",\"disabledFeatures\":[\"status\"]}", "not a feature that can be turned off");
    // a good switch beside a bad one: the whole change is refused
    assertInvalid("{\"by\":\"ops\",\"readOnly\":true,\"queueSize\":0}", "queueSize");
    assertInvalid("[1]", "JSON object");
    Response malformed = patch("{\"by\":");
    assertEquals(400, malformed.status(), malformed.text());
    assertEquals("malformed_json", malformed.error());
    Response noOperator = api.put("/admin/switches/paused-sales/x", Api.ADMIN_TOKEN, null);
    assertEquals(400, noOperator.status(), noOperator.text());
    Response noToken = api.send("PATCH", "/admin/switches", null, "{\"by\":\"ops\",\"pauseAll\":true}", Map.of());
    assertEquals(401, noToken.status());
    assertEquals(401, api.get("/admin/switches", null).status());

    JsonNode after = api.admin("GET", "/admin/switches", null).json();
    assertEquals(before, after.get("version").asLong(), "no refused change was recorded");
    assertFalse(after.get("values").get("readOnly").asBoolean());
  }

  @Test
  void everyChangeShowsWhoMadeItAndWhenAndANullGoesBackToTheConfig() {
    Instant before = Instant.now().minusSeconds(1);
    Response set = patch("{\"by\":\"alice\",\"queueSize\":100,\"waitBudgetMillis\":250,\"challengeDifficulty\":4,"
        + "\"saleChallengeDifficulty\":{\"hot\":9}}");
    assertEquals(200, set.status(), set.text());
    Response shown = api.admin("GET", "/admin/switches", null);
    assertEquals(200, shown.status());
    JsonNode body = shown.json();
    assertEquals(100, body.get("values").get("queueSize").asInt());
    assertEquals(100, body.get("effective").get("queueSize").asInt());
    assertEquals(250, body.get("effective").get("waitBudgetMillis").asLong());
    assertEquals(9, body.get("values").get("saleChallengeDifficulty").get("hot").asInt());
    JsonNode stamp = body.get("changed").get("queueSize");
    assertEquals("alice", stamp.get("by").asText());
    assertTrue(Instant.parse(stamp.get("at").asText()).isAfter(before), body.toString());
    JsonNode last = body.get("history").get(0);
    assertEquals("alice", last.get("by").asText());
    assertEquals("[\"queueSize\",\"waitBudgetMillis\",\"challengeDifficulty\",\"saleChallengeDifficulty\"]",
        last.get("fields").toString());
    assertTrue(Switches.get(node.system).values().difficultyFor("hot", 0) == 9 && Switches.get(node.system).values().difficultyFor("other", 0) == 4,
        "the challenge reads a sale's own difficulty, else the global one");

    Response reset = patch("{\"by\":\"bob\",\"queueSize\":null,\"saleChallengeDifficulty\":{\"hot\":null}}");
    assertEquals(200, reset.status(), reset.text());
    body = reset.json();
    assertNull(body.get("values").get("queueSize"));
    assertEquals(4096, body.get("effective").get("queueSize").asInt(), "back to seckill.admission.queue-size");
    assertEquals(0, body.get("values").get("saleChallengeDifficulty").size());
    assertEquals("bob", body.get("changed").get("queueSize").get("by").asText());
    assertEquals("alice", body.get("changed").get("waitBudgetMillis").get("by").asText());
    assertEquals("bob", body.get("history").get(0).get("by").asText());
    assertEquals("alice", body.get("history").get(1).get("by").asText());

    long version = body.get("version").asLong();
    Response same = patch("{\"by\":\"carol\",\"waitBudgetMillis\":250}");
    assertEquals(version, same.json().get("version").asLong(), "setting a value it already has records nothing");
    assertEquals(200, patch("{\"by\":\"bob\",\"waitBudgetMillis\":null,\"challengeDifficulty\":null}").status());
  }

  @Test
  void aPausedSaleAnswers503ToReservesButStillServesItsStatus() {
    api.defineSale("brake", Api.sale(10, 1, "ON_ORDER", null));
    String alice = api.token("alice");
    Response paused = api.put("/admin/switches/paused-sales/brake?by=ops", Api.ADMIN_TOKEN, null);
    assertEquals(200, paused.status(), paused.text());
    assertEquals("[\"brake\"]", paused.json().get("values").get("pausedSales").toString());
    api.awaitState("brake", "PAUSED");
    Response status = api.get("/api/sales/brake/status", null);
    assertFalse(status.json().has("reservePath"), "the reserve path is hidden while paused");
    assertBraked(api.reserve("brake", alice, "r1", 1), "paused");
    assertEquals(0, api.admin("GET", "/admin/sales/brake", null).json().get("sold").asInt(), "nothing reached the sale");

    assertEquals(200, api.delete("/admin/switches/paused-sales/brake?by=ops", Api.ADMIN_TOKEN).status());
    api.awaitState("brake", "OPEN");
    assertEquals(201, api.reserve("brake", alice, "r1", 1).status());

    assertEquals(200, patch("{\"by\":\"ops\",\"pauseAll\":true}").status());
    assertBraked(api.reserve("brake", api.token("bob"), "r1", 1), "paused");
    assertEquals(200, patch("{\"by\":\"ops\",\"pauseAll\":false}").status());
    assertEquals(201, api.reserve("brake", api.token("bob"), "r1", 1).status());
  }

  @Test
  void readOnlyRefusesChangesButServesReadsAndKeepsTheSwitchesWritable() {
    api.defineSale("frozen", Api.sale(10, 2, "HOLD", 300L));
    String alice = api.token("alice");
    Response held = api.reserve("frozen", alice, "r1", 1);
    assertEquals(201, held.status(), held.text());
    String reservation = held.json().get("reservationId").asText();

    assertEquals(200, patch("{\"by\":\"ops\",\"readOnly\":true}").status());
    try {
      assertBraked(api.reserve("frozen", alice, "r2", 1), "read_only");
      assertBraked(api.delete("/api/reservations/" + reservation, alice), "read_only");
      assertBraked(api.admin("PUT", "/admin/sales/other", Api.sale(1, 1, "ON_ORDER", null).toString()), "read_only");
      assertBraked(api.admin("POST", "/admin/sales/frozen/stock", "{\"units\":1}"), "read_only");
      assertBraked(api.admin("POST", "/admin/reservations/" + reservation + "/payment", "{\"paymentId\":\"p\"}"), "read_only");
      assertEquals(200, api.get("/api/sales/frozen/status", null).status());
      assertEquals(200, api.get("/api/reservations/" + reservation, alice).status());
      assertEquals(200, api.admin("GET", "/admin/sales/frozen", null).status());
    } finally {
      assertEquals(200, patch("{\"by\":\"ops\",\"readOnly\":false}").status(), "the switches stay writable");
    }
    assertEquals(200, api.delete("/api/reservations/" + reservation, alice).status());
  }

  @Test
  void aFeatureTurnedOffAnswers503FeatureOff() {
    api.defineSale("page", Api.sale(10, 1, "ON_ORDER", null));
    String alice = api.token("alice");
    assertEquals(200, api.get("/sales/page", null).status());
    Response off = patch("{\"by\":\"ops\",\"disabledFeatures\":[\"sale-page\",\"buyer-reservations\",\"reservation-lookup\"]}");
    assertEquals(200, off.status(), off.text());
    try {
      assertBraked(api.get("/sales/page", null), "feature_off");
      assertBraked(api.get("/static/sale.js", null), "feature_off");
      assertBraked(api.get("/api/sales/page/reservations", alice), "feature_off");
      assertBraked(api.get("/api/reservations/page.x", alice), "feature_off");
      assertEquals(200, api.get("/api/sales/page/status", null).status(), "status is essential");
      assertEquals(201, api.reserve("page", alice, "r1", 1).status(), "reserve is essential");
    } finally {
      assertEquals(200, patch("{\"by\":\"ops\",\"disabledFeatures\":null}").status());
    }
    assertEquals(200, api.get("/sales/page", null).status());
  }

  @Test
  void aSaleRateLimitAnswers429ForThatSaleOnly() {
    api.defineSale("limited", Api.sale(1000, 1, "ON_ORDER", null));
    api.defineSale("free", Api.sale(1000, 1, "ON_ORDER", null));
    assertEquals(200, patch("{\"by\":\"ops\",\"saleRatePerSecond\":{\"limited\":1}}").status());
    try {
      String limitedPath = api.reservePath("limited");
      int limited = 0;
      for (int i = 0; i < 10; i++) {
        Response r = api.post(limitedPath, api.token("l" + i), "{\"requestId\":\"r\"}");
        if (r.status() == 429) {
          limited++;
          assertEquals("rate_limited", r.error());
          assertNotNull(r.header("Retry-After"));
        } else {
          assertEquals(201, r.status(), r.text());
        }
      }
      assertTrue(limited > 0, "ten quick reserves against a rate of one per second: some are refused");
      String freePath = api.reservePath("free");
      for (int i = 0; i < 5; i++) {
        assertEquals(201, api.post(freePath, api.token("f" + i), "{\"requestId\":\"r\"}").status(), "other sales are not limited");
      }
    } finally {
      assertEquals(200, patch("{\"by\":\"ops\",\"saleRatePerSecond\":null}").status());
    }
  }
}
