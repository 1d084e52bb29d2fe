package seckill.waitingroom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static seckill.Api.assertRefused;
import static seckill.Api.placeOf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.OneNode;
import seckill.TestNode;
import seckill.challenge.Challenges;

/**
 * The challenge at the waiting room's door, on a real node: with the sale's challenge on (config or
 * switch) a join that takes a place needs a solved challenge of its sale and buyer, a poll never does,
 * and the admission that place earns stands in for the challenge at the reserve.
 */
@ExtendWith({LogCapturingExtension.class, OneNode.class})
@OneNode.Settings("seckill.challenge.per-sale { door = " + RoomDoorTest.BITS + ", door-other = " + RoomDoorTest.BITS
    + ", door-once = " + RoomDoorTest.BITS + ", door-pre = " + RoomDoorTest.BITS + ", door-later = " + RoomDoorTest.BITS + " }")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RoomDoorTest {

  static final int BITS = 10;

  private TestNode node;
  private Api api;
  private final String alice = Api.mint("alice");
  private final String bob = Api.mint("bob");

  private static ObjectNode roomSale() {
    ObjectNode sale = Api.withRoom(Api.sale(10, 2, "ON_ORDER", null), 50, 100);
    ((ObjectNode) sale.get("waitingRoom")).put("admissionTtlSeconds", 60);
    return sale;
  }

  /** What the sale page does before a join: fetch, solve, trade for an access token. */
  private String accessToken(String saleId, String token) {
    Response granted = api.grantAccess(saleId, token, "join-1", BITS);
    assertEquals(200, granted.status(), granted.text());
    return granted.json().get("accessToken").asText();
  }

  /** A 403 with the code, whose message names the challenge's path. */
  private void assertSentToTheChallenge(Response r, String saleId, String code) {
    assertRefused(r, 403, code);
    assertTrue(r.json().get("message").asText().contains("GET /api/sales/" + saleId + "/challenge"), r.text());
    assertNull(r.json().get("ticket"), r.text());
  }

  /** New places this node gave in sale "door" (the desk was asked), from the node's metrics. */
  private double newPlaces() {
    return new Api(node.managementUrl()).get("/metrics", null).text().lines()
        .filter(line -> line.startsWith("seckill_queue_joins_total{") && line.contains("sale=\"door\"")
            && line.contains("kind=\"new\""))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
  }

  @Test
  void aJoinWithoutABadOrAForeignAccessTokenIs403AndTakesNoPlace() {
    api.defineSale("door", roomSale());
    api.defineSale("door-other", roomSale());
    assertEquals(BITS, api.get("/api/sales/door/status", null).json().get("challenge").asInt());

    assertSentToTheChallenge(api.join("door", alice, null, null), "door", "challenge_required");
    String token = accessToken("door", alice);
    assertSentToTheChallenge(api.join("door", alice, null, "garbage-without-a-dot"), "door", "access_token_invalid");
    String tampered = token.substring(0, token.indexOf('.') + 1) + (token.charAt(token.indexOf('.') + 1) == 'A' ? 'B' : 'A')
        + token.substring(token.indexOf('.') + 2);
    assertSentToTheChallenge(api.join("door", alice, null, tampered), "door", "access_token_invalid");
    assertSentToTheChallenge(api.join("door", bob, null, token), "door", "access_token_invalid");
    assertSentToTheChallenge(api.join("door-other", alice, null, token), "door-other", "access_token_invalid");
    // signed with the node's secret by a clock two minutes behind: already expired
    Challenges past = new Challenges(node.config.getConfig("seckill.challenge"), saleId -> BITS,
        Clock.fixed(Instant.now().minusSeconds(120), ZoneOffset.UTC));
    String old = past.issue("door", "alice").challenge();
    String expired = ((Challenges.Granted) past.redeem("door", "alice", old, Challenges.solve(old, BITS), "r1")).accessToken();
    assertSentToTheChallenge(api.join("door", alice, null, expired), "door", "access_token_expired");
    assertEquals(0, newPlaces(), "no refused join reached a desk");

    Response joined = api.join("door", alice, null, token);
    assertEquals(200, joined.status(), joined.text());
    assertEquals(1, newPlaces());
    String ticket = joined.json().get("ticket").asText();
    // the same join sent again (its answer lost): the same token, no second solve, the same place
    Response retried = api.join("door", alice, null, token);
    assertEquals(200, retried.status(), retried.text());
    assertEquals(placeOf(ticket), placeOf(retried.json().get("ticket").asText()));
    // with the ticket held, no token at all
    Response again = api.join("door", alice, ticket, null);
    assertEquals(200, again.status(), again.text());
    assertEquals(ticket, again.json().get("ticket").asText());
    assertEquals(1, newPlaces(), "one place, however often alice joined");
  }

  @Test
  void theAdmissionStandsInForTheChallengeAtTheReserveSoTheBuyerSolvesOnce() {
    api.defineSale("door-once", roomSale());
    String ticket = api.join("door-once", bob, null, accessToken("door-once", bob)).json().get("ticket").asText();
    String admission = api.admittedWith("door-once", ticket);
    assertRefused(api.reserveWithAdmission("door-once", bob, "b1", null), 403, "admission_required");
    Response created = api.reserveWithAdmission("door-once", bob, "b1", admission);
    assertEquals(201, created.status(), "no access token at the reserve: " + created.text());
    assertEquals(1, api.counters("door-once").get("reservations").asInt());
  }

  @Test
  void withTheChallengeOffAJoinNeedsNoToken() {
    api.defineSale("door-off", roomSale());
    assertNull(api.get("/api/sales/door-off/status", null).json().get("challenge"));
    assertRefused(api.get("/api/sales/door-off/challenge", alice), 404, "challenge_off");
    Response joined = api.join("door-off", alice, null);
    assertEquals(200, joined.status(), joined.text());
    String admission = api.admittedWith("door-off", joined.json().get("ticket").asText());
    assertEquals(201, api.reserveWithAdmission("door-off", alice, "o1", admission).status());
  }

  @Test
  void theSwitchTurnsTheDoorOnAndOffAtRuntime() {
    api.defineSale("door-switched", roomSale());
    Response first = api.join("door-switched", alice, null);
    assertEquals(200, first.status(), "off by config: " + first.text());
    Response on = api.admin("PATCH", "/admin/switches", "{\"by\":\"test\",\"saleChallengeDifficulty\":{\"door-switched\":" + BITS + "}}");
    assertEquals(200, on.status(), on.text());
    assertSentToTheChallenge(api.join("door-switched", bob, null), "door-switched", "challenge_required");
    assertEquals(200, api.join("door-switched", alice, first.json().get("ticket").asText()).status(),
        "a place taken before keeps its ticket");
    assertEquals(200, api.join("door-switched", bob, null, accessToken("door-switched", bob)).status());
    Response off = api.admin("PATCH", "/admin/switches", "{\"by\":\"test\",\"saleChallengeDifficulty\":{\"door-switched\":null}}");
    assertEquals(200, off.status(), off.text());
    assertEquals(200, api.join("door-switched", api.token("carol"), null).status(), "back to the config: off");
  }

  @Test
  void thePreQueuesDoorHandsOutChallengesBeforeTheOpeningOnlyOnceItsLineTakesJoins() {
    ObjectNode sale = roomSale();
    sale.put("startsAt", Instant.now().plusSeconds(600).toString());
    ((ObjectNode) sale.get("waitingRoom")).put("preQueueFrom", Instant.now().minusSeconds(1).toString());
    api.defineSale("door-pre", sale);
    Response joined = api.join("door-pre", alice, null, accessToken("door-pre", alice));
    assertEquals(200, joined.status(), joined.text());
    assertEquals("WAITING", joined.json().get("state").asText());

    ObjectNode later = roomSale();
    later.put("startsAt", Instant.now().plusSeconds(600).toString());
    api.defineSale("door-later", later);
    assertRefused(api.get("/api/sales/door-later/challenge", alice), 409, "not_open");
    assertRefused(api.join("door-later", alice, null), 409, "not_open");
  }
}
