package seckill.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.Await;
import seckill.BuyerSwarm;
import seckill.BuyerSwarm.Retry;
import seckill.TestCluster;
import seckill.TestDatabases;
import seckill.TestNode;
import seckill.journal.SharedJournal;
import seckill.sale.Sale;

/**
 * Three nodes in one JVM on a real PostgreSQL: sales spread, any node serves any sale, failover loses
 * nothing. One cluster serves every test; a node a test took away is replaced after it, as a
 * Deployment would, so each test starts with three.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFailoverIT {

  private Config db;
  private List<TestNode> nodes;

  @BeforeAll
  void start() {
    db = TestDatabases.postgres();
    nodes = TestCluster.start(db);
  }

  @AfterAll
  void stop() {
    TestCluster.closeAll(nodes);
  }

  /** Every node that was stopped, downed or left is replaced by a new one, and all three are Up and ready. */
  @AfterEach
  void backToThree() {
    for (int i = 0; i < nodes.size(); i++) {
      TestNode node = nodes.get(i);
      boolean gone = node.system.whenTerminated().isCompleted()
          || Cluster.get(node.system).selfMember().status() != MemberStatus.up();
      if (!gone) continue;
      node.close();
      nodes.set(i, TestCluster.startMember(db, nodes));
    }
    TestCluster.awaitUp(nodes);
    nodes.forEach(TestCluster::awaitReady);
  }

  /**
   * Buyers reserving through every node of a changing cluster, one new buyer per request. A refused
   * or reset connection, or Pekko HTTP's own 503 while a server shuts down, means the request was
   * not admitted: it is tried on the next node with the same requestId. Anything else but 201/410
   * is a failure of an admitted request.
   */
  private BuyerSwarm buyersOnEveryNode(String path) {
    return BuyerSwarm.keepReserving("b", (n, attempt) -> nodes.get((n + attempt) % nodes.size()).api(), path, 8,
        Retry.UNLESS_ADMITTED);
  }

  /** Which of the nodes runs the entity of this sale right now, or -1. */
  private static int hostOf(List<TestNode> nodes, String saleId) {
    for (int i = 0; i < nodes.size(); i++) {
      TestNode node = nodes.get(i);
      if (node.system.whenTerminated().isCompleted()) continue;
      Set<String> running;
      try {
        running = node.runningSales();
      } catch (Exception noAnswer) {
        continue; // a node shutting down (or just killed) hosts nothing; callers poll again
      }
      if (running.contains(saleId)) return i;
    }
    return -1;
  }

  @Test
  @Order(1)
  void salesSpreadOverTheNodesAndAnyNodeServesAnySale() throws Exception {
    // shards go only to nodes known to share the journal: before the members' journal ids have
    // spread, every new sale lands on the first node, which is right, but not what this test asks
    nodes.forEach(TestCluster::awaitReady);
    var shared = SharedJournal.get(nodes.get(0).system);
    Await.until(Duration.ofSeconds(30), "the members' journal ids never reached the first node", () -> nodes.stream()
        .allMatch(n -> shared.sharesJournalWith(Cluster.get(n.system).selfMember().address())));
    Api first = nodes.get(0).api();
    List<String> sales = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String id = "spread-" + i;
      first.defineSale(id, Api.sale(10, 2, "ON_ORDER", null));
      sales.add(id);
    }
    Set<Integer> hosts = new HashSet<>();
    for (String id : sales) {
      for (int n = 0; n < 3; n++) {
        Api api = nodes.get(n).api();
        api.awaitState(id, "OPEN"); // every node's view has it
        Response r = api.reserve(id, api.token("buyer-" + n), "r1", 1);
        assertEquals(201, r.status(), "node " + n + " reserves in " + id + ": " + r.text());
        assertEquals(200, api.admin("GET", "/admin/sales/" + id, null).status());
      }
      assertEquals(3, first.admin("GET", "/admin/sales/" + id, null).json().get("sold").asInt());
      hosts.add(hostOf(nodes, id));
    }
    assertTrue(hosts.size() >= 2, "8 sales all on one node: " + hosts);
  }

  @Test
  @Order(2)
  void killingTheNodeThatHostsASaleLosesNoAcknowledgedReservation() throws Exception {
    String saleId = "failover";
    int stock = 100_000; // never sells out during the test: reservations must keep coming after the move
    Api admin = nodes.get(0).api();
    admin.defineSale(saleId, Api.sale(stock, 1, "HOLD", 600L));
    nodes.forEach(n -> n.api().awaitState(saleId, "OPEN"));
    admin.admin("GET", "/admin/sales/" + saleId, null); // make sure the entity is running somewhere
    int victim = hostOf(nodes, saleId);
    assertTrue(victim >= 0, "the sale runs on one of the nodes");
    List<Integer> survivors = new ArrayList<>(List.of(0, 1, 2));
    survivors.remove(Integer.valueOf(victim));
    String path = admin.reservePath(saleId);

    // buyers keep reserving through the two surviving nodes; a 503 is retried with the same requestId
    BuyerSwarm buyers = BuyerSwarm.keepReserving("b", (n, attempt) -> nodes.get(survivors.get(n % 2)).api(), path, 8,
        Retry.AT_ONCE);
    Map<String, String> acknowledged = buyers.acknowledged;
    Await.until(Duration.ofSeconds(30), "no reservation before the kill", () -> acknowledged.size() >= 20);
    int before = acknowledged.size();
    // hard stop, as close to a crash as one JVM gets: the victim is downed by a survivor, and its actor
    // system goes away once it has seen that (its shard region then stops as "self downed", with no
    // hand-off; a terminate racing the Down would start a graceful hand-off that the Down cuts, and
    // the coordinator would wait out its hand-off timeout, 60 s, before giving those shards a home)
    TestNode dead = nodes.get(victim);
    Cluster.get(nodes.get(survivors.get(0)).system).manager()
        .tell(new Down(Cluster.get(dead.system).selfMember().address()));
    long killedAt = System.nanoTime();
    Await.until(Duration.ofSeconds(10), "the victim never saw itself downed", () -> dead.system.whenTerminated().isCompleted()
        || Cluster.get(dead.system).selfMember().status() != MemberStatus.up());
    dead.system.terminate();
    int moved = Await.value(Duration.ofSeconds(60), Duration.ofMillis(200), "the sale never came back", () -> {
      int host = hostOf(nodes, saleId);
      return host < 0 || host == victim ? null : host;
    });
    int atMove = acknowledged.size();
    System.out.printf("FAILOVER the sale moved from node %d to node %d in %.1f s%n", victim, moved,
        (System.nanoTime() - killedAt) / 1e9);
    Await.until(Duration.ofSeconds(30), "no reservation on the new host", () -> acknowledged.size() >= atMove + 20);
    buyers.close();
    int after = acknowledged.size();
    assertEquals(0, buyers.unexpected.size(), "only 201, 410 and retried 503 answers, and one reservation per buyer");
    assertTrue(before > 0, "reservations were acknowledged before the kill");
    assertTrue(after > atMove, "reservations were acknowledged on the new host (" + before + " before the kill, "
        + atMove + " when it moved, " + after + " at the end)");

    Api survivor = nodes.get(survivors.get(0)).api();
    Response counters = Await.value(Duration.ofSeconds(15), "the survivor never answered for " + saleId, () -> {
      Response r = survivor.admin("GET", "/admin/sales/" + saleId, null);
      return r.status() == 200 ? r : null;
    });
    JsonNode c = counters.json();
    int newHost = Await.value(Duration.ofSeconds(15), "no node runs the sale", () -> {
      int host = hostOf(nodes, saleId);
      return host < 0 ? null : host;
    });
    assertTrue(newHost >= 0 && newHost != victim, "the sale now runs on a survivor: " + newHost);
    assertEquals(stock, c.get("sold").asInt() + c.get("held").asInt() + c.get("available").asInt());
    assertTrue(c.get("topBuyerUnits").asInt() <= 1);
    assertEquals(acknowledged.size(), c.get("held").asInt(), "every acknowledged reservation holds a unit, nothing else does");

    JdbcReadJournal journal = PersistenceQuery.get(nodes.get(survivors.get(0)).system)
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    Map<String, String> journalIds = new HashMap<>();
    journal.currentEventsByPersistenceId("Sale|" + saleId, 0, Long.MAX_VALUE)
        .runWith(Sink.seq(), nodes.get(survivors.get(0)).system).toCompletableFuture().get(30, TimeUnit.SECONDS)
        .forEach(e -> {
          if (e.event() instanceof Sale.ReservationsPlaced p) {
            p.reservations().forEach(r -> assertEquals(null, journalIds.put(r.id(), r.buyer()), "twice: " + r.id()));
          }
        });
    acknowledged.forEach((buyer, rid) -> assertEquals(buyer, journalIds.get(rid), "201 for " + rid + " is in the journal"));
    assertEquals(acknowledged.size(), journalIds.size(), "no reservation that nobody was told about");
  }

  @Test
  @Order(3)
  void aNodeLeavingGracefullyUnderLoadFailsNoAdmittedRequest() throws Exception {
    String saleId = "leave";
    Api admin = nodes.get(0).api();
    admin.defineSale(saleId, Api.sale(100_000, 1, "ON_ORDER", null));
    nodes.forEach(n -> n.api().awaitState(saleId, "OPEN"));
    admin.admin("GET", "/admin/sales/" + saleId, null);
    int leaving = hostOf(nodes, saleId);
    assertTrue(leaving >= 0);
    String path = admin.reservePath(saleId);

    BuyerSwarm buyers = buyersOnEveryNode(path);
    Map<String, String> acknowledged = buyers.acknowledged;
    Await.until(Duration.ofSeconds(30), "no reservation before the leave", () -> acknowledged.size() >= 20);
    int before = acknowledged.size();
    long leftAt = System.nanoTime();
    nodes.get(leaving).system.terminate(); // coordinated shutdown: unbind, finish requests, hand off, leave
    nodes.get(leaving).system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    System.out.printf("LEAVE node %d left in %.1f s%n", leaving, (System.nanoTime() - leftAt) / 1e9);
    int atLeave = acknowledged.size();
    Await.until(Duration.ofSeconds(30), "no reservation after the leave", () -> acknowledged.size() >= atLeave + 20);
    buyers.close();

    assertEquals(List.of(), buyers.unexpected, "no admitted request failed");
    assertTrue(before > 0 && acknowledged.size() > atLeave, "served before (" + before + ") and after the leave ("
        + atLeave + " -> " + acknowledged.size() + ")");
    int survivor = leaving == 0 ? 1 : 0;
    JsonNode c = nodes.get(survivor).api().admin("GET", "/admin/sales/" + saleId, null).json();
    assertEquals(acknowledged.size(), c.get("sold").asInt(), "every 201 is a unit sold, and nothing else is");
    assertEquals(100_000, c.get("sold").asInt() + c.get("available").asInt());
    System.out.printf("LEAVE %d acknowledged, %d tries not admitted and retried elsewhere%n", acknowledged.size(),
        buyers.notAdmitted());
  }

  @Test
  @Order(4)
  void aRollingRestartOfEveryNodeUnderLoadLosesNothingAndFailsNoAdmittedRequest() throws Exception {
    String saleId = "rolling";
    Api admin = nodes.get(0).api();
    admin.defineSale(saleId, Api.sale(100_000, 1, "HOLD", 600L));
    nodes.forEach(n -> n.api().awaitState(saleId, "OPEN"));
    String path = admin.reservePath(saleId);
    List<Integer> servedAfterEachStep = new ArrayList<>();
    try (BuyerSwarm buyers = buyersOnEveryNode(path)) {
      Await.until(Duration.ofSeconds(30), "no reservation before the restarts", () -> buyers.acknowledged.size() >= 20);
      for (int i = 0; i < 3; i++) {
        // like a Deployment with maxSurge 1: the old pod leaves (SIGTERM), its replacement joins
        nodes.get(i).close();
        TestNode replacement = TestCluster.startMember(db, nodes);
        TestCluster.awaitReady(replacement); // a Service sends it traffic only once /ready says so
        nodes.set(i, replacement);
        TestCluster.awaitUp(nodes);
        int before = buyers.acknowledged.size();
        Await.until(Duration.ofSeconds(30), "no reservation after restarting node " + (i + 1),
            () -> buyers.acknowledged.size() >= before + 10);
        servedAfterEachStep.add(buyers.acknowledged.size() - before);
      }
      buyers.close();
      assertEquals(List.of(), buyers.unexpected, "no admitted request failed");
      servedAfterEachStep.forEach(n -> assertTrue(n > 0, "reserves kept being served: " + servedAfterEachStep));
      JsonNode c = nodes.get(0).api().admin("GET", "/admin/sales/" + saleId, null).json();
      assertEquals(buyers.acknowledged.size(), c.get("held").asInt(), "every 201 holds a unit, nothing else does");
      assertEquals(100_000, c.get("held").asInt() + c.get("available").asInt() + c.get("sold").asInt());
      System.out.printf("ROLLING %d acknowledged, %d tries not admitted and retried, served per step %s%n",
          buyers.acknowledged.size(), buyers.notAdmitted(), servedAfterEachStep);
    }
  }
}
