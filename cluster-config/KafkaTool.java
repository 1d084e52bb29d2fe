import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The local cluster's Kafka from the command line, as the payment system and a downstream consumer
 * would use it (kafka-clients from the project's class path, see cluster.sh):
 *   java -cp "$(cat target/local.classpath)" cluster-config/KafkaTool.java tail seckill.orders [seconds]
 *   java -cp "$(cat target/local.classpath)" cluster-config/KafkaTool.java pay <reservationId> <paymentId> [SUCCEEDED|FAILED]
 * SECKILL_KAFKA_BOOTSTRAP picks the broker (default 127.0.0.1:19092).
 */
public final class KafkaTool {
  public static void main(String[] args) throws Exception {
    String bootstrap = System.getenv().getOrDefault("SECKILL_KAFKA_BOOTSTRAP", "127.0.0.1:19092");
    if (args.length >= 2 && args[0].equals("tail")) {
      tail(bootstrap, args[1], Duration.ofSeconds(args.length > 2 ? Long.parseLong(args[2]) : 5));
    } else if (args.length >= 3 && args[0].equals("pay")) {
      String status = args.length > 3 ? args[3] : "SUCCEEDED";
      String value = "{\"reservationId\":\"" + args[1] + "\",\"paymentId\":\"" + args[2] + "\",\"status\":\"" + status + "\"}";
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
          new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>("seckill.payments", args[1], value)).get();
      }
      System.out.println("sent to seckill.payments: " + value);
    } else {
      System.err.println("usage: KafkaTool tail <topic> [seconds] | pay <reservationId> <paymentId> [SUCCEEDED|FAILED]");
      System.exit(2);
    }
  }

  private static void tail(String bootstrap, String topic, Duration forHowLong) {
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long end = System.nanoTime() + forHowLong.toNanos();
      while (System.nanoTime() < end) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> System.out.println(r.key() + "  " + r.value()));
      }
    }
  }
}
