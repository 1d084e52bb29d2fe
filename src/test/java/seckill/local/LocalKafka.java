package seckill.local;

import java.nio.file.Path;
import seckill.TestKafka;

/**
 * A Kafka broker for local clusters (cluster-config/cluster.sh): the same single-node KRaft broker
 * the tests use, on a fixed port, data kept in a folder across restarts. Runs until killed.
 */
public final class LocalKafka {

  private LocalKafka() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    Path data = Path.of(args[1]).toAbsolutePath();
    TestKafka kafka = TestKafka.start(data, port, port + 1);
    System.out.println("Kafka ready at " + kafka.bootstrap + " (broker log: " + kafka.log() + ")");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        kafka.close();
      } catch (InterruptedException ignored) {
        // going down anyway
      }
    }));
    Thread.currentThread().join();
  }
}
