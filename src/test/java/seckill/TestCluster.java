package seckill;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Three nodes in one JVM forming one cluster on the given journal. Each binds remoting on port 0; the
 * first forms the cluster, the others join through the addresses of the nodes already running.
 */
public final class TestCluster {

  private TestCluster() {}

  /** Starts three members and waits until each sees three members Up. */
  public static List<TestNode> start(Config db) {
    List<TestNode> nodes = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int i = 0; i < 3; i++) nodes.add(startMember(db, nodes));
    awaitUp(nodes);
    return nodes;
  }

  /**
   * One member joining the cluster of {@code running} (those not stopped are its seed nodes), or
   * forming a cluster of its own when none runs.
   */
  public static TestNode startMember(Config db, List<TestNode> running) {
    List<String> seeds = running.stream().filter(n -> !n.system.whenTerminated().isCompleted())
        .map(n -> "\"" + n.address() + "\"").toList();
    return TestNode.start(db, ConfigFactory.parseString("""
        pekko.cluster.seed-nodes = [%s]
        pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
        seckill.cluster.join-self = %s
        seckill.admission.wait-budget = 10s
        """.formatted(String.join(", ", seeds), seeds.isEmpty() ? "on" : "off")));
  }

  /** Waits until every node sees three members Up. */
  public static void awaitUp(List<TestNode> nodes) {
    for (TestNode node : nodes) Await.until(Duration.ofSeconds(30), "cluster did not form", () -> upMembers(node) >= 3);
  }

  /** Waits until the node's {@code /ready} answers 200, as a Kubernetes Service would before sending it traffic. */
  public static void awaitReady(TestNode node) {
    Api mgmt = new Api(node.managementUrl());
    Await.until(Duration.ofSeconds(60), "node never became ready", () -> mgmt.get("/ready", null).status() == 200);
  }

  /** Stops every node not stopped yet. */
  public static void closeAll(List<TestNode> nodes) {
    for (TestNode node : nodes) {
      if (!node.system.whenTerminated().isCompleted()) node.close();
    }
  }

  private static long upMembers(TestNode node) {
    long up = 0;
    for (var m : Cluster.get(node.system).state().getMembers()) if (m.status() == MemberStatus.up()) up++;
    return up;
  }
}
