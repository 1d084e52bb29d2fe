package seckill.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static seckill.Api.assertRefused;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import seckill.Api;
import seckill.Await;
import seckill.NodeProcess;
import seckill.TestDatabases;

/**
 * The waiting room on three node processes and one PostgreSQL: buyers joining on different nodes
 * over time get places in join order within the lease lifetime, places are unique, and killing the
 * node the sale's line runs on (SIGKILL) loses no place (every ticket still polls and is let in, in
 * order) and reuses none, also after the node is back; that a pre-queue buyer whose desk's node
 * died keeps their place (their draw) when joining again without a ticket; and that an admission
 * token is single use across the cluster, also after the sale's node was killed.
 */
class WaitingRoomCrashIT {

  private static final Duration LEASE_LIFETIME = Duration.ofSeconds(1);

  // One cluster for every test, each on its own sale: a test kills a node, and the node is back
  // before the next test starts (three node processes starting take longer than one).
  private static List<NodeProcess> nodes;

  @BeforeAll
  static void startCluster() throws Exception {
    nodes = ClusterCrashIT.cluster("room-crash", TestDatabases.postgres(), Map.of());
    ClusterCrashIT.startAll(nodes);
  }

  /** The node a test killed comes back, so the next test starts with three. */
  @AfterEach
  void relaunchKilled() throws Exception {
    for (NodeProcess n : nodes) {
      if (!n.isAlive()) {
        n.launch();
        n.awaitReady();
      }
    }
  }

  @AfterAll
  static void stopCluster() throws InterruptedException {
    if (nodes == null) return;
    for (NodeProcess n : nodes) n.close();
  }

  record Joined(String buyer, long sentNanos, long answeredNanos, long place, String ticket) {}

