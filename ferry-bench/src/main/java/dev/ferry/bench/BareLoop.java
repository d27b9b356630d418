package dev.ferry.bench;

import dev.ferry.kafka.TopicLeaders;
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
      TopicLeaders.await(admin, topics.stream().map(org.apache.kafka.clients.admin.NewTopic::name).toList(),
          Duration.ofSeconds(60), "target");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("cannot create the bare loop's target topics: " + e.getCause(), e);
    }
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, ProducerRecord<byte[], byte[]> r,
      java.util.Queue<ProducerRecord<byte[], byte[]>> failed, java.util.concurrent.atomic.AtomicLong acked) {
    producer.send(r, (md, e) -> {
      if (e == null) {
        acked.incrementAndGet();
      } else {
        System.err.println("bare loop: send to " + r.topic() + "-" + r.partition() + " failed, sending again: " + e);
        failed.add(r);
      }
    });
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
    // a lost request is noticed (and sent again) in seconds, not minutes
    p.put("request.timeout.ms", "5000");
    p.put("delivery.timeout.ms", "15000");
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
      // a send that fails is sent again (at least once, like any plain loop): Kafka 4.3 can fail the first request to
      // a brand-new partition when several are in flight (KAFKA-15591)
      java.util.Queue<ProducerRecord<byte[], byte[]>> failed = new java.util.concurrent.ConcurrentLinkedQueue<>();
      java.util.concurrent.atomic.AtomicLong acked = new java.util.concurrent.atomic.AtomicLong();
      while (acked.get() < records) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(sent < records ? 100 : 10))) {
          send(producer, new ProducerRecord<>(prefix + "." + r.topic(), r.partition(), r.timestamp(), r.key(), r.value(), r.headers()),
              failed, acked);
          sent++;
        }
        for (ProducerRecord<byte[], byte[]> again = failed.poll(); again != null; again = failed.poll()) {
          send(producer, again, failed, acked);
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
