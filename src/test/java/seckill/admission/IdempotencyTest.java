package seckill.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.OneNode;
import seckill.challenge.Challenges;

/**
 * The reserve's promise to clients: a (buyer, requestId) is answered with its own first answer, every
 * time, whichever of its requests are in flight together and whichever single-use token came with it.
 */
@ExtendWith({LogCapturingExtension.class, OneNode.class})
@OneNode.Settings("seckill.challenge.token-ttl = 3s") // access tokens that expire within the test
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IdempotencyTest {

  private static final int BITS = 8;

  private Api api;
  private final ExecutorService pool = Executors.newFixedThreadPool(16);

  @AfterAll
  void stop() {
    pool.shutdownNow();
  }

  /** Sends every request at once (each on its own connection); the answers in the order given. */
  private List<Response> together(List<java.util.concurrent.Callable<Response>> requests) throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Response>> sent = new ArrayList<>();
    for (var request : requests) {
      sent.add(pool.submit(() -> {
        go.await();
        return request.call();
      }));
    }
    go.countDown();
    List<Response> answers = new ArrayList<>();
    for (Future<Response> f : sent) answers.add(f.get());
    return answers;
  }

  private Response reserve(String saleId, String token, String requestId, Map<String, String> headers) {
    return api.send("POST", api.reservePath(saleId), token, "{\"requestId\":\"" + requestId + "\",\"quantity\":1}", headers);
  }

  private List<JsonNode> reservationsOf(String saleId, String token) {
    Response mine = api.get("/api/sales/" + saleId + "/reservations?limit=100", token);
    assertEquals(200, mine.status(), mine.text());
    List<JsonNode> all = new ArrayList<>();
    mine.json().get("reservations").forEach(all::add);
    return all;
  }

  /** What the sale page does for a challenge: fetch, solve, trade for an access token bound to {@code requestId}. */
  private Response accessToken(String saleId, String token, String requestId) {
    String challenge = api.get("/api/sales/" + saleId + "/challenge", token).json().get("challenge").asText();
    Response granted = api.post("/api/sales/" + saleId + "/challenge", token, "{\"challenge\":\"" + challenge
        + "\",\"solution\":\"" + Challenges.solve(challenge, BITS) + "\",\"requestId\":\"" + requestId + "\"}");
    assertEquals(200, granted.status(), granted.text());
    return granted;
  }

  private void challenged(String saleId) {
    Response on = api.admin("PATCH", "/admin/switches",
        "{\"by\":\"test\",\"saleChallengeDifficulty\":{\"" + saleId + "\":" + BITS + "}}");
    assertEquals(200, on.status(), on.text());
  }

  private static Map<String, String> access(Response granted) {
    return Map.of(ReserveRoutes.ACCESS_TOKEN, granted.json().get("accessToken").asText());
  }

  private static void assertRefused(Response r, int status, String code) {
    assertEquals(status, r.status(), r.text());
    assertEquals(code, r.error(), r.text());
  }

  @Test
  void concurrentReservesOfOneBuyerAreEachAnsweredForTheirOwnRequestIdAndRetriesGetThoseAnswers() throws Exception {
    api.defineSale("many-at-once", Api.sale(1_000, 3, "ON_ORDER", null));
    for (int wave = 0; wave < 5; wave++) {
      String token = api.token("eager-" + wave);
      List<String> ids = List.of("m0", "m1", "m2", "m3", "m4");
      List<java.util.concurrent.Callable<Response>> sends = new ArrayList<>();
      for (String id : ids) sends.add(() -> reserve("many-at-once", token, id, Map.of()));
      List<Response> first = together(sends);

      Map<String, String> told = new HashMap<>(); // requestId -> the reservation its 201 named
      for (int i = 0; i < ids.size(); i++) {
        Response r = first.get(i);
        if (r.status() == 201) {
          assertEquals(ids.get(i), r.json().get("requestId").asText(), "a 201 names the request it answers: " + r.text());
          told.put(ids.get(i), r.json().get("reservationId").asText());
        } else {
          assertRefused(r, 409, "limit_reached");
        }
      }
      assertEquals(3, told.size(), "the limit is 3 and 1,000 units are left: three requests reserve, " + first);
      assertEquals(3, new HashSet<>(told.values()).size(), "three requests, three reservations");

      for (int i = 0; i < ids.size(); i++) {
        Response again = reserve("many-at-once", token, ids.get(i), Map.of());
        if (told.containsKey(ids.get(i))) {
          assertEquals(201, again.status(), again.text());
          assertEquals(told.get(ids.get(i)), again.json().get("reservationId").asText(), "the retry gets its first answer");
          assertEquals(ids.get(i), again.json().get("requestId").asText());
        } else {
          assertRefused(again, 409, "limit_reached");
        }
      }
      Set<String> held = new HashSet<>();
      reservationsOf("many-at-once", token).forEach(r -> held.add(r.get("reservationId").asText()));
      assertEquals(new HashSet<>(told.values()), held, "the buyer holds exactly the reservations it was told of");
    }
  }

  @Test
  void theSameRequestSentManyTimesAtOnceIsOneReservation() throws Exception {
    api.defineSale("same-at-once", Api.sale(1_000, 3, "ON_ORDER", null));
    String token = api.token("repeater");
    List<java.util.concurrent.Callable<Response>> sends = new ArrayList<>();
    for (int i = 0; i < 6; i++) sends.add(() -> reserve("same-at-once", token, "once", Map.of()));
    Set<String> named = new HashSet<>();
    for (Response r : together(sends)) {
      assertEquals(201, r.status(), r.text());
      assertEquals("once", r.json().get("requestId").asText());
      named.add(r.json().get("reservationId").asText());
    }
    assertEquals(1, named.size(), "one request, one reservation: " + named);
    assertEquals(1, reservationsOf("same-at-once", token).size());
  }

  @Test
  void aRetryAfterA201OnAWaitingRoomSaleGetsTheSameReservationAndTheUsedTokenStillRefusesAnotherRequest() {
    api.defineSale("room-retry", Api.withRoom(Api.sale(10, 2, "ON_ORDER", null), 50, 50));
    String token = api.token("queued");
    String admission = api.admissionToken("room-retry", token);
    Map<String, String> withAdmission = Map.of(ReserveRoutes.ADMISSION_TOKEN, admission);

    Response created = reserve("room-retry", token, "w1", withAdmission);
    assertEquals(201, created.status(), created.text());
    Response again = reserve("room-retry", token, "w1", withAdmission);
    assertEquals(201, again.status(), "the exact retry of a 201: " + again.text());
    assertEquals(created.json(), again.json(), "the same reservation, as first answered");
    assertEquals(created.header("Location"), again.header("Location"));

    assertRefused(reserve("room-retry", token, "w2", withAdmission), 403, "admission_used");
    assertEquals(1, reservationsOf("room-retry", token).size(), "one admission, one reservation");
  }

  @Test
  void aRetryAfterA201OnAChallengeSaleGetsTheSameReservation() {
    api.defineSale("challenge-retry", Api.sale(10, 2, "ON_ORDER", null));
    challenged("challenge-retry");
    String token = api.token("solver");
    Map<String, String> withAccess = access(accessToken("challenge-retry", token, "c1"));

    Response created = reserve("challenge-retry", token, "c1", withAccess);
    assertEquals(201, created.status(), created.text());
    Response again = reserve("challenge-retry", token, "c1", withAccess);
    assertEquals(201, again.status(), "the exact retry of a 201: " + again.text());
    assertEquals(created.json(), again.json());
    assertRefused(reserve("challenge-retry", token, "c2", withAccess), 403, "access_token_invalid");
    assertEquals(1, reservationsOf("challenge-retry", token).size());

    // a body refused at the edge (step 9, before the tokens) leaves the access token untouched
    String other = api.token("solver-late");
    Map<String, String> lateAccess = access(accessToken("challenge-retry", other, "too-many"));
    Response tooMany = api.send("POST", api.reservePath("challenge-retry"), other,
        "{\"requestId\":\"too-many\",\"quantity\":3}", lateAccess);
    assertRefused(tooMany, 400, "invalid_quantity");
    Response thenOne = api.send("POST", api.reservePath("challenge-retry"), other,
        "{\"requestId\":\"too-many\",\"quantity\":1}", lateAccess);
    assertEquals(201, thenOne.status(), thenOne.text());
    assertNotNull(thenOne.json().get("reservationId"));
  }

  @Test
  void aTokenWhoseRequestTheSaleRefusedIsSpent() {
    api.defineSale("refused-once", Api.sale(10, 1, "ON_ORDER", null));
    challenged("refused-once");
    String token = api.token("one-only");
    assertEquals(201, reserve("refused-once", token, "first", access(accessToken("refused-once", token, "first"))).status());
    Map<String, String> second = access(accessToken("refused-once", token, "second"));
    assertRefused(reserve("refused-once", token, "second", second), 409, "limit_reached");
    assertRefused(reserve("refused-once", token, "second", second), 403, "access_token_replayed");
    assertEquals(1, reservationsOf("refused-once", token).size());
  }

  @Test
  void theSameRequestSentManyTimesAtOnceWithItsTokensIsOneReservation() throws Exception {
    api.defineSale("tokens-at-once", Api.withRoom(Api.sale(10, 2, "ON_ORDER", null), 50, 50));
    challenged("tokens-at-once");
    String token = api.token("double-clicker");
    Map<String, String> headers = new HashMap<>(access(accessToken("tokens-at-once", token, "dc")));
    headers.put(ReserveRoutes.ADMISSION_TOKEN, api.admissionToken("tokens-at-once", token));
    List<java.util.concurrent.Callable<Response>> sends = new ArrayList<>();
    for (int i = 0; i < 6; i++) sends.add(() -> reserve("tokens-at-once", token, "dc", headers));
    Set<String> named = new HashSet<>();
    for (Response r : together(sends)) {
      assertEquals(201, r.status(), "every copy of the request is answered with its reservation: " + r.text());
      named.add(r.json().get("reservationId").asText());
    }
    assertEquals(1, named.size(), named.toString());
    assertRefused(reserve("tokens-at-once", token, "other", headers), 403, "admission_used");
  }

  @Test
  void aRetryWithAnExpiredTokenGetsItsReservationAndNothingNew() throws Exception {
    api.defineSale("expired-retry", Api.sale(10, 2, "ON_ORDER", null));
    challenged("expired-retry");
    String token = api.token("slow-retrier");
    Response grantedUsed = accessToken("expired-retry", token, "e1");
    Response grantedUnused = accessToken("expired-retry", token, "e2");
    Response created = reserve("expired-retry", token, "e1", access(grantedUsed));
    assertEquals(201, created.status(), created.text());
    java.time.Instant expires = java.time.Instant.parse(grantedUnused.json().get("expiresAt").asText());
    // time itself is the condition: both tokens (3 s) must have expired
    Thread.sleep(Math.max(0, java.time.Duration.between(java.time.Instant.now(), expires).toMillis() + 200));

    Response again = reserve("expired-retry", token, "e1", access(grantedUsed));
    assertEquals(201, again.status(), "a retry with its expired token still learns of its unit: " + again.text());
    assertEquals(created.json(), again.json());
    assertRefused(reserve("expired-retry", token, "e2", access(grantedUnused)), 403, "access_token_expired");
    assertEquals(1, reservationsOf("expired-retry", token).size(), "an expired token bought nothing new");
  }

  @Test
  void aWrongTypeIsA400NamingTheFieldNotAClass() {
    api.defineSale("typed", Api.sale(10, 2, "ON_ORDER", null));
    String token = api.token("typist");
    Response r = api.post(api.reservePath("typed"), token, "{\"requestId\":\"t1\",\"quantity\":\"one\"}");
    assertRefused(r, 400, "invalid_body");
    String message = r.json().get("message").asText();
    assertTrue(message.startsWith("field 'quantity' must be a whole number"), message);
    assertTrue(!message.contains("java.") && !message.contains("seckill.") && !message.contains("Integer"), message);
    Response nan = api.post(api.reservePath("typed"), token, "{\"requestId\":\"t1\",\"quantity\":NaN}");
    assertRefused(nan, 400, "malformed_json");
    assertTrue(!nan.json().get("message").asText().contains("Feature"), nan.text());

    String sale = Api.sale(10, 2, "ON_ORDER", null).toString().replaceFirst("\"price\":[0-9.]+", "\"price\":1E+3");
    Response defined = api.admin("PUT", "/admin/sales/priced", sale);
    assertEquals(200, defined.status(), defined.text());
    api.awaitState("priced", "OPEN");
    Response shown = api.get("/api/sales/priced", null);
    assertEquals("1000", shown.json().get("price").toString(), shown.text());
  }
}
