package seckill;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/** Three nodes in one JVM forming one cluster on the given journal (seeds: the first two). */
public final class TestCluster {

  private TestCluster() {}

  /** Starts three members and waits until each sees three members Up. */
  public static List<TestNode> start(Config db) {
    int[] ports = {TestNode.freePort(), TestNode.freePort(), TestNode.freePort()};
    List<TestNode> nodes = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int port : ports) nodes.add(startMember(db, port, ports));
    awaitUp(nodes);
    return nodes;
  }

  /** One member on remoting port {@code port} of the cluster whose members use {@code ports}. */
  public static TestNode startMember(Config db, int port, int[] ports) {
    String seeds = "[\"pekko://seckill@127.0.0.1:" + ports[0] + "\", \"pekko://seckill@127.0.0.1:" + ports[1] + "\"]";
    return TestNode.start(db, ConfigFactory.parseString("""
        pekko.remote.artery.canonical.port = %d
        pekko.cluster.seed-nodes = %s
        pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
        seckill.cluster.join-self = off
        seckill.admission.wait-budget = 10s
        """.formatted(port, seeds)));
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
