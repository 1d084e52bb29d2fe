package seckill;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The test harness's Kafka is a real broker: a topic is created, a record goes in and comes out. */
class KafkaHarnessIT {

  @Test
  void aRealKraftBrokerStoresAndDeliversARecord() throws Exception {
    try (TestKafka kafka = TestKafka.start(); Admin admin = kafka.admin()) {
      admin.createTopics(List.of(new NewTopic("smoke", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap,
          ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>("smoke", "order-1", "{\"placed\":true}")).get(30, TimeUnit.SECONDS);
      }
      List<ConsumerRecord<String, String>> got = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap,
          ConsumerConfig.GROUP_ID_CONFIG, "smoke-test",
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
        consumer.subscribe(List.of("smoke"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (got.isEmpty() && System.nanoTime() < deadline) consumer.poll(Duration.ofMillis(500)).forEach(got::add);
      }
      assertEquals(1, got.size());
      assertEquals("order-1", got.get(0).key());
      assertEquals("{\"placed\":true}", got.get(0).value());
    }
  }
}
