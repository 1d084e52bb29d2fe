package seckill;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A seckill node in a JVM of its own ({@code java -cp <test classpath> seckill.Main}), so a test can
 * kill it with a real SIGKILL ({@link #kill()}): whatever the process held in memory or in buffers
 * dies with it, unlike an actor system stopped inside the test JVM. Settings are system properties
 * laid over application.conf; the log goes to {@code target/node-logs/<name>.log}, appended across
 * restarts.
 */
public final class NodeProcess implements AutoCloseable {

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  public final String name;
  public final int httpPort;
  public final int managementPort;
  public final int remotePort;
  private final Map<String, String> settings;
  private final Path log;
  private Process process;

  private NodeProcess(String name, int remotePort, Map<String, String> settings) {
    this.name = name;
    this.httpPort = TestPorts.reserve();
    this.managementPort = TestPorts.reserve();
    this.remotePort = remotePort;
    Map<String, String> all = new LinkedHashMap<>();
    all.put("seckill.http.port", String.valueOf(httpPort));
    all.put("pekko.management.http.port", String.valueOf(managementPort));
    all.put("pekko.remote.artery.canonical.port", String.valueOf(remotePort));
    all.put("seckill.demo.enabled", "off");
    // tests play many buyers at machine speed from one address: the per-buyer throttle is off (see TestNode)
    all.put("seckill.admission.hot-keys.buyer-rate-per-second", "1000000");
    all.put("seckill.admission.hot-keys.buyer-burst", "1000000");
    all.putAll(settings);
    this.settings = all;
    this.log = Path.of("target", "node-logs", name + ".log").toAbsolutePath();
  }

  /** A node (not started yet) on the given remoting port, with these settings over application.conf. */
  public static NodeProcess create(String name, int remotePort, Map<String, String> settings) {
    return new NodeProcess(name, remotePort, settings);
  }

  /** Starts the process and waits until its /ready answers 200. */
  public NodeProcess start() throws Exception {
    launch();
    awaitReady();
    return this;
  }

  /** Starts the process without waiting. */
  public synchronized void launch() throws IOException {
    if (process != null && process.isAlive()) throw new IllegalStateException(name + " is running");
    Files.createDirectories(log.getParent());
    List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx384m", "-XX:TieredStopAtLevel=1", "-Xss512k",
        "-Dlogback.configurationFile=" + Path.of("target", "classes", "logback.xml").toAbsolutePath()));
    settings.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "seckill.Main"));
    Files.writeString(log, "\n==== start " + java.time.Instant.now() + "\n", java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    process = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
  }

  /** Waits until Pekko Management's /ready answers 200; fails if the process exits first. */
  public void awaitReady() throws Exception {
    Api mgmt = new Api(managementUrl());
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + " before it was ready; log: " + log);
      }
      try {
        if (mgmt.get("/ready", null).status() == 200) return;
      } catch (IllegalStateException notBoundYet) {
        // management not up yet
      }
      if (System.nanoTime() > deadline) throw new IllegalStateException(name + " never became ready; log: " + log);
      Thread.sleep(200); // the poll interval of this wait for /ready
    }
  }

  /** The ERROR lines the process logged since it was last launched (a clean start logs none). */
  public List<String> errorsSinceStart() throws IOException {
    return logSinceStart().stream().filter(l -> l.contains(" ERROR ")).toList();
  }

  /** The lines the process logged since it was last launched (the log file keeps earlier runs too). */
  public List<String> logSinceStart() throws IOException {
    List<String> lines = Files.readAllLines(log);
    int start = 0;
    for (int i = 0; i < lines.size(); i++) if (lines.get(i).startsWith("==== start")) start = i;
    return lines.subList(start, lines.size());
  }

  /** SIGKILL: the JVM gets no chance to flush, hand off or leave. */
  public synchronized void kill() throws InterruptedException {
    if (process == null) return;
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException(name + " survived SIGKILL");
  }

  /** SIGTERM: coordinated shutdown, as Kubernetes stops a pod. */
  public synchronized void stop() throws InterruptedException {
    if (process == null || !process.isAlive()) return;
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) kill();
  }

  /** The operating system's id of the running process. */
  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** The exit code once the process has ended. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) throw new IllegalStateException(name + " still runs");
    return process.exitValue();
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + httpPort;
  }

  public String managementUrl() {
    return "http://127.0.0.1:" + managementPort;
  }

  public String address() {
    return "pekko://seckill@127.0.0.1:" + remotePort;
  }

  public Api api() {
    return new Api(baseUrl());
  }

  public Path log() {
    return log;
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }
}
