package seckill.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.OneNode;
import seckill.challenge.Challenges;

/**
 * The API's OpenAPI document (GET /api/openapi.json) is true: every documented operation is
 * called on a real bound server, each answer's status must be documented for its operation, its
 * body must validate against the documented schema (which allows no field it does not name), and
 * the documented headers (Location, Retry-After) must be there.
 */
@ExtendWith({LogCapturingExtension.class, OneNode.class})
@OneNode.Settings("seckill.challenge.default-difficulty = 0")
class OpenApiTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

  private Api api;
  private JsonNode doc;
  private final Set<String> called = new TreeSet<>();

  @Test
  void everyDocumentedOperationAnswersAsDocumented() throws Exception {
    Response served = api.get("/api/openapi.json", null);
    assertEquals(200, served.status());
    doc = served.json();
    assertEquals("3.1.0", doc.get("openapi").asText());
    check("get", "/api/openapi.json", served);

    check("post", "/dev/tokens", api.post("/dev/tokens", null, "{\"buyer\":\"alice\"}"));
    check("post", "/dev/tokens", api.post("/dev/tokens", null, "{\"buyer\":"));
    String alice = api.token("alice");
    String bob = api.token("bob");
    String carol = api.token("carol");

    api.defineSale("oa", Api.sale(2, 1, "HOLD", 600L));
    check("get", "/api/sales/{saleId}", api.get("/api/sales/oa", null));
    check("get", "/api/sales/{saleId}", api.get("/api/sales/no-such-sale", null));
    check("get", "/api/sales/{saleId}/status", api.get("/api/sales/oa/status", null));
    check("get", "/api/sales/{saleId}/status", api.get("/api/sales/no-such-sale/status", null));

    String path = api.reservePath("oa");
    String reserve = "/api/sales/{saleId}/reservations/{key}";
    Response reserved = api.post(path, alice, "{\"requestId\":\"r1\",\"quantity\":1}");
    assertEquals(201, reserved.status(), reserved.text());
    check("post", reserve, reserved);
    check("post", reserve, api.post(path, alice, "{\"requestId\":\"r1\",\"quantity\":1}")); // the same again
    check("post", reserve, api.post(path, "not-a-token", "{\"requestId\":\"r2\"}"));
    check("post", reserve, api.post(path, bob, "{\"requestId\":\"r1\",\"quantity\":0}"));
    check("post", reserve, api.post(path, bob, "{\"requestId\":"));
    check("post", reserve, api.send("POST", path, bob, "requestId=r1", Map.of("Content-Type", "text/plain")));
    check("post", reserve, api.post(path, alice, "{\"requestId\":\"r2\",\"quantity\":1}")); // over her limit
    check("post", reserve, api.post("/api/sales/oa/reservations/not-the-key", bob, "{\"requestId\":\"r1\"}"));
    Response bobs = api.post(path, bob, "{\"requestId\":\"r1\"}");
    check("post", reserve, bobs);
    api.awaitState("oa", "SOLD_OUT");
    check("post", reserve, api.post(path, carol, "{\"requestId\":\"r1\"}"));
    check("post", "/api/sales/{saleId}/reservations", api.post("/api/sales/oa/reservations", carol, "{\"requestId\":\"r1\"}"));

    String mine = "/api/sales/{saleId}/reservations";
    check("get", mine, api.get("/api/sales/oa/reservations", alice));
    check("get", mine, api.get("/api/sales/oa/reservations?offset=-1", alice));
    check("get", mine, api.get("/api/sales/oa/reservations", null));

    String rid = reserved.json().get("reservationId").asText();
    String one = "/api/reservations/{reservationId}";
    check("get", one, api.get("/api/reservations/" + rid, alice));
    check("get", one, api.get("/api/reservations/" + rid, bob));
    check("get", one, api.get("/api/reservations/" + rid, null));
    check("delete", one, api.delete("/api/reservations/" + rid, alice));
    check("delete", one, api.delete("/api/reservations/oa.nothing", alice));

    // a sale with a waiting room, the page's way: join, poll until admitted, reserve with the admission token
    ObjectNode roomSale = Api.sale(5, 1, "ON_ORDER", null);
    roomSale.putObject("waitingRoom").put("admitPerSecond", 100).put("maxActive", 100);
    api.defineSale("oa-wr", roomSale);
    String queue = "/api/sales/{saleId}/queue";
    Response joined = api.post("/api/sales/oa-wr/queue", alice, null);
    check("post", queue, joined);
    check("post", queue, api.post("/api/sales/oa/queue", alice, null));
    check("post", queue, api.post("/api/sales/oa-wr/queue", "not-a-token", null));
    String ticket = joined.json().get("ticket").asText();
    check("get", queue, api.get("/api/sales/oa-wr/queue", null));
    check("get", queue, api.send("GET", "/api/sales/oa-wr/queue", null, null, Map.of("X-Queue-Ticket", "forged.ticket")));
    Response admitted = seckill.Await.value(java.time.Duration.ofSeconds(10), java.time.Duration.ofMillis(50), "admitted",
        () -> {
          Response r = api.send("GET", "/api/sales/oa-wr/queue", null, null, Map.of("X-Queue-Ticket", ticket));
          return r.status() == 200 && r.json().get("state").asText().equals("ADMITTED") ? r : null;
        });
    check("get", queue, admitted);
    check("get", "/admin/sales/{saleId}/queue", api.admin("GET", "/admin/sales/oa-wr/queue", null));
    check("get", "/admin/sales/{saleId}/queue", api.admin("GET", "/admin/sales/oa/queue", null));
    check("get", "/admin/sales/{saleId}/queue", api.get("/admin/sales/oa-wr/queue", alice));
    check("get", "/admin/queues", api.admin("GET", "/admin/queues", null));
    check("get", "/admin/queues", api.get("/admin/queues", alice));
    String bypass = "/admin/sales/{saleId}/queue/bypass";
    check("post", bypass, api.admin("POST", "/admin/sales/oa-wr/queue/bypass", "{\"buyers\":[\"bob\"]}"));
    check("post", bypass, api.admin("POST", "/admin/sales/oa-wr/queue/bypass", "{\"buyers\":[]}"));
    // leaving the line with a ticket, and an operator revoking buyers' places
    String carolsTicket = api.join("oa-wr", carol, null).json().get("ticket").asText();
    check("delete", queue, api.leave("oa-wr", carolsTicket));
    check("delete", queue, api.leave("oa-wr", carolsTicket)); // the same again
    check("delete", queue, api.leave("oa-wr", null));
    check("delete", queue, api.leave("oa-wr", "forged.ticket"));
    check("delete", queue, api.leave("oa", carolsTicket));
    check("get", queue, api.poll("oa-wr", carolsTicket));
    String revoke = "/admin/sales/{saleId}/queue/revoke";
    api.join("oa-wr", bob, null);
    check("post", revoke, api.admin("POST", "/admin/sales/oa-wr/queue/revoke", "{\"buyers\":[\"bob\",\"nobody\"]}"));
    check("post", revoke, api.admin("POST", "/admin/sales/oa-wr/queue/revoke", "{\"buyers\":[]}"));
    check("post", revoke, api.admin("POST", "/admin/sales/oa-wr/queue/revoke", "{\"buyers\":"));
    check("post", revoke, api.post("/admin/sales/oa-wr/queue/revoke", alice, "{\"buyers\":[\"bob\"]}"));
    check("post", revoke, api.admin("POST", "/admin/sales/oa/queue/revoke", "{\"buyers\":[\"bob\"]}"));
    check("get", "/api/sales/{saleId}", api.get("/api/sales/oa-wr", null));
    check("get", "/api/sales/{saleId}/status", api.get("/api/sales/oa-wr/status", null));
    String wrPath = api.reservePath("oa-wr");
    check("post", reserve, api.post(wrPath, alice, "{\"requestId\":\"r1\"}")); // no admission token: 403
    check("post", reserve, api.send("POST", wrPath, alice, "{\"requestId\":\"r1\"}",
        Map.of("Content-Type", "application/json", "X-Admission-Token", admitted.json().get("admissionToken").asText())));

    // a sale that asks for a challenge, the page's way: fetch, solve, trade for an access token, reserve
    int bits = 4;
    api.admin("PATCH", "/admin/switches", "{\"by\":\"test\",\"saleChallengeDifficulty\":{\"oa-ch\":" + bits + "}}");
    api.defineSale("oa-ch", Api.sale(5, 1, "ON_ORDER", null));
    String challengePath = "/api/sales/{saleId}/challenge";
    Response issued = api.get("/api/sales/oa-ch/challenge", alice);
    check("get", challengePath, issued);
    check("get", challengePath, api.get("/api/sales/oa/challenge", alice));
    String challenge = issued.json().get("challenge").asText();
    check("post", challengePath, api.post("/api/sales/oa-ch/challenge", alice,
        "{\"challenge\":\"" + challenge + "\",\"solution\":\"" + wrong(challenge, bits) + "\",\"requestId\":\"r1\"}"));
    Response granted = api.post("/api/sales/oa-ch/challenge", alice,
        "{\"challenge\":\"" + challenge + "\",\"solution\":\"" + Challenges.solve(challenge, bits) + "\",\"requestId\":\"r1\"}");
    check("post", challengePath, granted);
    String chPath = api.reservePath("oa-ch");
    check("post", reserve, api.post(chPath, alice, "{\"requestId\":\"r1\"}")); // no access token: 403
    check("post", reserve, api.send("POST", chPath, alice, "{\"requestId\":\"r1\"}",
        Map.of("Content-Type", "application/json", "X-Access-Token", granted.json().get("accessToken").asText())));

    // a sale with a waiting room and a challenge: the join needs the access token, the reserve does not
    api.admin("PATCH", "/admin/switches", "{\"by\":\"test\",\"saleChallengeDifficulty\":{\"oa-door\":" + bits + "}}");
    api.defineSale("oa-door", roomSale);
    check("post", queue, api.post("/api/sales/oa-door/queue", alice, null)); // no access token: 403
    Response doorGranted = api.grantAccess("oa-door", alice, "j1", bits);
    check("post", challengePath, doorGranted);
    check("post", queue, api.join("oa-door", alice, null, doorGranted.json().get("accessToken").asText()));

    // the operators' API
    String adminSale = "/admin/sales/{saleId}";
    check("put", adminSale, api.admin("PUT", "/admin/sales/oa-admin", Api.sale(3, 1, "HOLD", 600L).toString()));
    check("put", adminSale, api.admin("PUT", "/admin/sales/oa-admin", "{\"item\":\"x\"}"));
    check("put", adminSale, api.admin("PUT", "/admin/sales/oa", Api.sale(3, 1, "HOLD", 600L).toString()));
    check("put", adminSale, api.send("PUT", "/admin/sales/oa-admin", null, Api.sale(3, 1, "HOLD", 600L).toString(), Map.of()));
    check("get", adminSale, api.admin("GET", "/admin/sales/oa", null));
    check("get", adminSale, api.admin("GET", "/admin/sales/no-such-sale", null));
    check("post", "/admin/sales/{saleId}/pause", api.admin("POST", "/admin/sales/oa-admin/pause", null));
    check("post", "/admin/sales/{saleId}/open", api.admin("POST", "/admin/sales/oa-admin/open", null));
    check("post", "/admin/sales/{saleId}/stock", api.admin("POST", "/admin/sales/oa-admin/stock", "{\"units\":5}"));
    check("post", "/admin/sales/{saleId}/stock", api.admin("POST", "/admin/sales/oa-admin/stock", "{}"));
    check("post", "/admin/sales/{saleId}/close", api.admin("POST", "/admin/sales/oa-admin/close", null));
    check("post", "/admin/sales/{saleId}/open", api.admin("POST", "/admin/sales/oa-admin/open", null));
    check("get", "/admin/sales/{saleId}/placement", api.admin("GET", "/admin/sales/oa/placement", null));

    String bobsId = bobs.json().get("reservationId").asText();
    String adminReservation = "/admin/reservations/{reservationId}";
    String payment = "/admin/reservations/{reservationId}/payment";
    check("get", adminReservation, api.admin("GET", "/admin/reservations/" + bobsId, null));
    check("get", adminReservation, api.admin("GET", "/admin/reservations/nothing", null));
    check("post", payment, api.admin("POST", "/admin/reservations/" + bobsId + "/payment", "{\"paymentId\":\"p1\"}"));
    check("post", payment, api.admin("POST", "/admin/reservations/" + bobsId + "/payment", "{\"paymentId\":\"p2\"}"));
    check("post", payment, api.admin("POST", "/admin/reservations/" + bobsId + "/payment", "{}"));
    check("delete", adminReservation, api.admin("DELETE", "/admin/reservations/" + bobsId, null));
    api.awaitState("oa", "OPEN"); // alice's cancelled unit is back
    Response carols = api.post(path, carol, "{\"requestId\":\"r2\"}");
    assertEquals(201, carols.status(), carols.text());
    check("delete", adminReservation, api.admin("DELETE", "/admin/reservations/" + carols.json().get("reservationId").asText(), null));

    check("get", "/admin/sales", api.admin("GET", "/admin/sales", null));
    check("get", "/admin/sales", api.get("/admin/sales", null));
    check("get", "/admin/outcomes", api.admin("GET", "/admin/outcomes", null));
    check("get", "/admin/cluster", api.admin("GET", "/admin/cluster", null));
    check("get", "/admin/admission", api.admin("GET", "/admin/admission", null));
    check("get", "/admin/hotspots", api.admin("GET", "/admin/hotspots", null));
    String member = "/admin/cluster/{operation}";
    check("post", member, api.admin("POST", "/admin/cluster/leave", "{\"address\":\"not an address\"}"));
    check("post", member, api.admin("POST", "/admin/cluster/down", "{\"address\":\"pekko://seckill@127.0.0.1:1\"}"));

    check("get", "/admin/switches", api.admin("GET", "/admin/switches", null));
    check("patch", "/admin/switches", api.admin("PATCH", "/admin/switches", "{\"by\":\"test\",\"queueSize\":100}"));
    check("patch", "/admin/switches", api.admin("PATCH", "/admin/switches", "{\"by\":\"test\",\"noSuchSwitch\":1}"));
    String paused = "/admin/switches/paused-sales/{saleId}";
    check("put", paused, api.admin("PUT", "/admin/switches/paused-sales/oa-admin?by=test", null));
    check("delete", paused, api.admin("DELETE", "/admin/switches/paused-sales/oa-admin?by=test", null));
    check("put", paused, api.admin("PUT", "/admin/switches/paused-sales/oa-admin", null));

    Set<String> documented = new TreeSet<>();
    doc.get("paths").fields().forEachRemaining(p -> p.getValue().fieldNames()
        .forEachRemaining(method -> documented.add(method.toUpperCase() + " " + p.getKey())));
    assertEquals(documented, called, "every documented operation is called, and only those");
  }

  /**
   * No undocumented operation hides on a documented path: every other method on each path (with
   * the right token, so no 401 stands in the way) finds no route (405, or the router's own 404).
   */
  @Test
  void noUndocumentedMethodAnswersOnADocumentedPath() {
    JsonNode paths = api.get("/api/openapi.json", null).json().get("paths");
    String buyer = api.token("prober");
    List<String> answered = new java.util.ArrayList<>();
    paths.fields().forEachRemaining(p -> {
      String path = p.getKey().replace("{saleId}", "probe").replace("{key}", "k").replace("{reservationId}", "probe.x")
          .replace("{operation}", "leave");
      for (String method : List.of("get", "post", "put", "patch", "delete")) {
        if (p.getValue().has(method)) continue;
        String token = path.startsWith("/admin") ? Api.ADMIN_TOKEN : buyer;
        Response r = api.send(method.toUpperCase(), path, token, method.equals("get") || method.equals("delete") ? null : "{}",
            Map.of());
        // no route: 405, or Pekko's own 404 ("not_found"); a feature's 404 (sale_not_found, ...) means a route answered
        boolean noRoute = r.status() == 405 || (r.status() == 404 && "not_found".equals(r.error()));
        if (!noRoute) answered.add(method.toUpperCase() + " " + path + " → " + r.status() + " " + r.text());
      }
    });
    assertTrue(answered.isEmpty(), "undocumented operations answered: " + answered);
  }

  /** The answer's status is documented for the operation, its body validates, its documented headers are there. */
  private void check(String method, String template, Response r) {
    JsonNode operation = doc.path("paths").path(template).path(method);
    assertTrue(operation.isObject(), method + " " + template + " is not documented");
    called.add(method.toUpperCase() + " " + template);
    JsonNode documented = operation.path("responses").path(Integer.toString(r.status()));
    assertTrue(documented.isObject(), method + " " + template + " answered " + r.status() + ", not documented: " + r.text());
    documented.path("headers").fieldNames().forEachRemaining(header ->
        assertNotNull(r.header(header), method + " " + template + " " + r.status() + " without " + header));
    JsonNode schema = documented.path("content").path("application/json").path("schema");
    if (schema.isMissingNode()) return;
    assertNotNull(r.json(), method + " " + template + " " + r.status() + " is not JSON: " + r.text());
    List<Error> errors = SCHEMAS.getSchema(withDefinitions(schema).toString(), InputFormat.JSON)
        .validate(r.text(), InputFormat.JSON);
    assertTrue(errors.isEmpty(), method + " " + template + " " + r.status() + ": " + errors + " in " + r.text());
  }

  /** The response's schema as a JSON Schema document of its own: the components become $defs. */
  private JsonNode withDefinitions(JsonNode schema) {
    try {
      String defs = JSON.writeValueAsString(doc.path("components").path("schemas"))
          .replace("#/components/schemas/", "#/$defs/");
      ObjectNode root = (ObjectNode) JSON.readTree(JSON.writeValueAsString(schema).replace("#/components/schemas/", "#/$defs/"));
      root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
      root.set("$defs", JSON.readTree(defs));
      return root;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String wrong(String challenge, int bits) {
    long miss = 0;
    while (Challenges.solves(challenge, Long.toString(miss), bits)) miss++;
    return Long.toString(miss);
  }
}
