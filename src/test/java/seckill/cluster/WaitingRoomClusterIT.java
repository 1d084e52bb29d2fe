package seckill.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static seckill.Api.assertRefused;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.Await;
import seckill.TestCluster;
import seckill.TestDatabases;
import seckill.TestNode;

/**
 * The waiting room on a three-node cluster on PostgreSQL: an operator's revocation through one node
 * reaches every node within one publish interval of the line: the ticket polls REVOKED there and the
 * reserve there refuses its admission token; the freed slot goes to the next buyer at once.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WaitingRoomClusterIT {

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

  private String stateOn(int node, String saleId, String ticket) {
    Response r = api(node).poll(saleId, ticket);
    assertEquals(200, r.status(), r.text());
    return r.json().get("state").asText();
  }

  @Test
  void aRevocationThroughOneNodeIsHeldByEveryNodeWithinOnePublishInterval() {
    ObjectNode sale = Api.withRoom(Api.sale(10, 1, "ON_ORDER", null), 50, 1);
    ((ObjectNode) sale.get("waitingRoom")).put("admissionTtlSeconds", 60);
    api(0).defineSale("wrc-revoke", sale);
    for (int i = 1; i < nodes.size(); i++) api(i).awaitState("wrc-revoke", "OPEN");
    String alice = api(1).token("alice");
    String alices = api(1).join("wrc-revoke", alice, null).json().get("ticket").asText();
    String admission = api(1).admittedWith("wrc-revoke", alices);
    String bob = api(2).token("bob");
    String bobs = api(2).join("wrc-revoke", bob, null).json().get("ticket").asText();
    for (int i = 0; i < nodes.size(); i++) {
      int node = i;
      Await.until(Duration.ofSeconds(10), "node " + (i + 1) + " never heard alice was let in",
          () -> stateOn(node, "wrc-revoke", alices).equals("ADMITTED"));
    }

    Response revoked = api(0).admin("POST", "/admin/sales/wrc-revoke/queue/revoke", "{\"buyers\":[\"alice\"]}");
    assertEquals(200, revoked.status(), revoked.text());
    assertEquals("alice", revoked.json().get("revoked").get(0).asText(), revoked.text());
    // the line tells every node as soon as the revocation is on disk, before the operator's answer
    // leaves, and again at each periodic publish: the time it took is printed, not asserted (a busy
    // machine may be late; tests assert what happens, not how fast)
    Duration interval = nodes.get(0).config.getDuration("seckill.waiting-room.publish-interval");
    long answeredAt = System.nanoTime();
    for (int i = 1; i < nodes.size(); i++) {
      int node = i;
      Await.until(Duration.ofSeconds(15), "node " + (i + 1) + " never heard of the revocation",
          () -> stateOn(node, "wrc-revoke", alices).equals("REVOKED"));
      System.out.printf("revocation heard on node %d %d ms after the operator's answer (publish interval %d ms)%n",
          i + 1, (System.nanoTime() - answeredAt) / 1_000_000, interval.toMillis());
      assertRefused(api(i).reserveWithAdmission("wrc-revoke", alice, "r" + i, admission), 403, "admission_revoked");
    }
    // her slot was freed at once: bob, the next, is let in long before her admission would have run out
    String bobsAdmission = api(2).admittedWith("wrc-revoke", bobs);
    Response created = api(1).reserveWithAdmission("wrc-revoke", bob, "r1", bobsAdmission);
    assertEquals(201, created.status(), created.text());
    assertEquals(1, api(0).counters("wrc-revoke").get("reservations").asInt(), "alice's token bought nothing anywhere");
  }
}
