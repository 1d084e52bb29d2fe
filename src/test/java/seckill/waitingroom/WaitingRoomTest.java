package seckill.waitingroom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static seckill.Api.assertRefused;
import static seckill.Api.placeOf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.Await;
import seckill.OneNode;
import seckill.TestNode;
import seckill.auth.Signer;

/** The waiting room on a real node: join, poll, admission in join order, and a reserve that needs a valid admission. */
@ExtendWith({LogCapturingExtension.class, OneNode.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WaitingRoomTest {

  private TestNode node;
  private Api api;
  private final String alice = Api.mint("alice");
  private final String bob = Api.mint("bob");

  static ObjectNode roomSale(int stock, int admitPerSecond, int maxActive) {
    ObjectNode sale = Api.withRoom(Api.sale(stock, 2, "ON_ORDER", null), admitPerSecond, maxActive);
    ((ObjectNode) sale.get("waitingRoom")).put("admissionTtlSeconds", 60);
    return sale;
  }

  @Test
  void joiningAgainKeepsThePlaceAndBadTicketsAreRefused() {
    api.defineSale("wr-join", roomSale(10, 1, 1));
    assertTrue(api.get("/api/sales/wr-join/status", null).json().get("waitingRoom").asBoolean());
    Response first = api.join("wr-join", alice, null);
    assertEquals(200, first.status(), first.text());
    String ticket = first.json().get("ticket").asText();
    assertNotNull(first.json().get("state"));
    Response again = api.join("wr-join", alice, null);
    assertEquals(200, again.status(), again.text());
    assertEquals(placeOf(ticket), placeOf(again.json().get("ticket").asText()), "the same place without the ticket");
    assertEquals(ticket, api.join("wr-join", alice, ticket).json().get("ticket").asText(), "with it, the same ticket");
    Response other = api.join("wr-join", bob, null);
    assertNotEquals(placeOf(ticket), placeOf(other.json().get("ticket").asText()));

    assertRefused(api.poll("wr-join", null), 400, "queue_ticket_required");
    assertRefused(api.poll("wr-join", ticket.substring(0, ticket.length() - 2) + "AA"), 403, "queue_ticket_invalid");
    assertRefused(api.poll("wr-nope", ticket), 404, "sale_not_found");
    api.defineSale("wr-plain", Api.sale(10, 2, "ON_ORDER", null));
    assertRefused(api.join("wr-plain", alice, null), 404, "waiting_room_off");
    assertRefused(api.poll("wr-plain", ticket), 404, "waiting_room_off");
  }

  @Test
  void aReserveNeedsAValidUnusedAdmissionOfItsBuyerAndNothingChangesWithout() {
    api.defineSale("wr-gate", roomSale(10, 50, 100));
    api.defineSale("wr-gate-other", roomSale(10, 50, 100));
    String ticket = api.join("wr-gate", alice, null).json().get("ticket").asText();
    String admission = api.admittedWith("wr-gate", ticket);
    String bobs = api.admittedWith("wr-gate", api.join("wr-gate", bob, null).json().get("ticket").asText());

    assertRefused(api.reserveWithAdmission("wr-gate", alice, "r1", null), 403, "admission_required");
    assertRefused(api.reserveWithAdmission("wr-gate", alice, "r1", admission.substring(0, admission.length() - 2) + "AA"), 403,
        "admission_invalid");
    assertRefused(api.reserveWithAdmission("wr-gate", alice, "r1", bobs), 403, "admission_invalid");
    assertRefused(api.reserveWithAdmission("wr-gate-other", alice, "r1", admission), 403, "admission_invalid");
    Signer signer = new Signer(node.config.getString("seckill.waiting-room.secret"), "test");
    String expired = signer.sign(AdmissionTokens.DOMAIN,
        new AdmissionTokens.Claims("wr-gate", "alice", 0, System.currentTimeMillis() - 1000));
    assertRefused(api.reserveWithAdmission("wr-gate", alice, "r1", expired), 403, "admission_expired");
    assertEquals(0, api.counters("wr-gate").get("reservations").asInt(), "nothing reserved while refused");

    Response created = api.reserveWithAdmission("wr-gate", alice, "r1", admission);
    assertEquals(201, created.status(), created.text());
    assertRefused(api.reserveWithAdmission("wr-gate", alice, "r2", admission), 403, "admission_used");
    assertEquals(1, api.counters("wr-gate").get("reservations").asInt());
  }

  @Test
  void buyersAreAdmittedInJoinOrderAtThePace() {
    api.defineSale("wr-order", roomSale(100, 4, 1000));
    List<String> tickets = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      Response r = api.join("wr-order", api.token("order-" + i), null);
      assertEquals(200, r.status(), r.text());
      tickets.add(r.json().get("ticket").asText());
    }
    for (int i = 1; i < tickets.size(); i++) assertTrue(placeOf(tickets.get(i)) > placeOf(tickets.get(i - 1)));
    // whenever a buyer is admitted, every earlier one is too
    Await.value(Duration.ofSeconds(20), Duration.ofMillis(50), "never all admitted", () -> {
      boolean laterAdmitted = false;
      int admitted = 0;
      for (int i = tickets.size() - 1; i >= 0; i--) {
        String state = api.poll("wr-order", tickets.get(i)).json().get("state").asText();
        if (state.equals("ADMITTED")) admitted++;
        else assertTrue(!laterAdmitted, "buyer " + i + " waits while a later one is admitted");
        laterAdmitted |= state.equals("ADMITTED");
      }
      return admitted == tickets.size() ? admitted : null;
    });
  }

  @Test
  void whenTheSaleSellsOutEveryPollSaysSoAndReturnedUnitsReopenTheLineInOrder() {
    ObjectNode sale = roomSale(2, 50, 100);
    sale.put("mode", "HOLD");
    sale.put("holdSeconds", 600);
    api.defineSale("wr-sold", sale);
    List<String> buyers = new ArrayList<>();
    List<String> tickets = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      buyers.add(api.token("sold-" + i));
      tickets.add(api.join("wr-sold", buyers.get(i), null).json().get("ticket").asText());
    }
    List<String> reservations = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Response r = api.reserveWithAdmission("wr-sold", buyers.get(i), "r" + i, api.admittedWith("wr-sold", tickets.get(i)));
      assertEquals(201, r.status(), r.text());
      reservations.add(r.json().get("reservationId").asText());
    }
    api.awaitState("wr-sold", "SOLD_OUT");
    for (String ticket : tickets) assertEquals("SOLD_OUT", api.poll("wr-sold", ticket).json().get("state").asText());
    assertRefused(api.join("wr-sold", api.token("sold-late"), null), 410, "sold_out");

    // a hold given back: the line goes on where it stopped
    assertEquals(200, api.delete("/api/reservations/" + reservations.get(0), buyers.get(0)).status());
    api.awaitState("wr-sold", "OPEN");
    Response next = api.reserveWithAdmission("wr-sold", buyers.get(2), "r2", api.admittedWith("wr-sold", tickets.get(2)));
    assertEquals(201, next.status(), next.text());
  }

  @Test
  void preQueueJoinersAreShuffledAtTheOpeningAndAllAheadOfLaterJoiners() throws Exception {
    // one admission, then none until it expires: the mark stands still while the test reads every place
    ObjectNode sale = roomSale(1000, 1, 1);
    Instant startsAt = Instant.now().plusSeconds(600);
    sale.put("startsAt", startsAt.toString());
    ((ObjectNode) sale.get("waitingRoom")).put("preQueueFrom", Instant.now().minusSeconds(1).toString())
        .put("shuffleAtOpen", true);
    api.defineSale("wr-pre", sale);
    List<String> early = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      Response r = api.join("wr-pre", api.token("pre-" + i), null);
      assertEquals(200, r.status(), r.text());
      assertEquals("WAITING", r.json().get("state").asText());
      early.add(r.json().get("ticket").asText());
    }
    api.lifecycle("wr-pre", "open", "OPEN"); // the operator opens it now: the pre-queue ends here

    List<String> late = new ArrayList<>();
    for (int i = 0; i < 20; i++) late.add(api.join("wr-pre", api.token("late-" + i), null).json().get("ticket").asText());
    // a sleep, not a condition: no figure tells when every desk has reported the places it left void;
    // each keeps a block at most a lease lifetime and checks every lifetime, so after 3 s all have
    Thread.sleep(3000);
    // the line opened: every ticket's place ahead
    long[] aheadEarly = Await.value(Duration.ofSeconds(10), Duration.ofMillis(100), "line never opened here", () -> {
      long[] ahead = new long[early.size()];
      for (int i = 0; i < early.size(); i++) {
        JsonNode answer = api.poll("wr-pre", early.get(i)).json();
        ahead[i] = answer.has("ahead") && answer.get("ahead") != null && !answer.get("ahead").isNull()
            ? answer.get("ahead").asLong() : answer.get("state").asText().equals("ADMITTED") ? -1 : Long.MIN_VALUE;
        if (ahead[i] == Long.MIN_VALUE) return null;
      }
      return ahead;
    });
    long lastEarly = Arrays.stream(aheadEarly).max().orElseThrow();
    for (String ticket : late) {
      long ahead = api.poll("wr-pre", ticket).json().get("ahead").asLong();
      assertTrue(ahead >= lastEarly, "a later joiner (" + ahead + " ahead) is behind every pre-queue joiner (" + lastEarly + ")");
    }
    // admission order among the pre-queue against join order: Spearman's rho over the ranks seen
    int n = aheadEarly.length;
    Integer[] byAhead = new Integer[n];
    for (int i = 0; i < n; i++) byAhead[i] = i;
    Arrays.sort(byAhead, Comparator.comparingLong(i -> aheadEarly[i]));
    double sumD2 = 0;
    for (int rank = 0; rank < n; rank++) {
      double d = byAhead[rank] - rank;
      sumD2 += d * d;
    }
    double rho = 1 - 6 * sumD2 / ((double) n * ((double) n * n - 1));
    assertTrue(Math.abs(rho) < 0.25, "admission order follows join order: rho " + rho);
  }

  @Test
  void operatorsSeeTheLineAndLetChosenBuyersInAtOnce() {
    api.defineSale("wr-ops", roomSale(10, 1, 1));
    String first = api.join("wr-ops", alice, null).json().get("ticket").asText();
    api.admittedWith("wr-ops", first); // the one active slot, so the line stops here
    for (int i = 0; i < 3; i++) api.join("wr-ops", api.token("ops-" + i), null);
    JsonNode figures = Await.value(Duration.ofSeconds(10), Duration.ofMillis(100), "no figures", () -> {
      Response r = api.admin("GET", "/admin/sales/wr-ops/queue", null);
      assertEquals(200, r.status(), r.text());
      JsonNode line = r.json().get("line");
      return line != null && line.get("waiting").asLong() >= 3 && line.get("active").asInt() == 1 ? r.json() : null;
    });
    assertEquals(1, figures.get("waitsObserved").asLong(), "alice's wait, seen by this node");
    assertEquals(401, api.get("/admin/sales/wr-ops/queue", alice).status());

    Response bypass = api.admin("POST", "/admin/sales/wr-ops/queue/bypass", "{\"buyers\":[\"bob\"]}");
    assertEquals(200, bypass.status(), bypass.text());
    String bobs = bypass.json().get("admissionTokens").get("bob").asText();
    Response created = api.reserveWithAdmission("wr-ops", bob, "vip-1", bobs);
    assertEquals(201, created.status(), created.text());
    assertRefused(api.reserveWithAdmission("wr-ops", bob, "vip-2", bobs), 403, "admission_used");
    assertRefused(api.admin("POST", "/admin/sales/wr-ops/queue/bypass", "{\"buyers\":[]}"), 400, "invalid_body");
    assertRefused(api.admin("POST", "/admin/sales/wr-ops/queue/bypass", "{\"buyers\":"), 400, "malformed_json");
    for (String name : List.of("a\\u0000b", "a b", "", "x".repeat(129), "é")) {
      assertRefused(api.admin("POST", "/admin/sales/wr-ops/queue/bypass", "{\"buyers\":[\"" + name + "\"]}"), 400,
          "invalid_buyer");
    }
    api.defineSale("wr-closed", roomSale(10, 5, 5));
    api.lifecycle("wr-closed", "close", "CLOSED");
    assertRefused(api.admin("POST", "/admin/sales/wr-closed/queue/bypass", "{\"buyers\":[\"bob\"]}"), 409, "closed");
    assertRefused(api.admin("GET", "/admin/sales/wr-none/queue", null), 404, "sale_not_found");
  }

  private String stateOf(String saleId, String ticket) {
    Response r = api.poll(saleId, ticket);
    assertEquals(200, r.status(), r.text());
    return r.json().get("state").asText();
  }

  /** Waits until the line holds {@code active} admissions and at least {@code waiting} places behind them. */
  private void awaitLine(String saleId, int active, int waiting) {
    Await.until(Duration.ofSeconds(10), "the line never showed " + active + " active", () -> {
      JsonNode line = api.admin("GET", "/admin/sales/" + saleId + "/queue", null).json().get("line");
      return line != null && !line.isNull() && line.get("active").asInt() == active && line.get("waiting").asLong() >= waiting;
    });
  }

  @Test
  void aBuyerWhoLeavesFreesTheSlotAtOnceAndJoiningAgainGoesToTheBack() {
    api.defineSale("wr-leave", roomSale(10, 50, 1)); // one slot; an admission runs 60 s
    String alices = api.join("wr-leave", alice, null).json().get("ticket").asText();
    String admission = api.admittedWith("wr-leave", alices);
    String bobs = api.join("wr-leave", bob, null).json().get("ticket").asText();
    awaitLine("wr-leave", 1, 1);
    assertEquals("WAITING", stateOf("wr-leave", bobs), "alice holds the one slot");

    Response left = api.leave("wr-leave", alices);
    assertEquals(200, left.status(), left.text());
    assertEquals("LEFT", left.json().get("state").asText());
    // well within alice's 60 s admission: her slot was freed by leaving, not by running out
    String bobsAdmission = api.admittedWith("wr-leave", bobs);
    assertEquals("LEFT", stateOf("wr-leave", alices));
    Response again = api.leave("wr-leave", alices);
    assertEquals(200, again.status(), again.text());
    assertEquals("LEFT", again.json().get("state").asText(), "leaving twice answers the same");
    assertRefused(api.reserveWithAdmission("wr-leave", alice, "r1", admission), 403, "admission_revoked");
    assertEquals(0, api.counters("wr-leave").get("reservations").asInt(), "nothing reserved with the token of a place left");

    Response back = api.join("wr-leave", alice, alices);
    assertEquals(200, back.status(), back.text());
    String newTicket = back.json().get("ticket").asText();
    assertTrue(placeOf(newTicket) > placeOf(bobs), "a buyer who left and joins again is behind those who stayed");
    assertNotEquals("LEFT", back.json().get("state").asText());
    assertEquals(placeOf(newTicket), placeOf(api.join("wr-leave", alice, null).json().get("ticket").asText()),
        "and keeps that new place");
    Response created = api.reserveWithAdmission("wr-leave", bob, "r1", bobsAdmission);
    assertEquals(201, created.status(), created.text());
  }

  @Test
  void leavingNeedsATicketOfTheSaleAndChangesNothingWithout() {
    api.defineSale("wr-leave-bad", roomSale(10, 50, 100));
    api.defineSale("wr-leave-other", roomSale(10, 50, 100));
    String ticket = api.join("wr-leave-bad", alice, null).json().get("ticket").asText();
    assertRefused(api.leave("wr-leave-bad", null), 400, "queue_ticket_required");
    assertRefused(api.leave("wr-leave-bad", " "), 400, "queue_ticket_required");
    assertRefused(api.leave("wr-leave-bad", ticket.substring(0, ticket.length() - 2) + "AA"), 403, "queue_ticket_invalid");
    assertRefused(api.leave("wr-leave-other", ticket), 403, "queue_ticket_invalid");
    assertRefused(api.leave("wr-leave-none", ticket), 404, "sale_not_found");
    api.defineSale("wr-leave-plain", Api.sale(10, 2, "ON_ORDER", null));
    assertRefused(api.leave("wr-leave-plain", ticket), 404, "waiting_room_off");
    String admission = api.admittedWith("wr-leave-bad", ticket);
    assertEquals("ADMITTED", stateOf("wr-leave-bad", ticket), "still in the line after the refused leaves");
    Response created = api.reserveWithAdmission("wr-leave-bad", alice, "r1", admission);
    assertEquals(201, created.status(), created.text());

    api.defineSale("wr-leave-closed", roomSale(10, 50, 100));
    String closed = api.join("wr-leave-closed", bob, null).json().get("ticket").asText();
    api.lifecycle("wr-leave-closed", "close", "CLOSED");
    assertRefused(api.leave("wr-leave-closed", closed), 409, "closed");
  }

  @Test
  void anOperatorRevokesPlacesAndAdmissionsAndARevokedBuyerMayJoinAgainAtTheBack() {
    api.defineSale("wr-revoke", roomSale(10, 50, 1));
    String alices = api.join("wr-revoke", alice, null).json().get("ticket").asText();
    String admission = api.admittedWith("wr-revoke", alices);
    String bobs = api.join("wr-revoke", bob, null).json().get("ticket").asText();
    String carol = api.token("carol");
    String carols = api.join("wr-revoke", carol, null).json().get("ticket").asText();
    awaitLine("wr-revoke", 1, 2);

    String path = "/admin/sales/wr-revoke/queue/revoke";
    assertEquals(401, api.post(path, alice, "{\"buyers\":[\"alice\"]}").status());
    assertRefused(api.admin("POST", path, "{\"buyers\":[]}"), 400, "invalid_body");
    assertRefused(api.admin("POST", path, "{}"), 400, "invalid_body");
    assertRefused(api.admin("POST", path, "{\"buyers\":"), 400, "malformed_json");
    assertRefused(api.admin("POST", path, "{\"buyers\":[\"alice\"],\"why\":1}"), 400, "invalid_body");
    assertRefused(api.admin("POST", path, "{\"buyers\":[\"alice\", \"a b\"]}"), 400, "invalid_buyer");
    assertEquals(415, api.send("POST", path, Api.ADMIN_TOKEN, "buyers=alice", Map.of("Content-Type", "text/plain")).status());
    assertRefused(api.admin("POST", "/admin/sales/wr-revoke-none/queue/revoke", "{\"buyers\":[\"alice\"]}"), 404,
        "sale_not_found");
    assertEquals("ADMITTED", stateOf("wr-revoke", alices), "nothing revoked by a refused request");

    Response revoked = api.admin("POST", path, "{\"buyers\":[\"alice\",\"bob\",\"zed\",\"alice\"]}");
    assertEquals(200, revoked.status(), revoked.text());
    assertEquals(List.of("alice", "bob"), names(revoked.json().get("revoked")));
    assertEquals(List.of("zed"), names(revoked.json().get("notInLine")), "a buyer who never joined holds no place");
    assertEquals("REVOKED", stateOf("wr-revoke", alices));
    assertEquals("REVOKED", stateOf("wr-revoke", bobs), "a waiting place is revoked too");
    assertRefused(api.reserveWithAdmission("wr-revoke", alice, "r1", admission), 403, "admission_revoked");
    Response leave = api.leave("wr-revoke", alices);
    assertEquals(200, leave.status(), leave.text());
    assertEquals("REVOKED", leave.json().get("state").asText(), "leaving a revoked place changes nothing");
    Response twice = api.admin("POST", path, "{\"buyers\":[\"alice\"]}");
    assertEquals(200, twice.status(), twice.text());
    assertEquals(List.of("alice"), names(twice.json().get("revoked")), "revoking again answers the same");

    // alice's slot is free and bob's place skipped: carol is next, long before an admission runs out
    String carolsAdmission = api.admittedWith("wr-revoke", carols);
    // a revoked buyer who joins again gets a fresh place at the back, with or without the old ticket
    Response back = api.join("wr-revoke", alice, alices);
    assertEquals(200, back.status(), back.text());
    assertTrue(placeOf(back.json().get("ticket").asText()) > placeOf(carols), back.text());
    assertNotEquals("REVOKED", back.json().get("state").asText());
    Response bobBack = api.join("wr-revoke", bob, null);
    assertTrue(placeOf(bobBack.json().get("ticket").asText()) > placeOf(carols), bobBack.text());
    assertEquals(201, api.reserveWithAdmission("wr-revoke", carol, "r1", carolsAdmission).status());
    assertEquals(1, api.counters("wr-revoke").get("reservations").asInt());

    api.defineSale("wr-revoke-closed", roomSale(10, 5, 5));
    api.lifecycle("wr-revoke-closed", "close", "CLOSED");
    assertRefused(api.admin("POST", "/admin/sales/wr-revoke-closed/queue/revoke", "{\"buyers\":[\"bob\"]}"), 409, "closed");
  }

  private static List<String> names(JsonNode array) {
    List<String> names = new ArrayList<>();
    array.forEach(n -> names.add(n.asText()));
    return names;
  }

  @Test
  void aBadWaitingRoomInADefinitionIs400AndDefinesNothing() {
    List<Consumer<ObjectNode>> bad = List.of(
        room -> room.put("admitPerSecond", 0),
        room -> room.put("admitPerSecond", 100_001),
        room -> room.remove("maxActive"),
        room -> room.put("maxActive", -5),
        room -> room.put("admissionTtlSeconds", 5),
        room -> room.put("admissionTtlSeconds", 100_000),
        room -> room.put("preQueueFrom", Instant.now().plusSeconds(7200).toString()),
        room -> room.put("shuffleAtOpen", "yes"),
        room -> room.put("noSuchField", 1));
    for (int i = 0; i < bad.size(); i++) {
      ObjectNode sale = roomSale(10, 5, 5);
      bad.get(i).accept((ObjectNode) sale.get("waitingRoom"));
      Response r = api.admin("PUT", "/admin/sales/wr-bad-" + i, sale.toString());
      assertEquals(400, r.status(), i + ": " + r.text());
      assertTrue(r.error().equals("invalid_definition") || r.error().equals("invalid_body"), r.text());
      assertRefused(api.get("/api/sales/wr-bad-" + i, null), 404, "sale_not_found");
    }
  }
}
