package seckill;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node Kafka broker in KRaft mode for tests, from the kafka_2.13 jars on the test
 * classpath: storage formatted with --standalone, then kafka.Kafka in its own JVM on 127.0.0.1.
 * The broker JVM gets the 4.x client jar it was built with (copied by the pom to target/kafka-broker);
 * the service under test keeps the 3.x client pekko-connectors-kafka 1.x is built for.
 */
public final class TestKafka implements AutoCloseable {

  private Process process;
  private final Path dir;
  private final Path properties;
  public final String bootstrap;

  private TestKafka(Path dir, Path properties, String bootstrap) {
    this.dir = dir;
    this.properties = properties;
    this.bootstrap = bootstrap;
  }

  public static TestKafka start() throws Exception {
    return start(Files.createTempDirectory("seckill-kafka-"), TestPorts.reserve(), TestPorts.reserve());
  }

  /** A broker with its data in {@code dir}: formatted on first use, reused as it is afterwards. */
  public static TestKafka start(Path dir, int brokerPort, int controllerPort) throws Exception {
    Files.createDirectories(dir);
    Path properties = dir.resolve("server.properties");
    Files.writeString(properties, String.join("\n", List.of(
        "process.roles=broker,controller",
        "node.id=1",
        "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
        "listeners=PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort,
        "advertised.listeners=PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs=" + dir.resolve("data"),
        "num.partitions=1",
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0")) + "\n");
    if (Files.exists(dir.resolve("data").resolve("meta.properties"))) {
      TestKafka kafka = new TestKafka(dir, properties, "127.0.0.1:" + brokerPort);
      kafka.startBroker();
      return kafka;
    }
    Process format = new ProcessBuilder(java(), "-cp", brokerClasspath(), "kafka.tools.StorageTool", "format",
        "--standalone", "-t", Uuid.randomUuid().toString(), "-c", properties.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("format.log").toFile()).start();
    if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
      throw new IllegalStateException("kafka storage format failed: " + Files.readString(dir.resolve("format.log")));
    }
    TestKafka kafka = new TestKafka(dir, properties, "127.0.0.1:" + brokerPort);
    kafka.startBroker();
    return kafka;
  }

  /** Starts the broker again on the same ports and data after {@link #stop()}. */
  public synchronized void startBroker() throws Exception {
    process = new ProcessBuilder(java(), "-Xmx512m", "-cp", brokerClasspath(), "kafka.Kafka", properties.toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("broker.log").toFile()))
        .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000))) {
        admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
        return;
      } catch (Exception notYet) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          close();
          throw new IllegalStateException("kafka did not start: " + Files.readString(dir.resolve("broker.log")));
        }
        Thread.sleep(250); // the poll interval of this wait for the broker
      }
    }
  }

  /** Stops the broker, keeping its data, so a test can take Kafka away for a while. */
  public synchronized void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGKILL to the broker, keeping its data: what a crashed broker leaves behind. */
  public synchronized void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** The test classpath with its kafka-clients jar swapped for the broker's own version. */
  static String brokerClasspath() throws IOException {
    Path brokerClients;
    try (var jars = Files.list(Path.of("target", "kafka-broker"))) {
      brokerClients = jars.filter(p -> p.getFileName().toString().startsWith("kafka-clients-")).findFirst()
          .orElseThrow(() -> new IllegalStateException("no kafka-clients jar in target/kafka-broker: run mvn test"));
    }
    List<String> entries = new java.util.ArrayList<>();
    entries.add(brokerClients.toAbsolutePath().toString());
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (!Path.of(entry).getFileName().toString().startsWith("kafka-clients-")) entries.add(entry);
    }
    return String.join(java.io.File.pathSeparator, entries);
  }

  public Path log() {
    return dir.resolve("broker.log");
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  /** Convenience for tests: the admin client of this broker. */
  public Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
  }

  static Duration timeout() {
    return Duration.ofSeconds(30);
  }
}
