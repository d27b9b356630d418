package dev.ferry.drill;

import dev.ferry.FerryException;
import dev.ferry.config.ClusterConfig;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.kafka.TopicLeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Numbered test workloads for drills and tests: plain records with headers, transactional records with aborted
 * transactions, and compacted keyed records with tombstones. Each record's value names its topic and number.
 */
public final class Workload {
  private static final Logger LOG = LoggerFactory.getLogger(Workload.class);

  private Workload() {}

  public static void createTopic(ClusterConfig cluster, String topic, int partitions, Map<String, String> configs) {
    try (Admin admin = Admin.create(Clients.admin(cluster))) {
      KafkaCalls.await(admin.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.empty()).configs(configs))).all(),
          30_000, "create topic " + topic + " on " + cluster.describe());
      TopicLeaders.await(admin, List.of(topic), Duration.ofSeconds(30), cluster.describe());
    }
  }

  /**
   * {@code records} records spread over the topic's partitions by key; record i has key {@code k<i>} (every 50th key
   * null), value {@code <topic>-<i>}, headers {@code seq} and a repeated {@code tag} with one null value.
   */
  public static void plain(ClusterConfig cluster, String topic, int partitions, int records, int from) {
    Failures failures = new Failures();
    long base = System.currentTimeMillis() - from - records;
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(producerProps(cluster, null))) {
      for (int i = from; i < from + records; i++) {
        RecordHeaders h = new RecordHeaders();
        h.add("seq", bytes(Integer.toString(i)));
        h.add("tag", bytes("a"));
        h.add("tag", i % 7 == 0 ? null : bytes("b"));
        byte[] key = i % 50 == 0 ? null : bytes("k" + i);
        p.send(new ProducerRecord<>(topic, i % partitions, base + i, key, bytes(topic + "-" + i), h), failures);
      }
      p.flush();
    }
    failures.rethrow(topic);
  }

  /**
   * {@code transactions} transactions of {@code perTransaction} records each; every {@code abortEvery}-th is aborted.
   * Returns the number of aborted records (which must never be copied). A transaction the coordinator refused with
   * INVALID_TXN_STATE (it had aborted the transaction itself, KAFKA-20785; nothing of it was committed, but the producer
   * is dead) is written again, up to twice, by a new producer with the same transactional.id. Any other failure, whose
   * outcome may be unknown, ends the workload with an error rather than risk writing a transaction twice.
   */
  public static long transactional(ClusterConfig cluster, String topic, int partitions, int transactions, int perTransaction, int abortEvery) {
    return transactional(cluster, topic, partitions, transactions, perTransaction, abortEvery, 0);
  }

  /** As above, the records numbered from {@code from}. */
  public static long transactional(ClusterConfig cluster, String topic, int partitions, int transactions, int perTransaction, int abortEvery,
      int from) {
    String transactionalId = "workload-" + UUID.randomUUID();
    long aborted = 0;
    KafkaProducer<byte[], byte[]> p = transactionalProducer(cluster, transactionalId);
    try {
      for (int t = 0, n = from; t < transactions; t++, n += perTransaction) {
        boolean abort = abortEvery > 0 && t % abortEvery == abortEvery - 1;
        for (int attempt = 1; !writeTransaction(p, topic, partitions, n, perTransaction, abort, t, attempt); attempt++) {
          p.close(Duration.ZERO);
          p = transactionalProducer(cluster, transactionalId);
        }
        if (abort) {
          aborted += perTransaction;
        }
      }
    } finally {
      p.close();
    }
    return aborted;
  }

  /**
   * Records {@code from}..{@code from + count - 1} in one transaction, committed or aborted. False when the coordinator
   * refused it with INVALID_TXN_STATE on an attempt before the third: write it again with a new producer.
   */
  private static boolean writeTransaction(KafkaProducer<byte[], byte[]> p, String topic, int partitions, int from, int count,
      boolean abort, int transaction, int attempt) {
    try {
      p.beginTransaction();
      for (int i = from; i < from + count; i++) {
        p.send(new ProducerRecord<>(topic, i % partitions, bytes("k" + i), bytes((abort ? "aborted-" : "") + topic + "-" + i)));
      }
      if (abort) {
        p.abortTransaction();
      } else {
        p.commitTransaction();
      }
      return true;
    } catch (InvalidTxnStateException e) {
      if (attempt == 3) {
        throw new FerryException(FerryException.Reason.FAILED,
            "workload transaction " + transaction + " on " + topic + " failed " + attempt + " times: " + e.getMessage(), e);
      }
      LOG.atWarn().addKeyValue("topic", topic)
          .log("workload transaction {} failed ({}); writing it again with a new producer", transaction, e.toString());
      return false;
    } catch (KafkaException e) {
      throw new FerryException(FerryException.Reason.FAILED, "workload transaction " + transaction + " on " + topic + " failed: " + e.getMessage(), e);
    }
  }

  private static KafkaProducer<byte[], byte[]> transactionalProducer(ClusterConfig cluster, String transactionalId) {
    KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(producerProps(cluster, transactionalId));
    try {
      p.initTransactions();
      return p;
    } catch (RuntimeException e) {
      p.close(Duration.ZERO);
      throw e;
    }
  }

  /**
   * {@code records} records over {@code keys} keys (later values replace earlier ones), every 10th a tombstone,
   * written in {@code rounds} rounds at least {@code roundGap} apart so that a topic with a short {@code segment.ms}
   * rolls segments the log cleaner can compact.
   */
  public static void compacted(ClusterConfig cluster, String topic, int partitions, int keys, int records, int rounds, Duration roundGap) {
    Failures failures = new Failures();
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(producerProps(cluster, null))) {
      int perRound = Math.max(1, records / Math.max(1, rounds));
      for (int i = 0; i < records; i++) {
        int k = i % keys;
        byte[] value = i % 10 == 9 ? null : bytes(topic + "-" + i + "-" + "x".repeat(200));
        p.send(new ProducerRecord<>(topic, k % partitions, bytes("key" + k), value), failures);
        if (i % perRound == perRound - 1 && i < records - 1) {
          p.flush();
          pause(roundGap);
        }
      }
      p.flush();
    }
    failures.rethrow(topic);
  }

  /** Segment rolls by time need time to pass; this is workload pacing, not a wait for a condition. */
  private static void pause(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Remembers the first failed send, so a workload that lost records says so instead of passing silently. */
  private static final class Failures implements org.apache.kafka.clients.producer.Callback {
    private final java.util.concurrent.atomic.AtomicReference<Exception> first = new java.util.concurrent.atomic.AtomicReference<>();

    @Override
    public void onCompletion(org.apache.kafka.clients.producer.RecordMetadata metadata, Exception exception) {
      if (exception != null) {
        first.compareAndSet(null, exception);
      }
    }

    void rethrow(String topic) {
      Exception e = first.get();
      if (e != null) {
        throw new FerryException(FerryException.Reason.FAILED, "workload records for " + topic + " were not written: " + e, e);
      }
    }
  }

  private static Properties producerProps(ClusterConfig cluster, String transactionalId) {
    Properties props = new Properties();
    props.putAll(cluster.properties());
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
    // One request in flight: Kafka 4.3 brokers can append a later request to a brand-new partition while the first one
    // failed with NOT_LEADER_OR_FOLLOWER, after which the first one can never be written (KAFKA-15591, fixed upstream).
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    if (transactionalId != null) {
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    }
    return props;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
