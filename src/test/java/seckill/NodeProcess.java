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
 * laid over application.conf, or, for a node configured as operators do, environment variables
 * alone ({@link #fromEnvironment}); the log goes to {@code target/node-logs/<name>.log}, appended
 * across restarts.
 */
public final class NodeProcess implements AutoCloseable {

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  public final String name;
  public final int httpPort;
  public final int managementPort;
  public final int remotePort;
  private final Map<String, String> settings;
  private final Map<String, String> environment;
  /** what runs java: nothing, or e.g. {@code ip netns exec <namespace>} */
  private final List<String> launcher;
  /** the address its ports are bound to and reached at */
  private final String host;
  private final Path log;
  private Process process;

  private NodeProcess(String name, int remotePort, Map<String, String> settings) {
    this(name, remotePort, settings, List.of(), "127.0.0.1");
  }

  private NodeProcess(String name, int remotePort, Map<String, String> settings, List<String> launcher, String host) {
    this.name = name;
    this.launcher = List.copyOf(launcher);
    this.host = host;
    this.httpPort = TestPorts.reserve();
    this.managementPort = TestPorts.reserve();
    this.remotePort = remotePort;
    this.environment = Map.of();
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

  private NodeProcess(String name, Map<String, String> environment) {
    this.name = name;
    this.httpPort = Integer.parseInt(environment.get("SECKILL_HTTP_PORT"));
    this.managementPort = Integer.parseInt(environment.get("SECKILL_MANAGEMENT_PORT"));
    this.remotePort = Integer.parseInt(environment.get("SECKILL_REMOTE_PORT"));
    this.settings = Map.of();
    this.environment = Map.copyOf(environment);
    this.launcher = List.of();
    this.host = "127.0.0.1";
    this.log = Path.of("target", "node-logs", name + ".log").toAbsolutePath();
  }

  /**
   * A node (not started yet) configured by these environment variables only, as an operator runs one:
   * no system property but the log's configuration. They must name its ports: SECKILL_HTTP_PORT,
   * SECKILL_MANAGEMENT_PORT and SECKILL_REMOTE_PORT.
   */
  public static NodeProcess fromEnvironment(String name, Map<String, String> environment) {
    return new NodeProcess(name, environment);
  }

  /** A node (not started yet) on the given remoting port, with these settings over application.conf. */
  public static NodeProcess create(String name, int remotePort, Map<String, String> settings) {
    return new NodeProcess(name, remotePort, settings);
  }

  /**
   * A node (not started yet) run by {@code launcher} (e.g. {@code ip netns exec <namespace>}: in a
   * network namespace of its own), its API, management and remoting bound to {@code host}.
   */
  public static NodeProcess launchedBy(List<String> launcher, String host, String name, int remotePort,
      Map<String, String> settings) {
    Map<String, String> all = new LinkedHashMap<>(settings);
    all.put("seckill.http.interface", host);
    all.put("pekko.management.http.hostname", host);
    all.put("pekko.remote.artery.canonical.hostname", host);
    return new NodeProcess(name, remotePort, all, launcher, host);
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
    List<String> cmd = new ArrayList<>(launcher);
    cmd.addAll(List.of(java(), "-Xmx384m", "-XX:TieredStopAtLevel=1", "-Xss512k",
        "-Dlogback.configurationFile=" + Path.of("target", "classes", "logback.xml").toAbsolutePath()));
    settings.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "seckill.Main"));
    Files.writeString(log, "\n==== start " + java.time.Instant.now() + "\n", java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    if (!environment.isEmpty()) {
      // configured by its environment alone: the test JVM's own SECKILL_* variables must not reach it
      builder.environment().keySet().removeIf(k -> k.startsWith("SECKILL_"));
      builder.environment().putAll(environment);
    }
    process = builder.start();
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

  /** What the process wrote since it was last launched (the log file keeps earlier runs too). */
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
    return "http://" + host + ":" + httpPort;
  }

  public String managementUrl() {
    return "http://" + host + ":" + managementPort;
  }

  public String address() {
    return "pekko://seckill@" + host + ":" + remotePort;
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