  /** {@code count} buyers join one after another, {@code gap} apart, round robin over {@code apis}; a 503 is tried again. */
  private static List<Joined> join(List<Api> apis, String saleId, String prefix, int count, Duration gap)
      throws InterruptedException {
    List<Joined> joined = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String buyer = prefix + i;
      long sent = System.nanoTime();
      String ticket = ticketOf(apis.get(i % apis.size()), saleId, buyer);
      joined.add(new Joined(buyer, sent, System.nanoTime(), Api.placeOf(ticket), ticket));
      Thread.sleep(gap.toMillis()); // the pacing under test: joins spaced this far apart
    }
    return joined;
  }

  /** The ticket {@code buyer} gets joining through {@code api} without one; a 503 or a node going down is tried again. */
  private static String ticketOf(Api api, String saleId, String buyer) {
    String token = Api.mint(buyer);
    Api.Response r = Await.value(Duration.ofSeconds(90), Duration.ofMillis(200), buyer + " never got a place", () -> {
      try {
        Api.Response answer = api.join(saleId, token, null);
        if (answer.status() == 200) return answer;
        assertEquals(503, answer.status(), answer.text());
      } catch (IllegalStateException refused) {
        // a node going down: the next try
      }
      return null;
    });
    return r.json().get("ticket").asText();
  }

  /** The longest time by which a later join got an earlier place: 0 when every place follows join order. */
  private static double roughestInversionSeconds(List<Joined> joined) {
    double worst = 0;
    for (Joined a : joined) {
      for (Joined b : joined) {
        if (b.sentNanos() > a.answeredNanos() && b.place() < a.place()) {
          worst = Math.max(worst, (b.sentNanos() - a.answeredNanos()) / 1e9);
        }
      }
    }
    return worst;
  }

  /**
   * Every ticket's state, polled from the highest place down. The admitted mark only moves up while
   * the polls run, so once a place is seen let in, every earlier place polled after it must be too;
   * polled the other way round, the mark passing between two polls would look like a place let in
   * out of order.
   */
  private static Map<String, String> states(Api api, String saleId, List<Joined> joined) {
    Map<String, String> states = new HashMap<>();
    List<Joined> highestFirst = new ArrayList<>(joined);
    highestFirst.sort(Comparator.comparingLong(Joined::place).reversed());
    for (Joined j : highestFirst) {
      Api.Response r = api.poll(saleId, j.ticket());
      assertEquals(200, r.status(), r.text());
      states.put(j.buyer(), r.json().get("state").asText());
    }
    return states;
  }

  /** Whenever a place is let in, every earlier place among {@code joined} is too. */
  private static void assertAdmittedInOrder(List<Joined> joined, Map<String, String> states) {
    List<Joined> byPlace = new ArrayList<>(joined);
    byPlace.sort(Comparator.comparingLong(Joined::place));
    boolean waitingSeen = false;
    for (Joined j : byPlace) {
      boolean admitted = states.get(j.buyer()).equals("ADMITTED");
      assertTrue(!admitted || !waitingSeen, "place " + j.place() + " was let in before an earlier place");
      waitingSeen |= !admitted;
    }
  }

  @Test
  void placesFollowJoinOrderAcrossNodesAndAKilledLineLosesNoneAndReusesNone() throws Exception {
    Api first = nodes.get(0).api();
    ObjectNode sale = Api.sale(100_000, 1, "ON_ORDER", null);
    sale.putObject("waitingRoom").put("admitPerSecond", 10).put("maxActive", 100_000).put("admissionTtlSeconds", 600);
    first.defineSale("fifo", sale);
    List<Api> all = new ArrayList<>();
    for (NodeProcess n : nodes) {
      n.api().awaitState("fifo", "OPEN");
      all.add(n.api());
    }

    List<Joined> before = join(all, "fifo", "early-", 90, Duration.ofMillis(40));
    double rough = roughestInversionSeconds(before);
    System.out.printf("waiting room FIFO across 3 nodes: the latest join that got an earlier place came %.2f s after%n",
        rough);
    assertTrue(rough <= LEASE_LIFETIME.toMillis() / 1000.0 + 0.5,
        "a join " + rough + " s after another got an earlier place (lease lifetime " + LEASE_LIFETIME + ")");

    JsonNode figures = Await.value(Duration.ofSeconds(30), Duration.ofMillis(200), "no line heard", () -> {
      JsonNode f = first.admin("GET", "/admin/sales/fifo/queue", null).json();
      return f.hasNonNull("lineNode") ? f : null;
    });
    int victim = -1;
    for (int i = 0; i < nodes.size(); i++) if (nodes.get(i).address().equals(figures.get("lineNode").asText())) victim = i;
    assertTrue(victim >= 0, "the line runs on " + figures.get("lineNode"));
    long highest = before.stream().mapToLong(Joined::place).max().orElseThrow();
    nodes.get(victim).kill();
    // blocks the survivors' desks leased before the kill run out within the lease lifetime; every
    // block after that comes from the lease mark on disk, above every place leased before
    Thread.sleep(LEASE_LIFETIME.toMillis() + 500); // no signal when the survivors' old blocks run out: their lifetime
    List<Api> survivors = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) if (i != victim) survivors.add(nodes.get(i).api());

    List<Joined> after = join(survivors, "fifo", "after-kill-", 20, Duration.ofMillis(40));
    for (Joined j : after) assertTrue(j.place() > highest, "place " + j.place() + " given again after the kill");

    // every ticket from before the kill still counts, and the line lets them in in order
    Await.value(Duration.ofSeconds(120), Duration.ofSeconds(1), "the early buyers were never all let in", () -> {
      Map<String, String> states = states(survivors.get(0), "fifo", before);
      assertAdmittedInOrder(before, states);
      return states.values().stream().allMatch("ADMITTED"::equals) ? states : null;
    });

    nodes.get(victim).launch();
    nodes.get(victim).awaitReady();
    List<Joined> back = join(List.of(nodes.get(victim).api()), "fifo", "back-", 10, Duration.ofMillis(40));
    Set<Long> places = new HashSet<>();
    for (List<Joined> part : List.of(before, after, back)) {
      for (Joined j : part) assertTrue(places.add(j.place()), "place " + j.place() + " given twice");
    }
    long highestAfter = after.stream().mapToLong(Joined::place).max().orElseThrow();
    for (Joined j : back) assertTrue(j.place() > highestAfter, "a place at the restarted node went backwards");
  }

  /**
   * A shuffled pre-queue, its buyers joined over three nodes, then one node killed: every buyer who
   * joins again without a ticket through the survivors gets the place they had, so nobody draws
   * twice. The coordinator spreads the desks' shards over the three nodes (each on the node with
   * the fewest), so the 60 buyers' desks (about 27 of the 32) miss the killed node only with a
   * chance of about (2/3)^27; its desks come back on a survivor from their journal.
   */
  @Test
  void aPreQueueBuyerJoiningAgainWithoutATicketAfterTheirDesksNodeDiedKeepsTheirDraw() throws Exception {
    Api first = nodes.get(0).api();
    ObjectNode sale = Api.sale(1_000, 1, "ON_ORDER", null);
    sale.put("startsAt", Instant.now().plus(Duration.ofMinutes(30)).toString());
    sale.putObject("waitingRoom").put("admitPerSecond", 10).put("maxActive", 1_000)
        .put("preQueueFrom", Instant.now().minusSeconds(1).toString()).put("shuffleAtOpen", true);
    first.defineSale("draw", sale);
    List<Api> all = new ArrayList<>();
    for (NodeProcess n : nodes) {
      n.api().awaitState("draw", "UPCOMING");
      all.add(n.api());
    }
    List<Joined> before = join(all, "draw", "pre-", 60, Duration.ZERO);

    int victim = 2;
    nodes.get(victim).kill();
    List<Api> survivors = List.of(nodes.get(0).api(), nodes.get(1).api());
    Set<Long> places = new HashSet<>();
    for (int i = 0; i < before.size(); i++) {
      Joined j = before.get(i);
      long again = Api.placeOf(ticketOf(survivors.get(i % 2), "draw", j.buyer()));
      assertEquals(j.place(), again, j.buyer() + " drew again after the node of a desk died");
      assertTrue(places.add(again), "place " + again + " given twice");
    }
  }

  /** A reserve through {@code api}, tried again while the node answers 503 (the sale moving after a kill). */
  private static Api.Response reserveAnswered(Api api, String buyer, String requestId, String admission) {
    return Await.value(Duration.ofSeconds(60), Duration.ofMillis(250), "the sale never answered " + requestId, () -> {
      Api.Response r = api.reserveWithAdmission("once", buyer, requestId, admission);
      return r.status() == 503 ? null : r;
    });
  }

  @Test
  void anAdmissionTokenTakenOnOneNodeIsRefusedForAnotherRequestOnEveryOtherAlsoAfterTheSalesNodeDied() throws Exception {
    ObjectNode sale = Api.withRoom(Api.sale(10, 2, "ON_ORDER", null), 50, 5);
    ((ObjectNode) sale.get("waitingRoom")).put("admissionTtlSeconds", 600);
    nodes.get(0).api().defineSale("once", sale);
    for (NodeProcess n : nodes) n.api().awaitState("once", "OPEN");
    int host = ClusterCrashIT.hostOf(nodes, nodes.get(0).api(), "once");
    Api a = nodes.get((host + 1) % 3).api();
    Api b = nodes.get((host + 2) % 3).api();
    String carol = a.token("carol");
    String ticket = a.join("once", carol, null).json().get("ticket").asText();
    String admission = a.admittedWith("once", ticket);
    Api.Response first = a.reserveWithAdmission("once", carol, "r1", admission);
    assertEquals(201, first.status(), first.text());
    String reservation = first.json().get("reservationId").asText();

    // the limit is 2: only the token's single use stops a second reservation on it
    assertRefused(b.reserveWithAdmission("once", carol, "r2", admission), 403, "admission_used");
    Api.Response retry = b.reserveWithAdmission("once", carol, "r1", admission);
    assertEquals(201, retry.status(), retry.text());
    assertEquals(reservation, retry.json().get("reservationId").asText(), "the first request's retry: its reservation");

    // the sale's node dies: the sale recovers elsewhere from the journal, and still knows the token was used
    nodes.get(host).kill();
    assertRefused(reserveAnswered(b, carol, "r3", admission), 403, "admission_used");
    Api.Response again = reserveAnswered(b, carol, "r1", admission);
    assertEquals(201, again.status(), again.text());
    assertEquals(reservation, again.json().get("reservationId").asText());
    assertEquals(1, b.counters("once").get("reservations").asInt(), "one admission, one reservation");
  }
}
