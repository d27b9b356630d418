package dev.ferry.client;

import dev.ferry.client.FerryNames;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads the latest checkpoints of a consumer group from a Ferry flow's checkpoint topic on the target cluster. */
public final class FerryCheckpoints {
  private FerryCheckpoints() {}

  /**
   * The group's current checkpoints, by target partition.
   *
   * @param targetClient client properties of the target cluster (bootstrap.servers, security); no group is used
   */
  public static Map<TopicPartition, Checkpoint> read(Map<String, Object> targetClient, String flow, String group, Duration timeout) {
    Map<TopicPartition, Checkpoint> latest = new HashMap<>();
    scan(targetClient, flow, group, timeout, (key, r) -> {
      if (group.equals(CheckpointCodec.groupOf(key))) {
        Checkpoint c = CheckpointCodec.decode(key, r.value(), r.timestamp());
        latest.put(c.target(), c);
      }
    });
    return latest;
  }

  /** Every group's current checkpoints, by group and target partition, in one read of the topic. */
  public static Map<String, Map<TopicPartition, Checkpoint>> readAll(Map<String, Object> targetClient, String flow, Duration timeout) {
    Map<String, Map<TopicPartition, Checkpoint>> all = new java.util.TreeMap<>();
    scan(targetClient, flow, null, timeout, (key, r) -> {
      Checkpoint c = CheckpointCodec.decode(key, r.value(), r.timestamp());
      all.computeIfAbsent(c.group(), g -> new HashMap<>()).put(c.target(), c);
    });
    return all;
  }

  /** Every group that has checkpoints in the flow's checkpoint topic. */
  public static java.util.Set<String> groups(Map<String, Object> targetClient, String flow, Duration timeout) {
    java.util.Set<String> out = new java.util.TreeSet<>();
    scan(targetClient, flow, null, timeout, (key, r) -> out.add(CheckpointCodec.groupOf(key)));
    return out;
  }

  /** Reads the checkpoint topic to its end: the partition of {@code group}, or every partition when it is null. */
  private static void scan(Map<String, Object> targetClient, String flow, String group, Duration timeout,
      java.util.function.BiConsumer<byte[], ConsumerRecord<byte[], byte[]>> each) {
    Map<String, Object> props = new HashMap<>(targetClient);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    String topic = FerryNames.checkpointTopic(flow);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        return;
      }
      List<TopicPartition> parts = group == null
          ? infos.stream().map(i -> new TopicPartition(topic, i.partition())).collect(Collectors.toList())
          : List.of(new TopicPartition(topic, CheckpointCodec.partition(group, infos.size())));
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new org.apache.kafka.common.errors.TimeoutException("reading " + topic + " took longer than " + timeout);
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.key() != null && r.value() != null) {
            each.accept(r.key(), r);
          }
        }
      }
    }
  }
}
