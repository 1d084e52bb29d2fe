package seckill.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The local cluster script as an operator uses it, after the jar is packaged (failsafe, mvn verify):
 * start everything, kill one node, start it again, restart another, stop everything. Every command
 * exits 0 and prints plain text.
 */
class ClusterScriptIT {

  private static String run(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("bash", "cluster-config/cluster.sh"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("SECKILL_SKIP_BUILD", "1");
    // no Kafka: the script's nodes, PostgreSQL and the single-node commands are what this checks
    pb.environment().put("SECKILL_KAFKA_BOOTSTRAP", "off");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "cluster.sh " + String.join(" ", args) + " finished");
    assertEquals(0, p.exitValue(), "cluster.sh " + String.join(" ", args) + ":\n" + out);
    assertFalse(out.contains("\u001b"), "plain text, no terminal escapes:\n" + out);
    return out;
  }

  @Test
  void anOperatorStartsKillsAndRestartsSingleNodes() throws Exception {
    Files.writeString(Path.of("target", "local.classpath"), System.getProperty("java.class.path"));
    try {
      String started = run("start");
      assertTrue(started.contains("node1: pid") && started.contains("ready 200"), started);
      String killed = run("kill", "2");
      assertTrue(killed.contains("node2 killed"), killed);
      assertTrue(run("status").contains("node2: down"));
      assertTrue(run("start", "2").contains("node2 ready"));
      String restarted = run("restart", "3");
      assertTrue(restarted.contains("node3 stopped") && restarted.contains("node3 ready"), restarted);
      String status = run("status");
      for (int n = 1; n <= 3; n++) assertTrue(status.contains("node" + n + ": pid") , status);
      assertEquals(3, status.split("ready 200", -1).length - 1, status);
    } finally {
      run("stop");
    }
  }
}
