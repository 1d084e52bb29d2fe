package seckill;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for what must be told its port before it starts (a child process, a broker, a database, a
 * cluster's seed). They come from below the kernel's ephemeral range, so no outgoing connection
 * can take one between its choice and its bind, and each is held by a file lock for the life of
 * this JVM, so two test JVMs on the machine never pick the same one. In-JVM servers bind port 0
 * and read back what they got instead.
 */
public final class TestPorts {

  private static final Path LOCKS = Path.of(System.getProperty("java.io.tmpdir"), "seckill-test-ports");
  // above 25520-25529 (remoting of the default config and of cluster-config/cluster.sh) and below the ephemeral range
  private static final int LOWEST = 26_000;
  private static final List<FileLock> HELD = new CopyOnWriteArrayList<>();

  private TestPorts() {}

  /** A port of this JVM's own until it exits, free on 127.0.0.1 when handed out. */
  public static int reserve() {
    int[] range = range();
    int span = range[1] - range[0] + 1;
    int start = ThreadLocalRandom.current().nextInt(span);
    for (int i = 0; i < span; i++) {
      int port = range[0] + (start + i) % span;
      if (lock(port) && bindable(port)) return port;
    }
    throw new IllegalStateException("no free port left in " + range[0] + "-" + range[1]);
  }

  /** From {@value #LOWEST} to just below the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range). */
  static int[] range() {
    int ephemeralFrom = 32_768;
    try {
      // readAllLines, not readString: the JDK reads a /proc file of size 0 short
      String[] bounds = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim().split("\\s+");
      ephemeralFrom = Integer.parseInt(bounds[0]);
    } catch (IOException | RuntimeException notLinux) {
      // the IANA default of the ephemeral range
    }
    if (ephemeralFrom - 1 < LOWEST + 100) throw new IllegalStateException("the ephemeral range starts at " + ephemeralFrom);
    return new int[] {LOWEST, ephemeralFrom - 1};
  }

  private static synchronized boolean lock(int port) {
    try {
      Files.createDirectories(LOCKS);
      FileChannel channel = FileChannel.open(LOCKS.resolve(port + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException heldHere) {
        lock = null;
      }
      if (lock == null) {
        channel.close();
        return false;
      }
      HELD.add(lock); // held, channel open, until the JVM exits
      return true;
    } catch (IOException e) {
      throw new IllegalStateException("cannot lock a port under " + LOCKS, e);
    }
  }

  /** Nothing else listens there now (something started outside the tests, say). */
  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true); // a port our own killed child left in TIME_WAIT is still ours to reuse
      s.bind(new InetSocketAddress(port)); // every address: a listener on any of them takes the port
      return true;
    } catch (IOException taken) {
      return false;
    }
  }
}
