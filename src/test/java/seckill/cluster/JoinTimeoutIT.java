package seckill.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import seckill.NodeProcess;
import seckill.TestPorts;

/**
 * A node process that reaches no seed node within {@code shutdown-after-unsuccessful-join-seed-nodes}
 * exits with 75, its own code (docs/operations.md#exit-codes): not 255, which means downed, and not
 * 1, which means a start refused for good. A supervisor restarts it later; Kubernetes restarts it.
 */
class JoinTimeoutIT {

  @Test
  void aNodeThatFindsNoSeedExitsWith75() throws Exception {
    Path data = Files.createTempDirectory("seckill-join-timeout-");
    // a port this JVM holds and nobody listens on: the seed never answers
    String nobody = "pekko://seckill@127.0.0.1:" + TestPorts.reserve();
    NodeProcess node = NodeProcess.create("join-timeout", TestPorts.reserve(), Map.of(
        "seckill.cluster.join-self", "off",
        "pekko.cluster.seed-nodes.0", nobody,
        "pekko.cluster.shutdown-after-unsuccessful-join-seed-nodes", "2s",
        "seckill.db.url", "jdbc:h2:file:" + data.resolve("seckill") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0"));
    try {
      node.launch();
      assertEquals(75, node.awaitExit(Duration.ofSeconds(90)), "the join timeout's exit code; log: " + node.log());
      String log = String.join("\n", node.logSinceStart());
      assertTrue(log.contains("shutdown-after-unsuccessful-join-seed-nodes"), "the log says why: " + log);
    } finally {
      node.close();
    }
  }
}
