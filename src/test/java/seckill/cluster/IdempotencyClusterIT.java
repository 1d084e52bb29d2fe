package seckill.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.Await;
import seckill.BuyerSwarm;
import seckill.TestCluster;
import seckill.TestDatabases;
import seckill.TestNode;
import seckill.admission.ReserveRoutes;
import seckill.challenge.Challenges;

/**
 * On a three-node cluster on PostgreSQL, a retry of a request sent to another node than the first
 * gets the same answer, on a plain sale, behind a waiting room and behind a challenge; a buyer's
 * requests sent to every node at once are each answered for their own requestId.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IdempotencyClusterIT {

  private static final int BITS = 8;
  private List<TestNode> nodes;

  @BeforeAll
  void start() {
    nodes = TestCluster.start(TestDatabases.postgres());
    for (TestNode node : nodes) TestCluster.awaitReady(node);
  }

  @AfterAll
  void stop() {
    TestCluster.closeAll(nodes);
  }

  private Api api(int i) {
    return nodes.get(i).api();
  }

  /** Defines the sale through the first node and waits until every node's view has it open. */
  private void define(String saleId, ObjectNode sale) {
    api(0).defineSale(saleId, sale);
    for (int i = 1; i < nodes.size(); i++) api(i).awaitState(saleId, "OPEN");
  }

  /** The request's first answer on node 0, then the same request on node 0 again and on nodes 1 and 2: the same reservation. */
  private void assertRetriedElsewhereGetsTheSame(String saleId, String token, String requestId, Map<String, String> headers) {
    Response first = api(0).reserve(saleId, token, requestId, 1, headers);
    assertEquals(201, first.status(), first.text());
    for (int i = 0; i < nodes.size(); i++) {
      Response again = api(i).reserve(saleId, token, requestId, 1, headers);
      assertEquals(201, again.status(), "node " + (i + 1) + ": " + again.text());
      assertEquals(first.json(), again.json(), "node " + (i + 1) + " answers the retry as node 1 did first");
    }
    Response mine = api(2).get("/api/sales/" + saleId + "/reservations", token);
    assertEquals(1, mine.json().get("total").asInt(), mine.text());
  }

  @Test
  void aRetryOnAnotherNodeGetsTheSameReservation() {
    define("idem-plain", Api.sale(100, 2, "ON_ORDER", null));
    assertRetriedElsewhereGetsTheSame("idem-plain", api(0).token("plain-buyer"), "p1", Map.of());
  }

  @Test
  void aRetryOnAnotherNodeWithTheUsedAdmissionTokenGetsTheSameReservation() {
    define("idem-room", Api.withRoom(Api.sale(100, 2, "ON_ORDER", null), 50, 50));
    String token = api(0).token("room-buyer");
    String admission = api(0).admissionToken("idem-room", token);
    assertRetriedElsewhereGetsTheSame("idem-room", token, "w1", Map.of(ReserveRoutes.ADMISSION_TOKEN, admission));
  }

  @Test
  void aRetryOnAnotherNodeWithTheUsedAccessTokenGetsTheSameReservation() {
    define("idem-challenge", Api.sale(100, 2, "ON_ORDER", null));
    Response on = api(0).admin("PATCH", "/admin/switches",
        "{\"by\":\"test\",\"saleChallengeDifficulty\":{\"idem-challenge\":" + BITS + "}}");
    assertEquals(200, on.status(), on.text());
    for (int i = 0; i < nodes.size(); i++) {
      Api api = api(i);
      Await.until(Duration.ofSeconds(15), "node " + (i + 1) + " never asked for the challenge",
          () -> api.get("/api/sales/idem-challenge/status", null).json().has("challenge"));
    }
    String token = api(0).token("challenge-buyer");
    Response granted = api(0).grantAccess("idem-challenge", token, "c1", BITS);
    assertEquals(200, granted.status(), granted.text());
    assertRetriedElsewhereGetsTheSame("idem-challenge", token, "c1",
        Map.of(Challenges.ACCESS_TOKEN, granted.json().get("accessToken").asText()));
  }

  @Test
  void aBuyersRequestsSentToEveryNodeAtOnceAreEachAnsweredForTheirOwnRequestId() throws Exception {
    define("idem-spread", Api.sale(1_000, 4, "ON_ORDER", null));
    String token = api(0).token("spread-buyer");
    List<Supplier<Response>> sends = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (int k = 0; k < 9; k++) {
      String id = "s" + (k % 6); // three of them twice, on two nodes
      Api api = api(k % nodes.size());
      String path = api.reservePath("idem-spread");
      ids.add(id);
      sends.add(() -> api.post(path, token, Api.reserveBody(id, 1)));
    }
    List<Response> sent = BuyerSwarm.together(sends, Duration.ofSeconds(60));
    Map<String, String> told = new HashMap<>();
    int refused = 0;
    for (int k = 0; k < sent.size(); k++) {
      Response r = sent.get(k);
      if (r.status() == 201) {
        assertEquals(ids.get(k), r.json().get("requestId").asText(), r.text());
        String first = told.putIfAbsent(ids.get(k), r.json().get("reservationId").asText());
        if (first != null) assertEquals(first, r.json().get("reservationId").asText(), "one request, one reservation");
      } else {
        assertEquals(409, r.status(), r.text());
        assertEquals("limit_reached", r.error(), r.text());
        refused++;
      }
    }
    assertEquals(4, told.size(), "a limit of 4 and six requestIds: four reserve, " + told);
    Response mine = api(1).get("/api/sales/idem-spread/reservations", token);
    assertEquals(4, mine.json().get("total").asInt(), "the buyer holds what it was told of: " + mine.text());
    assertEquals(true, refused >= 2, "the two requestIds over the limit were refused");
  }
}
