package seckill.orders;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import seckill.http.Json;

/** Reads a whole topic from its beginning, as a downstream consumer would, until the records satisfy a condition. */
public final class TopicReader {

  /** One record: key, parsed JSON value, partition. */
  public record Rec(String key, JsonNode value, String raw, int partition) {
    public String type() {
      return value.get("type").asText();
    }
  }

  private TopicReader() {}

  public static List<Rec> readUntil(String bootstrap, String topic, Predicate<List<Rec>> done, Duration timeout) {
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(20)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      List<Rec> got = new ArrayList<>();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!done.test(got) && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> got.add(new Rec(r.key(), parse(r.value()), r.value(),
            r.partition())));
      }
      return got;
    }
  }

  private static JsonNode parse(String value) {
    try {
      return Json.MAPPER.readTree(value);
    } catch (Exception e) {
      throw new IllegalStateException("not JSON on the topic: " + value, e);
    }
  }

  public static long count(List<Rec> records, String type) {
    return records.stream().filter(r -> r.type().equals(type)).count();
  }

  public static long distinctKeys(List<Rec> records, String type) {
    return records.stream().filter(r -> r.type().equals(type)).map(Rec::key).distinct().count();
  }
}
