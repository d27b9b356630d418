package dev.ferry.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The simplest possible replicator, the benchmark's floor: one consumer assigned every partition, one producer with
 * the tuned settings, each record sent to the same partition of {@code <prefix>.<topic>}; nothing else.
 * Args: source-bootstrap target-bootstrap prefix records topic...
 */
public final class BareLoop {
  private BareLoop() {}

  /** The target topics, as many partitions as the source's (the replicators create theirs; so must the loop). */
  private static void createTargetTopics(String target, String prefix, List<TopicPartition> parts) {
    java.util.Map<String, Integer> counts = new java.util.HashMap<>();
    parts.forEach(tp -> counts.merge(tp.topic(), 1, Integer::sum));
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(java.util.Map.of("bootstrap.servers", target))) {
      List<org.apache.kafka.clients.admin.NewTopic> topics = new ArrayList<>();
      counts.forEach((t, n) -> topics.add(new org.apache.kafka.clients.admin.NewTopic(prefix + "." + t, java.util.Optional.of(n), java.util.Optional.empty())));
      admin.createTopics(topics).all().get();
      dev.ferry.topics.TopicReconciler.awaitLeaders(admin, topics.stream().map(org.apache.kafka.clients.admin.NewTopic::name).toList(),
          Duration.ofSeconds(60), "target");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("cannot create the bare loop's target topics: " + e.getCause(), e);
    }
  }

  public static void main(String[] args) {
    String source = args[0];
    String target = args[1];
    String prefix = args[2];
    long records = Long.parseLong(args[3]);
    Properties c = new Properties();
    c.put("bootstrap.servers", source);
    c.put("key.deserializer", ByteArrayDeserializer.class.getName());
    c.put("value.deserializer", ByteArrayDeserializer.class.getName());
    c.put("enable.auto.commit", "false");
    c.put("max.poll.records", "5000");
    c.put("max.partition.fetch.bytes", String.valueOf(4 * 1024 * 1024));
    Properties p = Bench.tunedProducer(target);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c); KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      List<TopicPartition> parts = new ArrayList<>();
      for (int i = 4; i < args.length; i++) {
        for (PartitionInfo info : consumer.partitionsFor(args[i])) {
          parts.add(new TopicPartition(info.topic(), info.partition()));
        }
      }
      createTargetTopics(target, prefix, parts);
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      long sent = 0;
      while (sent < records) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          producer.send(new ProducerRecord<>(prefix + "." + r.topic(), r.partition(), r.timestamp(), r.key(), r.value(), r.headers()));
          sent++;
        }
      }
      producer.flush();
      // stay up, like a replicator, until the benchmark has read its CPU time and stops it
      new java.util.concurrent.CountDownLatch(1).await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
