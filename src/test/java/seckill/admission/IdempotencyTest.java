package seckill.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static seckill.Api.assertRefused;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.BuyerSwarm;
import seckill.OneNode;

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


  private List<JsonNode> reservationsOf(String saleId, String token) {
    Response mine = api.get("/api/sales/" + saleId + "/reservations?limit=100", token);
    assertEquals(200, mine.status(), mine.text());
    List<JsonNode> all = new ArrayList<>();
    mine.json().get("reservations").forEach(all::add);
    return all;
  }

  /** What the sale page does for a challenge: fetch, solve, trade for an access token bound to {@code requestId}. */
  private Response accessToken(String saleId, String token, String requestId) {
    Response granted = api.grantAccess(saleId, token, requestId, BITS);
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

  @Test
  void concurrentReservesOfOneBuyerAreEachAnsweredForTheirOwnRequestIdAndRetriesGetThoseAnswers() throws Exception {
    api.defineSale("many-at-once", Api.sale(1_000, 3, "ON_ORDER", null));
    for (int wave = 0; wave < 5; wave++) {
      String token = api.token("eager-" + wave);
      List<String> ids = List.of("m0", "m1", "m2", "m3", "m4");
      List<Supplier<Response>> sends = new ArrayList<>();
      for (String id : ids) sends.add(() -> api.reserve("many-at-once", token, id, 1));
      List<Response> first = BuyerSwarm.together(sends, Duration.ofSeconds(60));

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
        Response again = api.reserve("many-at-once", token, ids.get(i), 1);
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
    List<Supplier<Response>> sends = new ArrayList<>();
    for (int i = 0; i < 6; i++) sends.add(() -> api.reserve("same-at-once", token, "once", 1));
    Set<String> named = new HashSet<>();
    for (Response r : BuyerSwarm.together(sends, Duration.ofSeconds(60))) {
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

    Response created = api.reserve("room-retry", token, "w1", 1, withAdmission);
    assertEquals(201, created.status(), created.text());
    Response again = api.reserve("room-retry", token, "w1", 1, withAdmission);
    assertEquals(201, again.status(), "the exact retry of a 201: " + again.text());
    assertEquals(created.json(), again.json(), "the same reservation, as first answered");
    assertEquals(created.header("Location"), again.header("Location"));

    assertRefused(api.reserve("room-retry", token, "w2", 1, withAdmission), 403, "admission_used");
    assertEquals(1, reservationsOf("room-retry", token).size(), "one admission, one reservation");
  }

  @Test
  void aRetryAfterA201OnAChallengeSaleGetsTheSameReservation() {
    api.defineSale("challenge-retry", Api.sale(10, 2, "ON_ORDER", null));
    challenged("challenge-retry");
    String token = api.token("solver");
    Map<String, String> withAccess = access(accessToken("challenge-retry", token, "c1"));

    Response created = api.reserve("challenge-retry", token, "c1", 1, withAccess);
    assertEquals(201, created.status(), created.text());
    Response again = api.reserve("challenge-retry", token, "c1", 1, withAccess);
    assertEquals(201, again.status(), "the exact retry of a 201: " + again.text());
    assertEquals(created.json(), again.json());
    assertRefused(api.reserve("challenge-retry", token, "c2", 1, withAccess), 403, "access_token_invalid");
    assertEquals(1, reservationsOf("challenge-retry", token).size());

    // a body refused at the edge (step 9, before the tokens) leaves the access token untouched
    String other = api.token("solver-late");
    Map<String, String> lateAccess = access(accessToken("challenge-retry", other, "too-many"));
    Response tooMany = api.reserve("challenge-retry", other, "too-many", 3, lateAccess);
    assertRefused(tooMany, 400, "invalid_quantity");
    Response thenOne = api.reserve("challenge-retry", other, "too-many", 1, lateAccess);
    assertEquals(201, thenOne.status(), thenOne.text());
    assertNotNull(thenOne.json().get("reservationId"));
  }

  @Test
  void aTokenWhoseRequestTheSaleRefusedIsSpent() {
    api.defineSale("refused-once", Api.sale(10, 1, "ON_ORDER", null));
    challenged("refused-once");
    String token = api.token("one-only");
    assertEquals(201, api.reserve("refused-once", token, "first", 1, access(accessToken("refused-once", token, "first"))).status());
    Map<String, String> second = access(accessToken("refused-once", token, "second"));
    assertRefused(api.reserve("refused-once", token, "second", 1, second), 409, "limit_reached");
    assertRefused(api.reserve("refused-once", token, "second", 1, second), 403, "access_token_replayed");
    assertEquals(1, reservationsOf("refused-once", token).size());
  }

  @Test
  void theSameRequestSentManyTimesAtOnceWithItsTokensIsOneReservation() throws Exception {
    api.defineSale("tokens-at-once", Api.withRoom(Api.sale(10, 2, "ON_ORDER", null), 50, 50));
    challenged("tokens-at-once");
    String token = api.token("double-clicker");
    // the room asks the challenge at its door: the join carries the access token, the reserve its admission
    String accessToken = accessToken("tokens-at-once", token, "dc").json().get("accessToken").asText();
    Map<String, String> headers = Map.of(ReserveRoutes.ADMISSION_TOKEN, api.admissionToken("tokens-at-once", token, accessToken));
    List<Supplier<Response>> sends = new ArrayList<>();
    for (int i = 0; i < 6; i++) sends.add(() -> api.reserve("tokens-at-once", token, "dc", 1, headers));
    Set<String> named = new HashSet<>();
    for (Response r : BuyerSwarm.together(sends, Duration.ofSeconds(60))) {
      assertEquals(201, r.status(), "every copy of the request is answered with its reservation: " + r.text());
      named.add(r.json().get("reservationId").asText());
    }
    assertEquals(1, named.size(), named.toString());
    assertRefused(api.reserve("tokens-at-once", token, "other", 1, headers), 403, "admission_used");
  }

  @Test
  void aRetryWithAnExpiredTokenGetsItsReservationAndNothingNew() throws Exception {
    api.defineSale("expired-retry", Api.sale(10, 2, "ON_ORDER", null));
    challenged("expired-retry");
    String token = api.token("slow-retrier");
    Response grantedUsed = accessToken("expired-retry", token, "e1");
    Response grantedUnused = accessToken("expired-retry", token, "e2");
    Response created = api.reserve("expired-retry", token, "e1", 1, access(grantedUsed));
    assertEquals(201, created.status(), created.text());
    Instant expires = Instant.parse(grantedUnused.json().get("expiresAt").asText());
    // time itself is the condition: both tokens (3 s) must have expired
    Thread.sleep(Math.max(0, Duration.between(Instant.now(), expires).toMillis() + 200));

    Response again = api.reserve("expired-retry", token, "e1", 1, access(grantedUsed));
    assertEquals(201, again.status(), "a retry with its expired token still learns of its unit: " + again.text());
    assertEquals(created.json(), again.json());
    assertRefused(api.reserve("expired-retry", token, "e2", 1, access(grantedUnused)), 403, "access_token_expired");
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
