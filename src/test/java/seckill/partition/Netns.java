package seckill.partition;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A small network of Linux network namespaces for partition tests (needs root): one namespace per
 * node, each with a veth into a bridge that lives in a namespace of its own, and a veth from the
 * test's (root) namespace into that bridge, so the test JVM and the processes it runs there
 * (PostgreSQL, the clients) reach every node. Addresses come from 198.18.0.0/15, the range reserved
 * for network tests, and exist only on these veths: no namespace has a route out.
 *
 * <p>Cuts are nftables rules in a node's namespace (table {@code inet seckill_partition}), rewritten
 * whole on each change: traffic between two node addresses is only remoting, so dropping it by
 * address cuts the link; the database and the clients, at the {@link #hostAddress()}, keep theirs.
 * Every name starts with {@code skp<pid>}: {@link #create} removes what a killed run left behind,
 * {@link #close} (and a shutdown hook) what this one made.
 */
public final class Netns implements AutoCloseable {

  private static final String PREFIX = "skp";
  private static final String TABLE = "seckill_partition";

  private final String run = PREFIX + ProcessHandle.current().pid();
  private final int subnet; // third octet of 198.18.<subnet>.0/24
  private final int size;
  private final List<String> made = new ArrayList<>();
  private final Map<Integer, Rules> rules = new HashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final List<Thread> flappers = new ArrayList<>();

  /** What a node's namespace drops: traffic from (in) and to (out) these addresses, or everything. */
  private static final class Rules {
    final Set<String> dropIn = new LinkedHashSet<>();
    final Set<String> dropOut = new LinkedHashSet<>();
    boolean isolated;
  }

  private Netns(int size) {
    this.size = size;
    this.subnet = (int) (ProcessHandle.current().pid() % 250) + 1;
  }

  /** Builds the bridge and {@code size} node namespaces, after installing the tools if missing. */
  public static Netns create(int size) {
    requireTools();
    removeLeftovers();
    Netns net = new Netns(size);
    Runtime.getRuntime().addShutdownHook(new Thread(net::close, "netns-cleanup"));
    try {
      net.build();
    } catch (RuntimeException e) {
      net.close();
      throw e;
    }
    return net;
  }

  private void build() {
    String bridge = run + "-br";
    addNamespace(bridge);
    ip("-n", bridge, "link", "add", "br0", "type", "bridge");
    ip("-n", bridge, "link", "set", "br0", "up");
    String hostSide = run + "h";
    ip("link", "add", hostSide, "type", "veth", "peer", "name", "host", "netns", bridge);
    ip("addr", "add", hostAddress() + "/24", "dev", hostSide);
    ip("link", "set", hostSide, "up");
    ip("-n", bridge, "link", "set", "host", "master", "br0", "up");
    for (int i = 0; i < size; i++) {
      String ns = namespace(i);
      addNamespace(ns);
      ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "n" + i, "netns", bridge);
      ip("-n", ns, "addr", "add", address(i) + "/24", "dev", "eth0");
      ip("-n", ns, "link", "set", "eth0", "up");
      ip("-n", bridge, "link", "set", "n" + i, "master", "br0", "up");
      rules.put(i, new Rules());
    }
  }

  private void addNamespace(String ns) {
    ip("netns", "add", ns);
    made.add(ns);
    ip("-n", ns, "link", "set", "lo", "up");
  }

  /** The namespace node {@code i} (from 0) runs in: {@code ip netns exec <it> ...}. */
  public String namespace(int i) {
    return run + "-n" + i;
  }

  /** Node {@code i}'s address, inside its namespace. */
  public String address(int i) {
    return "198.18." + subnet + "." + (11 + i);
  }

  /** The test's side: what the nodes reach PostgreSQL and the clients at. */
  public String hostAddress() {
    return "198.18." + subnet + ".1";
  }

  /** The command that runs {@code command} inside node {@code i}'s namespace. */
  public List<String> inNamespace(int i) {
    return List.of("ip", "netns", "exec", namespace(i));
  }

  // ------------------------------------------------------------------ cuts

  /** Node {@code i} loses its peers both ways, keeping the database and the clients. */
  public synchronized void cutFromPeers(int i) {
    split(Set.of(i));
  }

  /**
   * The nodes in {@code side} lose every node not in it, both ways, in one change; each side keeps
   * its own links, the database and the clients.
   */
  public synchronized void split(Set<Integer> side) {
    for (int a : side) {
      for (int b = 0; b < size; b++) {
        if (side.contains(b)) continue;
        block(a, b, true, true);
        block(b, a, true, true);
      }
    }
    applyAll();
  }

  /** Nodes {@code a} and {@code b} lose each other, both ways. */
  public synchronized void cut(int a, int b) {
    block(a, b, true, true);
    block(b, a, true, true);
    applyAll();
  }

  /** What {@code from} sends to {@code to} is lost; the other way still works. */
  public synchronized void cutOneWay(int from, int to) {
    block(from, to, false, true);
    block(to, from, true, false);
    applyAll();
  }

  /** Node {@code i} loses everything but its loopback: peers, database and clients. */
  public synchronized void isolate(int i) {
    rules.get(i).isolated = true;
    applyAll();
  }

  /** Every rule between {@code a} and {@code b} removed, both ways. */
  public synchronized void heal(int a, int b) {
    unblock(a, b);
    unblock(b, a);
    applyAll();
  }

  /** Every rule removed: the network as built. */
  public synchronized void healAll() {
    rules.values().forEach(r -> {
      r.dropIn.clear();
      r.dropOut.clear();
      r.isolated = false;
    });
    applyAll();
  }

  /**
   * The link between {@code a} and {@code b} cut and healed in turn, each state lasting a random time
   * from {@code shortest} to {@code longest}, for {@code total}. The first cut is in place when this
   * returns; the rest runs on a thread of its own (returned), which ends with the link healed.
   * {@link #close} stops it.
   */
  public synchronized Thread flap(int a, int b, Duration shortest, Duration longest, Duration total) {
    long end = System.nanoTime() + total.toNanos();
    cut(a, b);
    Thread t = new Thread(() -> {
      boolean down = true;
      try {
        while (!closed.get()) {
          long left = end - System.nanoTime();
          if (left <= 0) break;
          long phase = ThreadLocalRandom.current().nextLong(shortest.toMillis(), longest.toMillis() + 1);
          Thread.sleep(Math.min(phase, left / 1_000_000 + 1)); // the flapping's own rhythm: time is what this does
          if (System.nanoTime() >= end) break;
          if (down) heal(a, b);
          else cut(a, b);
          down = !down;
        }
      } catch (InterruptedException stopped) {
        Thread.currentThread().interrupt();
      } finally {
        if (!closed.get()) heal(a, b);
      }
    }, "flap-" + a + "-" + b);
    flappers.add(t);
    t.start();
    return t;
  }

  private void block(int at, int peer, boolean in, boolean out) {
    if (in) rules.get(at).dropIn.add(address(peer));
    if (out) rules.get(at).dropOut.add(address(peer));
  }

  private void unblock(int at, int peer) {
    rules.get(at).dropIn.remove(address(peer));
    rules.get(at).dropOut.remove(address(peer));
  }

  private void applyAll() {
    rules.forEach(this::apply);
  }

  /** Replaces the namespace's table in one nft transaction. */
  private void apply(int i, Rules r) {
    StringBuilder script = new StringBuilder()
        .append("add table inet ").append(TABLE).append('\n')
        .append("delete table inet ").append(TABLE).append('\n')
        .append("table inet ").append(TABLE).append(" {\n")
        .append("  chain in {\n    type filter hook input priority 0; policy accept;\n");
    if (r.isolated) script.append("    iifname != \"lo\" drop\n");
    if (!r.dropIn.isEmpty()) script.append("    ip saddr { ").append(String.join(", ", r.dropIn)).append(" } drop\n");
    script.append("  }\n  chain out {\n    type filter hook output priority 0; policy accept;\n");
    if (r.isolated) script.append("    oifname != \"lo\" drop\n");
    if (!r.dropOut.isEmpty()) script.append("    ip daddr { ").append(String.join(", ", r.dropOut)).append(" } drop\n");
    script.append("  }\n}\n");
    run(List.of("ip", "netns", "exec", namespace(i), "nft", "-f", "-"), script.toString());
  }

  /** The rules in force in node {@code i}'s namespace, as nft lists them (for a failure's message). */
  public String ruleset(int i) {
    return run(List.of("ip", "netns", "exec", namespace(i), "nft", "list", "ruleset"), null);
  }

  /**
   * Whether node {@code i}'s namespace reaches {@code address}: a TCP connection to port 9 (the
   * closed discard port) is refused at once when packets pass both ways, and times out when a rule
   * drops them.
   */
  public boolean reaches(int i, String address) {
    try {
      Process p = new ProcessBuilder("ip", "netns", "exec", namespace(i), "timeout", "1", "bash", "-c",
          "exec 3<>/dev/tcp/" + address + "/9").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      int exit = p.waitFor();
      if (exit == 124) return false;
      if (exit == 0 || out.contains("Connection refused")) return true;
      throw new IllegalStateException("cannot tell whether " + namespace(i) + " reaches " + address + ": " + out);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------ setup and cleanup

  private static void requireTools() {
    if (!"root".equals(System.getProperty("user.name"))) {
      throw new IllegalStateException("the partition tests need root: they make network namespaces, veth pairs and"
          + " nftables rules (run the build as root, or skip the *PartitionIT tests)");
    }
    boolean ip = Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"));
    boolean nft = Files.isExecutable(Path.of("/usr/sbin/nft"));
    if (ip && nft) return;
    if (!Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
      throw new IllegalStateException("the partition tests need `ip` (iproute2) and `nft` (nftables): install them");
    }
    run(List.of("apt-get", "update", "-qq"), null);
    run(List.of("apt-get", "install", "-y", "-qq", "iproute2", "nftables"), null);
  }

  /** Namespaces of runs whose JVM is gone (killed before its cleanup ran), with their veths. */
  private static void removeLeftovers() {
    for (String line : run(List.of("ip", "netns", "list"), null).split("\n")) {
      String name = line.split(" ")[0];
      if (!name.startsWith(PREFIX) || !name.contains("-")) continue;
      try {
        long pid = Long.parseLong(name.substring(PREFIX.length(), name.indexOf('-')));
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
      } catch (NumberFormatException notOurs) {
        continue;
      }
      tryRun(List.of("ip", "netns", "del", name));
    }
  }

  /** Stops any flapping and deletes every namespace made (their veths and rules go with them). */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    flappers.forEach(Thread::interrupt);
    for (Thread t : flappers) {
      try {
        t.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (int i = made.size() - 1; i >= 0; i--) tryRun(List.of("ip", "netns", "del", made.get(i)));
    tryRun(List.of("ip", "link", "del", run + "h")); // gone with the bridge's namespace, unless that failed
  }

  private static void ip(String... args) {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(List.of(args));
    run(command, null);
  }

  private static void tryRun(List<String> command) {
    try {
      run(command, null);
    } catch (IllegalStateException alreadyGone) {
      // cleanup: what is not there need not be removed
    }
  }

  /** Runs a command (with {@code input} on its stdin), returns its output; fails with it unless exit 0. */
  private static String run(List<String> command, String input) {
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
      Process p = pb.start();
      try (var stdin = p.getOutputStream()) {
        if (input != null) stdin.write(input.getBytes());
      }
      String out = new String(p.getInputStream().readAllBytes());
      if (p.waitFor() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out + (input == null ? "" : input));
      }
      return out;
    } catch (IOException e) {
      throw new IllegalStateException(String.join(" ", command) + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
