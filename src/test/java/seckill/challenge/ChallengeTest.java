package seckill.challenge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.OneNode;
import seckill.TestNode;

/** The access challenge on a real node: no reserve passes without a fresh, matching token, and nothing changes when refused. */
@ExtendWith({LogCapturingExtension.class, OneNode.class})
@OneNode.Settings("seckill.challenge.default-difficulty = " + ChallengeTest.BITS
    + "\nseckill.challenge.per-sale { plain = 0, switched = 0 }")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChallengeTest {

  static final int BITS = 10;

  private TestNode node;
  private Api api;
  private String alice;
  private String bob;

  @BeforeAll
  void tokens() {
    alice = api.token("alice");
    bob = api.token("bob");
  }

  private static String body(String requestId) {
    return "{\"requestId\":\"" + requestId + "\",\"quantity\":1}";
  }

  private Response reserve(String saleId, String token, String requestId, String accessToken) {
    return api.send("POST", api.reservePath(saleId), token, body(requestId),
        accessToken == null ? Map.of() : Map.of("X-Access-Token", accessToken));
  }

  /** What the sale page does: fetch, solve, trade the solution for an access token. */
  private String accessToken(String saleId, String token, String requestId) {
    Response issued = api.get("/api/sales/" + saleId + "/challenge", token);
    assertEquals(200, issued.status(), issued.text());
    assertEquals(BITS, issued.json().get("difficulty").asInt());
    String challenge = issued.json().get("challenge").asText();
    Response granted = api.post("/api/sales/" + saleId + "/challenge", token, solveBody(challenge,
        Challenges.solve(challenge, BITS), requestId));
    assertEquals(200, granted.status(), granted.text());
    return granted.json().get("accessToken").asText();
  }

  private static String solveBody(String challenge, String solution, String requestId) {
    return "{\"challenge\":\"" + challenge + "\",\"solution\":\"" + solution + "\",\"requestId\":\"" + requestId + "\"}";
  }

  private void assertRefused(Response r, int status, String code) {
    assertEquals(status, r.status(), r.text());
    assertEquals(code, r.error(), r.text());
  }

  private JsonNode counters(String saleId) {
    return api.admin("GET", "/admin/sales/" + saleId, null).json();
  }

  private long dispatched() {
    return api.admin("GET", "/admin/admission", null).json().get("dispatched").asLong();
  }

  private void assertUntouched(String saleId) {
    JsonNode c = counters(saleId);
    assertEquals(0, c.get("sold").asInt());
    assertEquals(0, c.get("reservations").asInt());
    assertEquals(c.get("stock").asInt(), c.get("available").asInt());
  }

  @Test
  void withoutAForgedForeignExpiredOrReplayedTokenTheReserveIs403AndNothingChanges() {
    api.defineSale("flash", Api.sale(10, 2, "ON_ORDER", null));
    api.defineSale("flash-other", Api.sale(10, 2, "ON_ORDER", null));
    assertEquals(BITS, api.get("/api/sales/flash/status", null).json().get("challenge").asInt());
    long dispatched = dispatched();

    assertRefused(reserve("flash", alice, "r1", null), 403, "challenge_required");
    String token = accessToken("flash", alice, "r1");
    assertRefused(reserve("flash", alice, "r1", ChallengesTest.tamper(token)), 403, "access_token_invalid");
    assertRefused(reserve("flash", alice, "r2", token), 403, "access_token_invalid");
    assertRefused(reserve("flash", bob, "r1", token), 403, "access_token_invalid");
    assertRefused(reserve("flash-other", alice, "r1", token), 403, "access_token_invalid");

    // signed with the node's secret, but by a clock two minutes behind: the token is already expired
    Challenges past = new Challenges(node.config.getConfig("seckill.challenge"), saleId -> BITS,
        Clock.fixed(Instant.now().minusSeconds(120), ZoneOffset.UTC));
    String old = past.issue("flash", "alice").challenge();
    String expired = ((Challenges.Granted) past.redeem("flash", "alice", old, Challenges.solve(old, BITS), "r1")).accessToken();
    assertRefused(reserve("flash", alice, "r1", expired), 403, "access_token_expired");

    assertUntouched("flash");
    assertUntouched("flash-other");
    assertEquals(dispatched, dispatched(), "nothing reached the queue");

    Response created = reserve("flash", alice, "r1", token);
    assertEquals(201, created.status(), created.text());
    Response retried = reserve("flash", alice, "r1", token);
    assertEquals(201, retried.status(), "a used token's own request is answered as before: " + retried.text());
    assertEquals(created.json(), retried.json());
    JsonNode after = counters("flash");
    assertEquals(1, after.get("sold").asInt());
    assertEquals(1, after.get("reservations").asInt());
  }

  @Test
  void aChallengeSolvedForOneSaleOrBuyerDoesNotBuyATokenForAnother() {
    api.defineSale("bound", Api.sale(10, 2, "ON_ORDER", null));
    api.defineSale("bound-other", Api.sale(10, 2, "ON_ORDER", null));
    String challenge = api.get("/api/sales/bound/challenge", alice).json().get("challenge").asText();
    String solution = Challenges.solve(challenge, BITS);
    assertRefused(api.post("/api/sales/bound-other/challenge", alice, solveBody(challenge, solution, "r1")), 403,
        "challenge_invalid");
    assertRefused(api.post("/api/sales/bound/challenge", bob, solveBody(challenge, solution, "r1")), 403,
        "challenge_invalid");
    long miss = 0;
    while (Challenges.solves(challenge, Long.toString(miss), BITS)) miss++;
    assertRefused(api.post("/api/sales/bound/challenge", alice, solveBody(challenge, Long.toString(miss), "r1")), 403,
        "challenge_failed");
    assertEquals(200, api.post("/api/sales/bound/challenge", alice, solveBody(challenge, solution, "r1")).status());
    assertRefused(api.post("/api/sales/bound/challenge", alice, solveBody(challenge, solution, "r2")), 403,
        "challenge_replayed");
    assertUntouched("bound");
  }

  @Test
  void badInputIsA4xxWithAJsonError() {
    api.defineSale("input", Api.sale(10, 2, "ON_ORDER", null));
    assertRefused(api.post("/api/sales/input/challenge", alice, "{\"challenge\":"), 400, "malformed_json");
    assertRefused(api.post("/api/sales/input/challenge", alice, "{\"challenge\":\"x\",\"requestId\":\"r\"}"), 400,
        "invalid_body");
    assertRefused(api.post("/api/sales/input/challenge", alice, solveBody("x", "1", "r")), 403, "challenge_invalid");
    assertRefused(api.get("/api/sales/input/challenge", null), 401, "unauthorized");
    assertRefused(api.get("/api/sales/ghost/challenge", alice), 404, "sale_not_found");
    assertRefused(reserve("input", alice, "r1", "garbage-without-a-dot"), 403, "access_token_invalid");
    assertRefused(reserve("input", alice, "r1", "%%%.###"), 403, "access_token_invalid");
    var upcoming = Api.sale(10, 2, "ON_ORDER", null);
    upcoming.put("startsAt", Instant.now().plusSeconds(600).toString());
    api.defineSale("later", upcoming);
    assertRefused(api.get("/api/sales/later/challenge", alice), 409, "not_open");
    assertUntouched("input");
  }

  @Test
  void anOperatorTurnsASalesChallengeOnAndOffAtRuntime() {
    api.defineSale("switched", Api.sale(10, 2, "ON_ORDER", null));
    assertEquals(201, reserve("switched", alice, "s1", null).status(), "off by config");
    Response on = api.send("PATCH", "/admin/switches", Api.ADMIN_TOKEN,
        "{\"by\":\"test\",\"saleChallengeDifficulty\":{\"switched\":" + BITS + "}}", Map.of());
    assertEquals(200, on.status(), on.text());
    assertEquals(BITS, api.get("/api/sales/switched/status", null).json().get("challenge").asInt());
    assertRefused(reserve("switched", bob, "s1", null), 403, "challenge_required");
    assertEquals(201, reserve("switched", bob, "s1", accessToken("switched", bob, "s1")).status());
    Response off = api.send("PATCH", "/admin/switches", Api.ADMIN_TOKEN,
        "{\"by\":\"test\",\"saleChallengeDifficulty\":{\"switched\":null}}", Map.of());
    assertEquals(200, off.status(), off.text());
    assertNull(api.get("/api/sales/switched/status", null).json().get("challenge"), "back to the config: off");
    assertEquals(201, reserve("switched", api.token("carol"), "s1", null).status());
  }

  @Test
  void aSaleWithoutAChallengeIsReservedWithoutAToken() {
    api.defineSale("plain", Api.sale(10, 2, "ON_ORDER", null));
    assertNull(api.get("/api/sales/plain/status", null).json().get("challenge"));
    assertRefused(api.get("/api/sales/plain/challenge", alice), 404, "challenge_off");
    assertEquals(201, reserve("plain", alice, "p1", null).status());
  }
}
