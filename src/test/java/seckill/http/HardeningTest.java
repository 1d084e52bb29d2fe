package seckill.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.typesafe.config.ConfigFactory;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.OneNode;
import seckill.RawHttp;
import seckill.TestDatabases;
import seckill.TestNode;

/** What an abuse campaign found, each refused with a JSON error and nothing changed. */
@ExtendWith({LogCapturingExtension.class, OneNode.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HardeningTest {

  private static final AtomicInteger ids = new AtomicInteger();
  private TestNode node;
  private Api api;

  private static void assertError(Response r, int status, String code) {
    assertEquals(status, r.status(), r.text());
    assertTrue(r.header("Content-Type").startsWith("application/json"), r.header("Content-Type"));
    assertEquals(code, r.error(), r.text());
  }

  private static void assertJsonError(String raw, int status) throws Exception {
    assertEquals(status, RawHttp.status(raw), raw);
    assertTrue(raw.contains("Content-Type: application/json"), raw);
    JsonNode body = Json.MAPPER.readTree(RawHttp.body(raw));
    assertTrue(body.hasNonNull("error") && body.hasNonNull("message"), raw);
  }

  private String self() {
    return Cluster.get(node.system).selfMember().address().toString();
  }

  // ---------------------------------------------------------------- 1. management port

  @Test
  void theManagementPortIsReadOnlyAndLeaveIsAnAdminOperation() throws Exception {
    Api mgmt = new Api(node.managementUrl());
    Response delete = mgmt.delete("/cluster/members/" + self(), null);
    assertFalse(delete.status() >= 200 && delete.status() < 300, "no leave without credentials: " + delete.text());
    Response put = mgmt.send("PUT", "/cluster/members/" + self(), null, "operation=Down",
        Map.of("Content-Type", "application/x-www-form-urlencoded"));
    assertFalse(put.status() >= 200 && put.status() < 300, "no down without credentials: " + put.text());
    Thread.sleep(500); // a non-event has no signal: time for a wrongly accepted Down to show
    assertEquals("Up", mgmt.get("/cluster/members", null).json().get("members").get(0).get("status").asText());

    assertError(api.post("/admin/cluster/leave", null, "{\"address\":\"" + self() + "\"}"), 401, "unauthorized");
    assertError(api.admin("POST", "/admin/cluster/leave", "{\"address\":\"not an address\"}"), 400, "invalid_address");
    assertError(api.admin("POST", "/admin/cluster/down", "{\"address\":\"pekko://seckill@127.0.0.1:1\"}"), 404,
        "member_not_found");
    assertError(api.admin("POST", "/admin/cluster/explode", "{\"address\":\"" + self() + "\"}"), 404, "not_found");
    assertEquals(MemberStatus.up(), Cluster.get(node.system).selfMember().status());
  }

  @Test
  void anOperatorMakesAMemberLeaveThroughTheAdminApi() throws Exception {
    try (TestNode leaving = TestNode.start(TestDatabases.h2())) {
      String address = Cluster.get(leaving.system).selfMember().address().toString();
      Response r = leaving.api().admin("POST", "/admin/cluster/leave", "{\"address\":\"" + address + "\"}");
      assertEquals(202, r.status(), r.text());
      assertEquals("leave", r.json().get("operation").asText());
      leaving.system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  // ---------------------------------------------------------------- 2. slow clients

  @Test
  void theApiAndReadinessAnswerWhile1100HalfSentRequestsAreHeld() throws Exception {
    List<Socket> held = new ArrayList<>();
    try {
      for (int i = 0; i < 1100; i++) {
        int port = i % 2 == 0 ? Integer.parseInt(node.baseUrl.substring(node.baseUrl.lastIndexOf(':') + 1))
            : Integer.parseInt(node.managementUrl().substring(node.managementUrl().lastIndexOf(':') + 1));
        Socket s = new Socket("127.0.0.1", port);
        OutputStream out = s.getOutputStream();
        out.write("GET /api/sales/x/status HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        held.add(s);
      }
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      // generous bounds: the failure was a hang of the whole request timeout, not a slow answer
      HttpResponse<String> status = client.send(HttpRequest.newBuilder(URI.create(node.baseUrl + "/api/sales/nothing/status"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(404, status.statusCode());
      HttpResponse<String> ready = client.send(HttpRequest.newBuilder(URI.create(node.managementUrl() + "/ready"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ready.statusCode(), ready.body());
    } finally {
      for (Socket s : held) s.close();
    }
  }

  @Test
  void aStalledRequestIsClosedAfterTheIdleTimeout() throws Exception {
    try (TestNode quick = TestNode.start(TestDatabases.h2(), ConfigFactory.parseString("""
        pekko.http.server.idle-timeout = 2s
        pekko.http.server.request-timeout = 1s
        """))) {
      int port = Integer.parseInt(quick.baseUrl.substring(quick.baseUrl.lastIndexOf(':') + 1));
      String half = RawHttp.exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nX-Half: ", 15_000);
      assertFalse(half.endsWith("<no answer>"), "the idle timeout closed a half-sent request: " + half);
    }
  }

  @Test
  void garbageRequestLinesAreAnsweredAtOnce() throws Exception {
    int port = Integer.parseInt(node.baseUrl.substring(node.baseUrl.lastIndexOf(':') + 1));
    // Pekko HTTP's parser used to wait for more bytes after a short token and an empty line
    for (String garbage : List.of("HELLO\r\n\r\n", "GET\r\n\r\n", "\u0016\u0003\u0001\u0002\u0000\r\n\r\n")) {
      assertJsonError(RawHttp.exchange(port, garbage, 2_000), 400);
    }
  }

  // ---------------------------------------------------------------- 3. poison definitions

  @Test
  void everyNumberInADefinitionIsBoundedAndARefusedNewSaleStartsNoEntity() throws Exception {
    List<ObjectNode> poison = new ArrayList<>();
    poison.add(Api.sale(10, 1, "HOLD", 100_000_000_000_000_000L));
    poison.add(Api.sale(10, 1, "HOLD", 7L * 24 * 3600 + 1));
    poison.add(Api.sale(10, 1, "HOLD", -5L));
    poison.add((ObjectNode) Api.sale(10, 1, "ON_ORDER", null).put("price", new BigDecimal("1e12")));
    poison.add((ObjectNode) Api.sale(10, 1, "ON_ORDER", null).put("price", new BigDecimal("0.00001")));
    poison.add((ObjectNode) Api.sale(10, 1, "ON_ORDER", null).put("item", "bad\u0001item"));
    poison.add((ObjectNode) Api.sale(10, 1, "ON_ORDER", null).put("endsAt", "2200-01-01T00:00:00Z"));
    poison.add((ObjectNode) Api.sale(10, 1, "ON_ORDER", null).put("startsAt", "1999-12-31T00:00:00Z"));
    poison.add((ObjectNode) Api.sale(10, 1, "ON_ORDER", null).put("endsAt", Instant.now().plus(Duration.ofDays(400)).toString()));
    poison.add((ObjectNode) Api.sale(10, 1, "ON_ORDER", null).put("stock", 10_000_001));
    for (ObjectNode definition : poison) {
      String id = "poison-" + ids.incrementAndGet();
      assertError(api.admin("PUT", "/admin/sales/" + id, definition.toString()), 400, "invalid_definition");
      assertFalse(node.runningSales().contains(id), "a refused definition started no entity: " + definition);
    }
    String price = Api.sale(10, 1, "ON_ORDER", null).toString().replaceFirst("\"price\":[0-9.]+", "\"price\":1e309");
    assertError(api.admin("PUT", "/admin/sales/poison-big-price", price), 400, "invalid_definition");
    String numberTime = Api.sale(10, 1, "ON_ORDER", null).toString().replaceFirst("\"startsAt\":\"[^\"]+\"", "\"startsAt\":1893456000");
    assertError(api.admin("PUT", "/admin/sales/poison-time", numberTime), 400, "invalid_body");
    String numberMode = Api.sale(10, 1, "ON_ORDER", null).toString().replace("\"ON_ORDER\"", "1");
    assertError(api.admin("PUT", "/admin/sales/poison-mode", numberMode), 400, "invalid_body");
    for (String id : List.of("poison-big-price", "poison-time", "poison-mode")) assertFalse(node.runningSales().contains(id));
  }

  // ---------------------------------------------------------------- 4. bounded state per buyer

  @Test
  void oneBuyerMakesASaleStoreAtMostTenReservationsAndTheListIsPaged() {
    String id = "bounded-" + ids.incrementAndGet();
    api.defineSale(id, Api.sale(100, 1, "HOLD", 600L));
    String bob = api.token("bob");
    for (int i = 0; i < 10; i++) {
      Response r = api.reserve(id, bob, "cycle-" + i, 1);
      assertEquals(201, r.status(), r.text());
      assertEquals(200, api.delete("/api/reservations/" + r.json().get("reservationId").asText(), bob).status());
    }
    assertError(api.reserve(id, bob, "cycle-10", 1), 409, "too_many_reservations");
    assertEquals(0, api.admin("GET", "/admin/sales/" + id, null).json().get("held").asInt(), "nothing held by the refusal");
    assertEquals(10, api.admin("GET", "/admin/sales/" + id, null).json().get("reservations").asInt());

    Response first = api.get("/api/sales/" + id + "/reservations?limit=3", bob);
    assertEquals(3, first.json().get("reservations").size());
    assertEquals(10, first.json().get("total").asInt());
    assertEquals(3, first.json().get("nextOffset").asInt());
    Response last = api.get("/api/sales/" + id + "/reservations?offset=9&limit=3", bob);
    assertEquals(1, last.json().get("reservations").size());
    assertNull(last.json().get("nextOffset"));
    assertEquals(10, api.get("/api/sales/" + id + "/reservations", bob).json().get("reservations").size());
    assertError(api.get("/api/sales/" + id + "/reservations?limit=0", bob), 400, "invalid_page");
    assertError(api.get("/api/sales/" + id + "/reservations?limit=abc", bob), 400, "invalid_page");
    assertError(api.get("/api/sales/" + id + "/reservations?offset=-1", bob), 400, "invalid_page");
  }

  // ---------------------------------------------------------------- 6. every error is JSON

  @Test
  void requestsThePekkoParserRefusesGetTheJsonErrorBodyOnBothPorts() throws Exception {
    int http = Integer.parseInt(node.baseUrl.substring(node.baseUrl.lastIndexOf(':') + 1));
    int management = Integer.parseInt(node.managementUrl().substring(node.managementUrl().lastIndexOf(':') + 1));
    for (int port : List.of(http, management)) {
      assertJsonError(RawHttp.exchange(port, "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 5000), 400);
      assertJsonError(RawHttp.exchange(port, "BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 5000), 501);
      assertJsonError(RawHttp.exchange(port, "GET / HTTP/2.5\r\nHost: x\r\n\r\n", 5000), 505);
      assertJsonError(RawHttp.exchange(port, "GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 5000), 414);
      assertJsonError(RawHttp.exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nX: " + "a".repeat(20_000) + "\r\n\r\n", 5000), 431);
    }
  }

  @Test
  void theManagementPortsOwnErrorsAreJsonToo() throws Exception {
    Api mgmt = new Api(node.managementUrl());
    assertError(mgmt.get("/no-such-thing", null), 404, "not_found");
    assertError(mgmt.post("/ready", null, "{}"), 405, "method_not_allowed");
    // Pekko Management's cluster routes answer {"message":…}: rewritten to our shape
    assertError(mgmt.get("/cluster/shards/NoSuchType", null), 404, "not_found");
    assertError(mgmt.get("/cluster/members/pekko://seckill@127.0.0.1:1", null), 404, "not_found");
    assertEquals(200, mgmt.get("/ready", null).status(), "the good answers are untouched");
    assertEquals("Up", mgmt.get("/cluster/members", null).json().get("members").get(0).get("status").asText());
  }

  // ---------------------------------------------------------------- 7. strict input

  @Test
  void bodiesMustBeJsonWithoutDuplicateKeys() throws Exception {
    String id = "strict-" + ids.incrementAndGet();
    api.defineSale(id, Api.sale(10, 1, "ON_ORDER", null));
    String alice = api.token("alice");
    String path = api.reservePath(id);
    String body = Api.reserveBody("r1", 1);
    assertError(api.send("POST", path, alice, body, Map.of("Content-Type", "text/plain")), 415, "unsupported_media_type");
    assertError(api.send("POST", path, alice, body, Map.of("Content-Type", "application/x-www-form-urlencoded")), 415,
        "unsupported_media_type");
    int port = Integer.parseInt(node.baseUrl.substring(node.baseUrl.lastIndexOf(':') + 1));
    String noType = RawHttp.exchange(port, "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice
        + "\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body, 5000);
    assertEquals(415, RawHttp.status(noType), noType);
    assertError(api.post(path, alice, "{\"requestId\":\"a\",\"requestId\":\"b\",\"quantity\":1}"), 400, "malformed_json");
    assertError(api.send("POST", "/dev/tokens", null, "buyer=x", Map.of("Content-Type", "application/x-www-form-urlencoded")),
        415, "unsupported_media_type");
    assertEquals(0, api.admin("GET", "/admin/sales/" + id, null).json().get("sold").asInt(), "nothing was reserved");
  }

  @Test
  void tokensNeedAStringSubjectAndExpireWithASmallSkew() throws Exception {
    byte[] secret = node.config.getString("seckill.auth.hs256-secret").getBytes(StandardCharsets.UTF_8);
    Instant now = Instant.now();
    Algorithm hs256 = Algorithm.HMAC256(secret);
    String numberSub = JWT.create().withClaim("sub", 12345).withExpiresAt(now.plusSeconds(300)).sign(hs256);
    assertError(api.get("/api/sales/x/reservations", numberSub), 401, "unauthorized");
    String justExpired = JWT.create().withSubject("carol").withExpiresAt(now.minusSeconds(30)).sign(hs256);
    assertError(api.get("/api/sales/x/reservations", justExpired), 401, "unauthorized");
    String valid = JWT.create().withSubject("carol").withExpiresAt(now.plusSeconds(300)).sign(hs256);
    assertNotEquals(401, api.get("/api/sales/x/reservations", valid).status());
  }
}
