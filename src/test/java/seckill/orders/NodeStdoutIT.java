package seckill.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import seckill.Await;
import seckill.NodeProcess;
import seckill.TestDatabases;
import seckill.TestKafka;
import seckill.TestPorts;

/**
 * A node's stdout is its log and nothing else: a node process with Kafka runs its orders projection,
 * is stopped as Kubernetes stops a pod (SIGTERM), and its stdout holds no bare line printed by a
 * dependency (pekko-projection-jdbc prints "# stop ..." when a projection stops).
 */
class NodeStdoutIT {

  @Test
  void stoppingANodeWithItsProjectionPrintsOnlyLogLines() throws Exception {
    try (TestKafka kafka = TestKafka.start()) {
      Map<String, String> settings = new HashMap<>();
      TestDatabases.h2().entrySet().forEach(e -> settings.put(e.getKey(), e.getValue().unwrapped().toString()));
      settings.put("seckill.kafka.bootstrap-servers", kafka.bootstrap);
      NodeProcess node = NodeProcess.create("node-stdout", TestPorts.reserve(), settings);
      try {
        node.start();
        Await.until(Duration.ofSeconds(60), "the projection never started", () -> {
          try {
            return node.logSinceStart().stream().anyMatch(l -> l.contains("publishing orders to"));
          } catch (java.io.IOException e) {
            return false;
          }
        });
        node.stop(); // SIGTERM: coordinated shutdown stops the projection (the JVM then exits with 143)
        assertTrue(node.logSinceStart().stream().anyMatch(l -> l.contains("Running CoordinatedShutdown")),
            "the node shut down through coordinated shutdown");
      } finally {
        node.close();
      }
      List<String> printed = node.logSinceStart().stream().filter(l -> l.startsWith("# ")).toList();
      assertEquals(List.of(), printed, "nothing but log lines on stdout");
      assertTrue(node.logSinceStart().stream().anyMatch(l -> l.contains("publishing orders to")), "the projection ran");
    }
  }
}
