package seckill;

import java.io.IOException;
import java.net.ServerSocket;
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
 */
public final class TestKafka implements AutoCloseable {

  private final Process process;
  private final Path dir;
  public final String bootstrap;

  private TestKafka(Process process, Path dir, String bootstrap) {
    this.process = process;
    this.dir = dir;
    this.bootstrap = bootstrap;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  public static TestKafka start() throws Exception {
    Path dir = Files.createTempDirectory("seckill-kafka-");
    int brokerPort = freePort();
    int controllerPort = freePort();
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
    String classpath = System.getProperty("java.class.path");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process format = new ProcessBuilder(java, "-cp", classpath, "kafka.tools.StorageTool", "format", "--standalone",
        "-t", Uuid.randomUuid().toString(), "-c", properties.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("format.log").toFile()).start();
    if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
      throw new IllegalStateException("kafka storage format failed: " + Files.readString(dir.resolve("format.log")));
    }
    Process broker = new ProcessBuilder(java, "-Xmx512m", "-cp", classpath, "kafka.Kafka", properties.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("broker.log").toFile()).start();
    String bootstrap = "127.0.0.1:" + brokerPort;
    TestKafka kafka = new TestKafka(broker, dir, bootstrap);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000))) {
        admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
        return kafka;
      } catch (Exception notYet) {
        if (!broker.isAlive() || System.nanoTime() > deadline) {
          kafka.close();
          throw new IllegalStateException("kafka did not start: " + Files.readString(dir.resolve("broker.log")));
        }
        Thread.sleep(250);
      }
    }
  }

  public Path log() {
    return dir.resolve("broker.log");
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  /** Convenience for tests: the admin client of this broker. */
  public Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
  }

  static Duration timeout() {
    return Duration.ofSeconds(30);
  }
}
