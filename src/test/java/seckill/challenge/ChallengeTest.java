package seckill.challenge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static seckill.Api.assertRefused;
import static seckill.Api.challengeBody;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
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
  private final String alice = Api.mint("alice");
  private final String bob = Api.mint("bob");

  /** What the sale page does: fetch, solve, trade the solution for an access token. */
  private String accessToken(String saleId, String token, String requestId) {
    Response issued = api.get("/api/sales/" + saleId + "/challenge", token);
    assertEquals(200, issued.status(), issued.text());
    assertEquals(BITS, issued.json().get("difficulty").asInt());
    String challenge = issued.json().get("challenge").asText();
    Response granted = api.post("/api/sales/" + saleId + "/challenge", token, challengeBody(challenge,
        Challenges.solve(challenge, BITS), requestId));
    assertEquals(200, granted.status(), granted.text());
    return granted.json().get("accessToken").asText();
  }

  private void assertUntouched(String saleId) {
    JsonNode c = api.counters(saleId);
    assertEquals(0, c.get("sold").asInt());
    assertEquals(0, c.get("reservations").asInt());
    assertEquals(c.get("stock").asInt(), c.get("available").asInt());
  }

  @Test
  void withoutAForgedForeignExpiredOrReplayedTokenTheReserveIs403AndNothingChanges() {
    api.defineSale("flash", Api.sale(10, 2, "ON_ORDER", null));
    api.defineSale("flash-other", Api.sale(10, 2, "ON_ORDER", null));
    assertEquals(BITS, api.get("/api/sales/flash/status", null).json().get("challenge").asInt());
    long dispatched = api.dispatched();

    assertRefused(api.reserveWithAccess("flash", alice, "r1", null), 403, "challenge_required");
    String token = accessToken("flash", alice, "r1");
    assertRefused(api.reserveWithAccess("flash", alice, "r1", ChallengesTest.tamper(token)), 403, "access_token_invalid");
    assertRefused(api.reserveWithAccess("flash", alice, "r2", token), 403, "access_token_invalid");
    assertRefused(api.reserveWithAccess("flash", bob, "r1", token), 403, "access_token_invalid");
    assertRefused(api.reserveWithAccess("flash-other", alice, "r1", token), 403, "access_token_invalid");

    // signed with the node's secret, but by a clock two minutes behind: the token is already expired
    Challenges past = new Challenges(node.config.getConfig("seckill.challenge"), saleId -> BITS,
        Clock.fixed(Instant.now().minusSeconds(120), ZoneOffset.UTC));
    String old = past.issue("flash", "alice").challenge();
    String expired = ((Challenges.Granted) past.redeem("flash", "alice", old, Challenges.solve(old, BITS), "r1")).accessToken();
    assertRefused(api.reserveWithAccess("flash", alice, "r1", expired), 403, "access_token_expired");

    assertUntouched("flash");
    assertUntouched("flash-other");
    assertEquals(dispatched, api.dispatched(), "nothing reached the queue");

    Response created = api.reserveWithAccess("flash", alice, "r1", token);
    assertEquals(201, created.status(), created.text());
    Response retried = api.reserveWithAccess("flash", alice, "r1", token);
    assertEquals(201, retried.status(), "a used token's own request is answered as before: " + retried.text());
    assertEquals(created.json(), retried.json());
    JsonNode after = api.counters("flash");
    assertEquals(1, after.get("sold").asInt());
    assertEquals(1, after.get("reservations").asInt());
  }

  @Test
  void aChallengeSolvedForOneSaleOrBuyerDoesNotBuyATokenForAnother() {
    api.defineSale("bound", Api.sale(10, 2, "ON_ORDER", null));
    api.defineSale("bound-other", Api.sale(10, 2, "ON_ORDER", null));
    String challenge = api.get("/api/sales/bound/challenge", alice).json().get("challenge").asText();
    String solution = Challenges.solve(challenge, BITS);
    assertRefused(api.post("/api/sales/bound-other/challenge", alice, challengeBody(challenge, solution, "r1")), 403,
        "challenge_invalid");
    assertRefused(api.post("/api/sales/bound/challenge", bob, challengeBody(challenge, solution, "r1")), 403,
        "challenge_invalid");
    long miss = 0;
    while (Challenges.solves(challenge, Long.toString(miss), BITS)) miss++;
    assertRefused(api.post("/api/sales/bound/challenge", alice, challengeBody(challenge, Long.toString(miss), "r1")), 403,
        "challenge_failed");
    assertEquals(200, api.post("/api/sales/bound/challenge", alice, challengeBody(challenge, solution, "r1")).status());
    assertRefused(api.post("/api/sales/bound/challenge", alice, challengeBody(challenge, solution, "r2")), 403,
        "challenge_replayed");
    assertUntouched("bound");
  }

  @Test
  void badInputIsA4xxWithAJsonError() {
    api.defineSale("input", Api.sale(10, 2, "ON_ORDER", null));
    assertRefused(api.post("/api/sales/input/challenge", alice, "{\"challenge\":"), 400, "malformed_json");
    assertRefused(api.post("/api/sales/input/challenge", alice, "{\"challenge\":\"x\",\"requestId\":\"r\"}"), 400,
        "invalid_body");
    assertRefused(api.post("/api/sales/input/challenge", alice, challengeBody("x", "1", "r")), 403, "challenge_invalid");
    assertRefused(api.get("/api/sales/input/challenge", null), 401, "unauthorized");
    assertRefused(api.get("/api/sales/ghost/challenge", alice), 404, "sale_not_found");
    assertRefused(api.reserveWithAccess("input", alice, "r1", "garbage-without-a-dot"), 403, "access_token_invalid");
    assertRefused(api.reserveWithAccess("input", alice, "r1", "%%%.###"), 403, "access_token_invalid");
    var upcoming = Api.sale(10, 2, "ON_ORDER", null);
    upcoming.put("startsAt", Instant.now().plusSeconds(600).toString());
    api.defineSale("later", upcoming);
    assertRefused(api.get("/api/sales/later/challenge", alice), 409, "not_open");
    assertUntouched("input");
  }

  @Test
  void anOperatorTurnsASalesChallengeOnAndOffAtRuntime() {
    api.defineSale("switched", Api.sale(10, 2, "ON_ORDER", null));
    assertEquals(201, api.reserveWithAccess("switched", alice, "s1", null).status(), "off by config");
    Response on = api.send("PATCH", "/admin/switches", Api.ADMIN_TOKEN,
        "{\"by\":\"test\",\"saleChallengeDifficulty\":{\"switched\":" + BITS + "}}", Map.of());
    assertEquals(200, on.status(), on.text());
    assertEquals(BITS, api.get("/api/sales/switched/status", null).json().get("challenge").asInt());
    assertRefused(api.reserveWithAccess("switched", bob, "s1", null), 403, "challenge_required");
    assertEquals(201, api.reserveWithAccess("switched", bob, "s1", accessToken("switched", bob, "s1")).status());
    Response off = api.send("PATCH", "/admin/switches", Api.ADMIN_TOKEN,
        "{\"by\":\"test\",\"saleChallengeDifficulty\":{\"switched\":null}}", Map.of());
    assertEquals(200, off.status(), off.text());
    assertNull(api.get("/api/sales/switched/status", null).json().get("challenge"), "back to the config: off");
    assertEquals(201, api.reserveWithAccess("switched", api.token("carol"), "s1", null).status());
  }

  @Test
  void aSaleWithoutAChallengeIsReservedWithoutAToken() {
    api.defineSale("plain", Api.sale(10, 2, "ON_ORDER", null));
    assertNull(api.get("/api/sales/plain/status", null).json().get("challenge"));
    assertRefused(api.get("/api/sales/plain/challenge", alice), 404, "challenge_off");
    assertEquals(201, api.reserveWithAccess("plain", alice, "p1", null).status());
  }
}
