package seckill.waitingroom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.BeforeAll;
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
  private String alice;
  private String bob;

  @BeforeAll
  void tokens() {
    alice = api.token("alice");
    bob = api.token("bob");
  }

  static ObjectNode roomSale(int stock, int admitPerSecond, int maxActive) {
    ObjectNode sale = Api.sale(stock, 2, "ON_ORDER", null);
    ObjectNode room = sale.putObject("waitingRoom");
    room.put("admitPerSecond", admitPerSecond);
    room.put("maxActive", maxActive);
    room.put("admissionTtlSeconds", 60);
    return sale;
  }

  private Response join(String saleId, String token, String ticket) {
    return api.send("POST", "/api/sales/" + saleId + "/queue", token, null,
        ticket == null ? Map.of() : Map.of(WaitingRoomRoutes.TICKET, ticket));
  }

  private Response poll(String saleId, String ticket) {
    return api.send("GET", "/api/sales/" + saleId + "/queue", null, null,
        ticket == null ? Map.of() : Map.of(WaitingRoomRoutes.TICKET, ticket));
  }

  private String admissionToken(String saleId, String ticket) {
    return Await.value(Duration.ofSeconds(20), Duration.ofMillis(100), "never admitted", () -> {
      Response r = poll(saleId, ticket);
      assertEquals(200, r.status(), r.text());
      return "ADMITTED".equals(r.json().get("state").asText()) ? r.json().get("admissionToken").asText() : null;
    });
  }

  private Response reserve(String saleId, String token, String requestId, String admission) {
    return api.send("POST", api.reservePath(saleId), token, "{\"requestId\":\"" + requestId + "\",\"quantity\":1}",
        admission == null ? Map.of() : Map.of("X-Admission-Token", admission));
  }

  private void assertRefused(Response r, int status, String code) {
    assertEquals(status, r.status(), r.text());
    assertEquals(code, r.error(), r.text());
  }

  private JsonNode counters(String saleId) {
    return api.admin("GET", "/admin/sales/" + saleId, null).json();
  }

  @Test
  void joiningAgainKeepsThePlaceAndBadTicketsAreRefused() {
    api.defineSale("wr-join", roomSale(10, 1, 1));
    assertTrue(api.get("/api/sales/wr-join/status", null).json().get("waitingRoom").asBoolean());
    Response first = join("wr-join", alice, null);
    assertEquals(200, first.status(), first.text());
    String ticket = first.json().get("ticket").asText();
    assertNotNull(first.json().get("state"));
    Response again = join("wr-join", alice, null);
    assertEquals(200, again.status(), again.text());
    assertEquals(placeOf(ticket), placeOf(again.json().get("ticket").asText()), "the same place without the ticket");
    assertEquals(ticket, join("wr-join", alice, ticket).json().get("ticket").asText(), "with it, the same ticket");
    Response other = join("wr-join", bob, null);
    assertNotEquals(placeOf(ticket), placeOf(other.json().get("ticket").asText()));

    assertRefused(poll("wr-join", null), 400, "queue_ticket_required");
    assertRefused(poll("wr-join", ticket.substring(0, ticket.length() - 2) + "AA"), 403, "queue_ticket_invalid");
    assertRefused(poll("wr-nope", ticket), 404, "sale_not_found");
    api.defineSale("wr-plain", Api.sale(10, 2, "ON_ORDER", null));
    assertRefused(join("wr-plain", alice, null), 404, "waiting_room_off");
    assertRefused(poll("wr-plain", ticket), 404, "waiting_room_off");
  }

  private long placeOf(String ticket) {
    try {
      String payload = ticket.substring(0, ticket.indexOf('.'));
      return seckill.http.Json.MAPPER.readTree(java.util.Base64.getUrlDecoder().decode(payload)).get("place").asLong();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aReserveNeedsAValidUnusedAdmissionOfItsBuyerAndNothingChangesWithout() {
    api.defineSale("wr-gate", roomSale(10, 50, 100));
    api.defineSale("wr-gate-other", roomSale(10, 50, 100));
    String ticket = join("wr-gate", alice, null).json().get("ticket").asText();
    String admission = admissionToken("wr-gate", ticket);
    String bobs = admissionToken("wr-gate", join("wr-gate", bob, null).json().get("ticket").asText());

    assertRefused(reserve("wr-gate", alice, "r1", null), 403, "admission_required");
    assertRefused(reserve("wr-gate", alice, "r1", admission.substring(0, admission.length() - 2) + "AA"), 403,
        "admission_invalid");
    assertRefused(reserve("wr-gate", alice, "r1", bobs), 403, "admission_invalid");
    assertRefused(reserve("wr-gate-other", alice, "r1", admission), 403, "admission_invalid");
    Signer signer = new Signer(node.config.getString("seckill.waiting-room.secret"), "test");
    String expired = signer.sign(WaitingRoom.ADMISSION,
        new WaitingRoom.AdmissionClaims("wr-gate", "alice", 0, System.currentTimeMillis() - 1000));
    assertRefused(reserve("wr-gate", alice, "r1", expired), 403, "admission_expired");
    assertEquals(0, counters("wr-gate").get("reservations").asInt(), "nothing reserved while refused");

    Response created = reserve("wr-gate", alice, "r1", admission);
    assertEquals(201, created.status(), created.text());
    assertRefused(reserve("wr-gate", alice, "r2", admission), 403, "admission_used");
    assertEquals(1, counters("wr-gate").get("reservations").asInt());
  }

  @Test
  void buyersAreAdmittedInJoinOrderAtThePace() {
    api.defineSale("wr-order", roomSale(100, 4, 1000));
    List<String> tickets = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      Response r = join("wr-order", api.token("order-" + i), null);
      assertEquals(200, r.status(), r.text());
      tickets.add(r.json().get("ticket").asText());
    }
    for (int i = 1; i < tickets.size(); i++) assertTrue(placeOf(tickets.get(i)) > placeOf(tickets.get(i - 1)));
    // whenever a buyer is admitted, every earlier one is too
    Await.value(Duration.ofSeconds(20), Duration.ofMillis(50), "never all admitted", () -> {
      boolean laterAdmitted = false;
      int admitted = 0;
      for (int i = tickets.size() - 1; i >= 0; i--) {
        String state = poll("wr-order", tickets.get(i)).json().get("state").asText();
        if (state.equals("ADMITTED")) admitted++;
        else assertTrue(!laterAdmitted, "buyer " + i + " waits while a later one is admitted");
        laterAdmitted |= state.equals("ADMITTED");
      }
      return admitted == tickets.size() ? admitted : null;
    });
  }
}
