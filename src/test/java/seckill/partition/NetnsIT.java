package seckill.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The partition harness on its own (needs root): each cut drops what it says and nothing else, a
 * heal restores the network as built, closing removes every namespace, and a new harness removes
 * those a killed run left. Reachability is tested with TCP connections between the namespaces (see
 * {@link Netns#reaches}).
 */
class NetnsIT {

  /** Which of: node 0 → 1, 1 → 0, 0 → 2, 1 → 2, and node 0 → the test's side, pass. */
  private static List<Boolean> paths(Netns net) {
    return List.of(net.reaches(0, net.address(1)), net.reaches(1, net.address(0)), net.reaches(0, net.address(2)),
        net.reaches(1, net.address(2)), net.reaches(0, net.hostAddress()));
  }

  @Test
  void eachCutDropsWhatItSaysAndHealingRestoresTheNetwork() throws Exception {
    // what a killed run left behind: a namespace of a test JVM that no longer runs
    long gone = 999_999;
    while (ProcessHandle.of(gone).isPresent()) gone--;
    String leftover = "skp" + gone + "-n0";
    assertEquals(0, new ProcessBuilder("ip", "netns", "add", leftover).start().waitFor());
    String namespace;
    try (Netns net = Netns.create(3)) {
      assertFalse(namespaces().contains(leftover), "a dead run's namespace is removed at the start");
      namespace = net.namespace(0);
      assertEquals(List.of(true, true, true, true, true), paths(net), "the network as built");

      net.cutFromPeers(0);
      assertEquals(List.of(false, false, false, true, true), paths(net), "node 0 cut from its peers, not from the host");
      net.healAll();
      assertEquals(List.of(true, true, true, true, true), paths(net), "healed");

      net.split(Set.of(0, 1));
      assertEquals(List.of(true, true, false, false, true), paths(net), "0 and 1 on one side, 2 on the other");
      net.healAll();

      net.cut(0, 1);
      assertEquals(List.of(false, false, true, true, true), paths(net), "only 0 and 1 cut from each other");
      net.heal(0, 1);
      assertEquals(List.of(true, true, true, true, true), paths(net), "0 and 1 healed");

      // a TCP connection needs both ways, so one-way loss stops both directions' connections; the
      // rules show it is one way: dropped leaving 0 and arriving at 1, nothing the other way
      net.cutOneWay(0, 1);
      assertEquals(List.of(false, false, true, true, true), paths(net), "0 → 1 lost");
      assertEquals(List.of(true, false), List.of(net.ruleset(0).contains("ip daddr " + net.address(1)),
          net.ruleset(0).contains("ip saddr")), "node 0 drops what it sends to 1, and takes in everything");
      assertEquals(List.of(true, false), List.of(net.ruleset(1).contains("ip saddr " + net.address(0)),
          net.ruleset(1).contains("ip daddr")), "node 1 drops what comes from 0, and sends everything");
      net.healAll();

      net.isolate(2);
      assertEquals(List.of(false, false, false), List.of(net.reaches(0, net.address(2)), net.reaches(2, net.address(1)),
          net.reaches(2, net.hostAddress())), "node 2 isolated from everything");
      assertEquals(List.of(true, true, false, false, true), paths(net));
      net.healAll();

      Thread flapping = net.flap(0, 1, Duration.ofMillis(200), Duration.ofMillis(400), Duration.ofSeconds(2));
      flapping.join(10_000);
      assertFalse(flapping.isAlive(), "the flapping ended");
      assertEquals(List.of(true, true, true, true, true), paths(net), "a flapping link ends healed");
    }
    assertFalse(namespaces().contains(namespace), "closing removed the namespaces: " + namespaces());
  }

  private static String namespaces() throws Exception {
    return new String(new ProcessBuilder("ip", "netns", "list").start().getInputStream().readAllBytes());
  }
}
