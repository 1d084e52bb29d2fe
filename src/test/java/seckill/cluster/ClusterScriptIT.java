package seckill.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The local cluster script as an operator uses it, after the jar is packaged (failsafe, mvn verify):
 * start everything, kill one node, start it again under a supervisor, have the cluster down it and
 * see the supervisor bring it back, stop it for good, stop everything. Every command exits 0 and
 * prints plain text; the supervisor logs each real exit code.
 */
class ClusterScriptIT {

  private static final Path NODE1_LOG = Path.of("cluster-config", "run", "node1.log");

  private static String run(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", "cluster-config/cluster.sh"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("SECKILL_SKIP_BUILD", "1");
    // no Kafka: the script's nodes, PostgreSQL and the single-node commands are what this checks
    pb.environment().put("SECKILL_KAFKA_BOOTSTRAP", "off");
    pb.environment().remove("SECKILL_SUPERVISE");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "cluster.sh " + String.join(" ", args) + " finished");
    assertEquals(0, p.exitValue(), "cluster.sh " + String.join(" ", args) + ":\n" + out);
    assertFalse(out.contains("\u001b"), "plain text, no terminal escapes:\n" + out);
    return out;
  }

  /** Node 1's line of {@code status} once it contains {@code expected}; fails after three minutes. */
  private static String awaitNode1(String expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (true) {
      String line = run("status").lines().filter(l -> l.startsWith("node1:")).findFirst().orElseThrow();
      if (line.contains(expected)) return line;
      assertTrue(System.nanoTime() < deadline, "node1 never showed '" + expected + "': " + line);
      Thread.sleep(1000); // the poll interval of this wait on status
    }
  }

  private static String logSince(long offset) throws Exception {
    byte[] all = Files.readAllBytes(NODE1_LOG);
    return new String(all, (int) offset, all.length - (int) offset);
  }

  @Test
  void anOperatorKillsANodeThenRunsItSupervisedThroughADownAndAStop() throws Exception {
    Files.writeString(Path.of("target", "local.classpath"), System.getProperty("java.class.path"));
    long before = Files.exists(NODE1_LOG) ? Files.size(NODE1_LOG) : 0; // the log keeps earlier runs
    try {
      String started = run("start");
      assertTrue(started.contains("node1: pid") && started.contains("ready 200"), started);
      assertFalse(started.contains("supervised"), started);
      String killed = run("kill", "1");
      assertTrue(killed.contains("node1 killed"), killed);
      assertTrue(run("status").contains("node1: down"));

      // back under a supervisor; node 1 is the configs' first seed, so it must join the others, not itself
      assertTrue(run("start", "1", "--supervised").contains("node1 ready"));
      awaitNode1("ready 200, supervised, restarts 0");
      assertTrue(run("down", "1").contains("node1 downed"));
      awaitNode1("ready 200, supervised, restarts 1");
      String log = logSince(before);
      assertTrue(log.contains("exited with 255, downed or removed by the cluster"), "the downed node's exit code, in " + NODE1_LOG);
      assertTrue(log.contains("==== supervisor: restart 1 in 0 s"), log);

      String stopped = run("stop", "1");
      assertTrue(stopped.contains("node1 stopped, and its supervisor"), stopped);
      // the supervisor has ended with the node, so nothing starts it again
      assertTrue(run("status").contains("node1: down"));
      log = logSince(before);
      assertTrue(log.contains("exited with 143, stopped (SIGTERM): left the cluster"), "the stopped node's exit code");
      assertTrue(log.contains("stopped by cluster.sh, not restarted"), log);
      String status = run("status");
      assertEquals(2, status.split("ready 200", -1).length - 1, status);
    } finally {
      run("stop");
    }
  }
}
