package seckill.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.OneNode;
import seckill.TestDatabases;
import seckill.TestNode;
import seckill.auth.BuyerTokens;

/** Every endpoint's success and error cases, over HTTP against a real node on an H2 journal. */
@ExtendWith({LogCapturingExtension.class, OneNode.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpApiTest {

  private static final AtomicInteger ids = new AtomicInteger();

  private TestNode node;
  private Api api;
  private final String alice = Api.mint("alice");
  private final String bob = Api.mint("bob");

  private String newSale(ObjectNode definition) {
    String id = "sale-" + ids.incrementAndGet();
    api.defineSale(id, definition);
    return id;
  }

  private static void assertError(Response r, int status, String code) {
    assertEquals(status, r.status(), r.text());
    assertTrue(r.header("Content-Type").startsWith("application/json"), "JSON error body: " + r.header("Content-Type"));
    assertEquals(code, r.error(), r.text());
    assertNotNull(r.json().get("message"));
  }

  @Test
  void placementNamesTheSalesShardAndTheNodeThatHostsIt() {
    String id = newSale(Api.sale(5, 1, "ON_ORDER", null));
    Response r = api.admin("GET", "/admin/sales/" + id + "/placement", null);
    assertEquals(200, r.status(), r.text());
    assertEquals(id, r.json().get("saleId").asText());
    assertEquals(String.valueOf(Math.abs(id.hashCode() % 1000)), r.json().get("shard").asText(), "Pekko's default hash");
    assertEquals(Cluster.get(node.system).selfMember().address().toString(),
        r.json().get("node").asText());
    assertError(api.admin("GET", "/admin/sales/no%20such/placement", null), 404, "sale_not_found");
    assertError(api.send("GET", "/admin/sales/" + id + "/placement", null, null, Map.of()), 401, "unauthorized");
  }

  // ---------------------------------------------------------------- buyer: sale and status

  @Test
  void saleDefinitionIsCacheableWithETagAnd304() {
    String id = newSale(Api.sale(5, 2, "HOLD", 300L));
    Response r = api.get("/api/sales/" + id, null);
    assertEquals(200, r.status());
    assertEquals("Test item", r.json().get("item").asText());
    assertEquals(300, r.json().get("holdSeconds").asInt());
    assertEquals("public, max-age=5", r.header("Cache-Control"));
    String etag = r.header("ETag");
    assertNotNull(etag);
    assertNull(r.header("Set-Cookie"));

    Response notModified = api.send("GET", "/api/sales/" + id, null, null, Map.of("If-None-Match", etag));
    assertEquals(304, notModified.status());
    assertEquals("", notModified.text());

    Response other = api.send("GET", "/api/sales/" + id, null, null, Map.of("If-None-Match", "\"stale\""));
    assertEquals(200, other.status());
  }

  @Test
  void statusShowsStateAvailableAndServerTime() {
    ObjectNode upcoming = Api.sale(1, 1, "ON_ORDER", null);
    upcoming.put("startsAt", Instant.now().plusSeconds(60).toString());
    String id = newSale(upcoming);
    Response r = api.get("/api/sales/" + id + "/status", null);
    assertEquals(200, r.status());
    assertEquals("UPCOMING", r.json().get("state").asText());
    assertEquals(1, r.json().get("available").asInt());
    Instant serverTime = Instant.parse(r.json().get("serverTime").asText());
    assertTrue(Duration.between(serverTime, Instant.now()).abs().toSeconds() < 5);

    assertNull(r.json().get("reservePath"), "the reserve path stays hidden until the sale opens");
    api.lifecycle(id, "open", "OPEN");
    Response open = api.get("/api/sales/" + id + "/status", null);
    assertTrue(open.json().get("reservePath").asText().startsWith("/api/sales/" + id + "/reservations/"));
    assertEquals("public, max-age=1", open.header("Cache-Control"));
    assertEquals(201, api.reserve(id, alice, "r1", 1).status());
    api.awaitState(id, "SOLD_OUT");
  }

  @Test
  void aSoldOutSaleHidesItsReservePathAndOperatorsSeeSoldOut() {
    String id = newSale(Api.sale(1, 1, "ON_ORDER", null));
    assertEquals("OPEN", api.counters(id).get("phase").asText());
    assertEquals(201, api.reserve(id, alice, "r1", 1).status());
    api.awaitState(id, "SOLD_OUT");
    Response status = api.get("/api/sales/" + id + "/status", null);
    assertEquals("SOLD_OUT", status.json().get("state").asText());
    assertNull(status.json().get("reservePath"), "the reserve path is shown only while OPEN: " + status.text());
    assertEquals("SOLD_OUT", api.counters(id).get("phase").asText(), "the admin counters say sold out");
    JsonNode listed = null;
    for (JsonNode s : api.admin("GET", "/admin/sales", null).json().get("sales")) if (s.get("saleId").asText().equals(id)) listed = s;
    assertNotNull(listed, "the sale is in the operators' list");
    assertEquals("SOLD_OUT", listed.get("phase").asText(), "and so does the operators' list");

    // stock added back: open again, the path shown again
    assertEquals(200, api.admin("POST", "/admin/sales/" + id + "/stock", "{\"units\": 1}").status());
    api.awaitState(id, "OPEN");
    assertEquals("OPEN", api.counters(id).get("phase").asText());
    assertNotNull(api.get("/api/sales/" + id + "/status", null).json().get("reservePath"));
  }

  @Test
  void unknownSalesAnswer404() {
    assertError(api.get("/api/sales/nope", null), 404, "sale_not_found");
    assertError(api.get("/api/sales/nope/status", null), 404, "sale_not_found");
    assertError(api.get("/api/sales/bad.id/status", null), 404, "sale_not_found");
    assertError(api.reserve("nope", alice, "r1", 1), 404, "sale_not_found");
    assertError(api.admin("GET", "/admin/sales/nope", null), 404, "sale_not_found");
    assertError(api.admin("POST", "/admin/sales/nope/open", null), 404, "sale_not_found");
  }

  @Test
  void buyerLookupsOfUnknownSalesAnswer404AndStartNoEntity() throws Exception {
    String known = newSale(Api.sale(3, 1, "HOLD", 300L));
    assertError(api.get("/api/reservations/ghost-1.abc", alice), 404, "sale_not_found");
    assertError(api.delete("/api/reservations/ghost-2.abc", alice), 404, "sale_not_found");
    assertError(api.get("/api/sales/ghost-3/reservations", alice), 404, "sale_not_found");
    Set<String> running = node.runningSales();
    assertTrue(running.contains(known), "the query sees the sales that run: " + running);
    for (String ghost : List.of("ghost-1", "ghost-2", "ghost-3")) {
      assertFalse(running.contains(ghost), "a made-up sale id started an entity: " + running);
    }
  }

  // ---------------------------------------------------------------- buyer: reserve

  @Test
  void reserveAnswers201AndAReplayGetsTheSameReservation() {
    String id = newSale(Api.sale(5, 2, "HOLD", 300L));
    Response r = api.reserve(id, alice, "req-1", 2);
    assertEquals(201, r.status(), r.text());
    JsonNode body = r.json();
    String rid = body.get("reservationId").asText();
    assertTrue(rid.startsWith(id + "."));
    assertEquals(id, body.get("saleId").asText());
    assertEquals("alice", body.get("buyer").asText());
    assertEquals(2, body.get("quantity").asInt());
    assertEquals("HELD", body.get("status").asText());
    assertNotNull(body.get("expiresAt"));
    assertEquals("/api/reservations/" + rid, r.header("Location"));

    Response replay = api.reserve(id, alice, "req-1", 2);
    assertEquals(201, replay.status());
    assertEquals(rid, replay.json().get("reservationId").asText());
    assertEquals(3, api.counters(id).get("available").asInt());
  }

  @Test
  void reserveRejectsBadRequestsWithoutChangingAnything() {
    String id = newSale(Api.sale(5, 2, "ON_ORDER", null));
    String path = api.reservePath(id);
    assertError(api.post("/api/sales/" + id + "/reservations", alice, "{\"requestId\":\"a\"}"), 404, "reserve_path_unknown");
    assertError(api.post("/api/sales/" + id + "/reservations/guessed", alice, "{\"requestId\":\"a\"}"), 404, "reserve_path_unknown");
    assertError(api.post(path, null, "{\"requestId\":\"a\"}"), 401, "unauthorized");
    assertEquals("Bearer realm=\"seckill\"", api.post(path, null, "{\"requestId\":\"a\"}").header("WWW-Authenticate"));
    assertError(api.post(path, "not-a-jwt", "{\"requestId\":\"a\"}"), 401, "unauthorized");
    String forged = alice.substring(0, alice.lastIndexOf('.') + 1) + "c2lnbmF0dXJlLWZvcmdlZA";
    assertError(api.post(path, forged, "{\"requestId\":\"a\"}"), 401, "unauthorized");
    BuyerTokens tokens = BuyerTokens.fromConfig(node.config.getConfig("seckill.auth"));
    assertError(api.post(path, tokens.mint("alice", Duration.ofMinutes(-5)), "{\"requestId\":\"a\"}"), 401, "unauthorized");

    assertError(api.post(path, alice, "{\"requestId\":"), 400, "malformed_json");
    assertError(api.post(path, alice, "not json"), 400, "malformed_json");
    assertError(api.post(path, alice, ""), 400, "invalid_body");
    assertError(api.post(path, alice, "[1,2]"), 400, "invalid_body");
    assertError(api.post(path, alice, "{\"requestId\":\"a\",\"quantity\":\"1\"}"), 400, "invalid_body");
    assertError(api.post(path, alice, "{\"requestId\":\"a\",\"quantity\":1.5}"), 400, "invalid_body");
    assertError(api.post(path, alice, "{\"requestId\":\"a\",\"bogus\":true}"), 400, "invalid_body");
    assertError(api.post(path, alice, "{\"quantity\":1}"), 400, "invalid_request_id");
    assertError(api.post(path, alice, "{\"requestId\":\"" + "x".repeat(101) + "\"}"), 400, "invalid_request_id");
    assertError(api.post(path, alice, "{\"requestId\":\"two words\"}"), 400, "invalid_request_id");
    assertError(api.post(path, alice, "{\"requestId\":\"\u00e9t\u00e9\"}"), 400, "invalid_request_id");
    assertError(api.reserve(id, alice, "q0", 0), 400, "invalid_quantity");
    assertError(api.reserve(id, alice, "q-1", -1), 400, "invalid_quantity");
    assertError(api.reserve(id, alice, "q3", 3), 400, "invalid_quantity");
    assertError(api.post(path, alice, "{\"requestId\":\"big\",\"pad\":\"" + "x".repeat(20_000) + "\"}"), 413, "payload_too_large");
    assertError(api.post(path, alice, "{\"requestId\":\"huge\",\"pad\":\"" + "x".repeat(2_000_000) + "\"}"), 413, "payload_too_large");

    JsonNode c = api.counters(id);
    assertEquals(5, c.get("available").asInt());
    assertEquals(0, c.get("reservations").asInt());
  }

  @Test
  void reserveConflictsAndSoldOut() {
    ObjectNode upcoming = Api.sale(2, 1, "ON_ORDER", null);
    upcoming.put("startsAt", Instant.now().plusSeconds(60).toString());
    String id = newSale(upcoming);
    assertError(api.reserve(id, alice, "r1", 1), 409, "not_open");
    api.lifecycle(id, "open", "OPEN");
    assertEquals(201, api.reserve(id, alice, "r1", 1).status());
    assertError(api.reserve(id, alice, "r2", 1), 409, "limit_reached");
    assertEquals(201, api.reserve(id, bob, "r1", 1).status());
    assertError(api.reserve(id, api.token("carol"), "r1", 1), 410, "sold_out");

    String paused = newSale(Api.sale(2, 1, "ON_ORDER", null));
    api.lifecycle(paused, "pause", "PAUSED");
    assertError(api.reserve(paused, alice, "r1", 1), 409, "paused");
    api.lifecycle(paused, "close", "CLOSED");
    assertError(api.reserve(paused, alice, "r1", 1), 409, "closed");
    assertEquals(0, api.counters(paused).get("reservations").asInt());
  }

  // ---------------------------------------------------------------- buyer: reservations

  @Test
  void reservationIsVisibleToItsOwnerOnlyAndAHoldCanBeCancelled() {
    String id = newSale(Api.sale(3, 2, "HOLD", 300L));
    String rid = api.reserve(id, alice, "r1", 2).json().get("reservationId").asText();

    Response mine = api.get("/api/reservations/" + rid, alice);
    assertEquals(200, mine.status());
    assertEquals("HELD", mine.json().get("status").asText());
    assertError(api.get("/api/reservations/" + rid, bob), 404, "reservation_not_found");
    assertError(api.get("/api/reservations/" + rid, null), 401, "unauthorized");
    assertError(api.get("/api/reservations/" + id + ".nope", alice), 404, "reservation_not_found");
    assertError(api.get("/api/reservations/garbage", alice), 404, "reservation_not_found");

    assertError(api.delete("/api/reservations/" + rid, bob), 404, "reservation_not_found");
    assertEquals(1, api.counters(id).get("available").asInt());
    Response cancelled = api.delete("/api/reservations/" + rid, alice);
    assertEquals(200, cancelled.status());
    assertEquals("CANCELLED", cancelled.json().get("status").asText());
    assertEquals(3, api.counters(id).get("available").asInt());
    assertError(api.admin("POST", "/admin/reservations/" + rid + "/payment", "{\"paymentId\":\"p1\"}"), 409, "reservation_cancelled");

    String onOrder = newSale(Api.sale(3, 2, "ON_ORDER", null));
    String final_ = api.reserve(onOrder, alice, "r1", 1).json().get("reservationId").asText();
    assertError(api.delete("/api/reservations/" + final_, alice), 409, "not_cancellable");
  }

  // ---------------------------------------------------------------- admin

  @Test
  void adminNeedsItsToken() {
    String id = newSale(Api.sale(3, 2, "HOLD", 300L));
    assertError(api.get("/admin/sales/" + id, null), 401, "unauthorized");
    assertError(api.get("/admin/sales/" + id, alice), 401, "unauthorized");
    assertError(api.put("/admin/sales/x", "wrong", Api.sale(1, 1, "ON_ORDER", null).toString()), 401, "unauthorized");
    assertError(api.admin("GET", "/admin/sales/x", null), 404, "sale_not_found");
  }

  @Test
  void adminDefinesAndChangesASaleOnlyBeforeItOpens() {
    ObjectNode def = Api.sale(3, 2, "HOLD", 300L);
    def.put("startsAt", Instant.now().plusSeconds(60).toString());
    String id = newSale(def);
    JsonNode c = api.counters(id);
    assertEquals("UPCOMING", c.get("phase").asText());
    assertEquals(3, c.get("stock").asInt());
    assertTrue(c.get("stockBalanced").asBoolean());

    def.put("stock", 7);
    Response updated = api.admin("PUT", "/admin/sales/" + id, def.toString());
    assertEquals(200, updated.status());
    assertEquals(7, updated.json().get("stock").asInt());

    assertEquals("OPEN", api.admin("POST", "/admin/sales/" + id + "/open", null).json().get("phase").asText());
    Response resent = api.admin("PUT", "/admin/sales/" + id, def.toString());
    assertEquals(200, resent.status(), "the same definition again: its answer again, " + resent.text());
    assertEquals("OPEN", resent.json().get("phase").asText());
    def.put("stock", 9);
    assertError(api.admin("PUT", "/admin/sales/" + id, def.toString()), 409, "already_started");
    assertEquals(7, api.counters(id).get("stock").asInt());
    assertEquals("PAUSED", api.admin("POST", "/admin/sales/" + id + "/pause", null).json().get("phase").asText());
    assertEquals("OPEN", api.admin("POST", "/admin/sales/" + id + "/open", null).json().get("phase").asText());
    assertEquals("CLOSED", api.admin("POST", "/admin/sales/" + id + "/close", null).json().get("phase").asText());
    assertError(api.admin("POST", "/admin/sales/" + id + "/open", null), 409, "closed");
  }

  @Test
  void adminRejectsBadDefinitions() {
    String path = "/admin/sales/bad-def";
    ObjectNode missing = Api.sale(3, 2, "HOLD", 300L);
    missing.remove("stock");
    assertError(api.admin("PUT", path, missing.toString()), 400, "invalid_definition");
    ObjectNode noHold = Api.sale(3, 2, "HOLD", null);
    assertError(api.admin("PUT", path, noHold.toString()), 400, "invalid_definition");
    ObjectNode backwards = Api.sale(3, 2, "ON_ORDER", null);
    backwards.put("endsAt", Instant.now().minusSeconds(60).toString());
    assertError(api.admin("PUT", path, backwards.toString()), 400, "invalid_definition");
    ObjectNode negative = Api.sale(-3, 2, "ON_ORDER", null);
    assertError(api.admin("PUT", path, negative.toString()), 400, "invalid_definition");
    ObjectNode badMode = Api.sale(3, 2, "SOMETIMES", null);
    assertError(api.admin("PUT", path, badMode.toString()), 400, "invalid_body");
    ObjectNode badTime = Api.sale(3, 2, "ON_ORDER", null);
    badTime.put("startsAt", "tomorrow");
    assertError(api.admin("PUT", path, badTime.toString()), 400, "invalid_body");
    assertError(api.admin("PUT", path, "{"), 400, "malformed_json");
    assertError(api.admin("PUT", "/admin/sales/bad.id", Api.sale(3, 2, "ON_ORDER", null).toString()), 400, "invalid_sale_id");
    assertError(api.admin("GET", path, null), 404, "sale_not_found");
  }

  @Test
  void adminAddsStock() {
    String id = newSale(Api.sale(1, 2, "ON_ORDER", null));
    Response r = api.admin("POST", "/admin/sales/" + id + "/stock", "{\"units\":4}");
    assertEquals(200, r.status(), r.text());
    assertEquals(5, r.json().get("stock").asInt());
    assertEquals(5, r.json().get("available").asInt());
    assertError(api.admin("POST", "/admin/sales/" + id + "/stock", "{\"units\":0}"), 400, "invalid_stock");
    assertError(api.admin("POST", "/admin/sales/" + id + "/stock", "{\"units\":-2}"), 400, "invalid_stock");
    assertError(api.admin("POST", "/admin/sales/" + id + "/stock", "{}"), 400, "invalid_stock");
    assertError(api.admin("POST", "/admin/sales/" + id + "/stock", "{\"units\":\"4\"}"), 400, "invalid_body");
    assertEquals(5, api.counters(id).get("stock").asInt());
  }

  @Test
  void adminConfirmsPaymentsAndRejectsLateOnes() throws InterruptedException {
    String id = newSale(Api.sale(3, 2, "HOLD", 1L));
    String paid = api.reserve(id, alice, "r1", 1).json().get("reservationId").asText();
    String late = api.reserve(id, bob, "r1", 1).json().get("reservationId").asText();
    String path = "/admin/reservations/" + paid + "/payment";
    assertError(api.admin("POST", path, "{}"), 400, "invalid_payment_id");
    assertError(api.admin("POST", path, "{\"paymentId\":7}"), 400, "invalid_body");
    Response ok = api.admin("POST", path, "{\"paymentId\":\"pay-1\"}");
    assertEquals(200, ok.status(), ok.text());
    assertEquals("PAID", ok.json().get("status").asText());
    assertEquals("pay-1", ok.json().get("paymentId").asText());
    assertEquals(200, api.admin("POST", path, "{\"paymentId\":\"pay-1\"}").status(), "same payment twice is fine");
    assertError(api.admin("POST", path, "{\"paymentId\":\"pay-2\"}"), 409, "already_paid");
    assertError(api.admin("POST", "/admin/reservations/" + id + ".unknown/payment", "{\"paymentId\":\"p\"}"), 404, "reservation_not_found");

    Thread.sleep(1300); // time itself is the condition: the 1 s hold must run out before the late payment
    assertError(api.admin("POST", "/admin/reservations/" + late + "/payment", "{\"paymentId\":\"p\"}"), 409, "reservation_expired");
    JsonNode c = api.counters(id);
    assertEquals(1, c.get("sold").asInt());
    assertEquals(0, c.get("held").asInt());
    assertEquals(2, c.get("available").asInt());
    assertEquals("EXPIRED", api.admin("GET", "/admin/reservations/" + late, null).json().get("status").asText());
  }

  // ---------------------------------------------------------------- the rest

  @Test
  void devTokensAreMintedForValidBuyers() {
    Response r = api.post("/dev/tokens", null, "{\"buyer\":\"dora\"}");
    assertEquals(201, r.status());
    assertEquals("dora", r.json().get("buyer").asText());
    assertNotNull(r.json().get("expiresAt"));
    assertError(api.post("/dev/tokens", null, "{\"buyer\":\"no spaces\"}"), 400, "invalid_buyer");
    assertError(api.post("/dev/tokens", null, "{}"), 400, "invalid_buyer");
  }

  @Test
  void outsideDevModeTheEmbeddedSecretsAreRefusedAtStart() {
    Exception e = assertThrows(IllegalStateException.class,
        () -> TestNode.start(TestDatabases.h2(), ConfigFactory.parseString("seckill.auth.dev-mode = off")));
    assertTrue(String.valueOf(e.getCause()).contains("SECKILL_"), String.valueOf(e.getCause()));
  }

  @Test
  void unknownPathsAndMethodsAnswerJson() {
    assertError(api.get("/nothing/here", null), 404, "not_found");
    assertError(api.send("PATCH", "/api/sales/x/status", null, null, Map.of()), 405, "method_not_allowed");
  }

  @Test
  void devModeOffHasNoTokenEndpointAndAnUnansweredAskIs503() throws Exception {
    try (TestNode lonely = TestNode.start(TestDatabases.h2(), ConfigFactory.parseString("""
        seckill.auth.dev-mode = off
        seckill.auth.hs256-secret = "another-jwt-secret-that-is-long-enough-0123"
        seckill.auth.admin-token = "another-admin-token-long-enough-0123456789"
        seckill.admission.sale-key-secret = "another-sale-key-secret-long-enough-0123456"
        seckill.challenge.secret = "another-challenge-secret-long-enough-0123"
        seckill.waiting-room.secret = "another-waiting-room-secret-long-enough-0123"
        seckill.http.ask-timeout = 300ms
        """))) {
      Api other = lonely.api();
      assertError(other.post("/dev/tokens", null, "{\"buyer\":\"x\"}"), 404, "not_found");
      // the node's sale region stopped: every ask of a sale goes unanswered
      lonely.stopSaleRegion();
      // the admin counters ask the sale itself, known or not
      Response r = other.send("GET", "/admin/sales/any", "another-admin-token-long-enough-0123456789", null, Map.of());
      assertError(r, 503, "unavailable");
      assertEquals("1", r.header("Retry-After"));
    }
  }

  @Test
  void losersAreAnsweredFromThePublicViewBeforeTheirTokenIsChecked() {
    String id = "public-first";
    api.defineSale(id, Api.sale(1, 1, "ON_ORDER", null));
    String path = api.reservePath(id);
    String body = Api.reserveBody("r1", 1);
    // an open sale with units needs the token first
    assertError(api.post(path, null, body), 401, "unauthorized");
    assertEquals(201, api.post(path, alice, body).status());
    api.awaitState(id, "SOLD_OUT");
    // sold out: no token, or a forged one, gets the same public answer, and nothing changes
    assertError(api.post(path, null, body), 410, "sold_out");
    assertError(api.post(path, "not.a.token", body), 410, "sold_out");
    assertError(api.post("/api/sales/no-such-sale/reservations/x", null, body), 404, "sale_not_found");
    assertEquals(1, api.admin("GET", "/admin/sales/" + id, null).json().get("sold").asInt());
  }
}
