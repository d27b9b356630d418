package dev.ferry.kafka;

import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * A flow's replication progress: the next source offset to replicate, per partition, committed by the shards' transactions
 * as offsets of the flow's progress group on the target, keyed by the target partition. The one place that reads it.
 */
public final class ProgressStore {
  private static final long TIMEOUT_MS = 60_000;

  private final Admin target;
  private final String group;
  private final String where;

  public ProgressStore(Admin target, FlowConfig flow) {
    this.target = target;
    this.group = FerryNames.progressGroup(flow.name());
    this.where = flow.target().describe();
  }

  /** The group the shards' transactions commit progress to. */
  public String group() {
    return group;
  }

  /**
   * Progress is committed to a group no consumer joins: fencing comes from the shard's transactional.id, not from a
   * group generation. Kafka offers no other way to name such a group to sendOffsetsToTransaction.
   */
  @SuppressWarnings("removal")
  public static ConsumerGroupMetadata groupMetadata(FlowConfig flow) {
    return new ConsumerGroupMetadata(FerryNames.progressGroup(flow.name()));
  }

  /**
   * Committed progress of these target partitions (those without any are left out), waiting for transactions that
   * are still committing offsets of the group to settle.
   */
  public Map<TopicPartition, Long> read(Collection<TopicPartition> targetPartitions) {
    if (targetPartitions.isEmpty()) {
      return Map.of();
    }
    Map<TopicPartition, OffsetAndMetadata> committed = KafkaCalls.await(
        target.listConsumerGroupOffsets(Map.of(group, new ListConsumerGroupOffsetsSpec().topicPartitions(targetPartitions)),
                new ListConsumerGroupOffsetsOptions().requireStable(true))
            .partitionsToOffsetAndMetadata(group),
        TIMEOUT_MS, "read progress of group " + group + " on " + where);
    return offsets(committed);
  }

  /** All committed progress of the flow, by target partition. */
  public Map<TopicPartition, Long> readAll() {
    return offsets(KafkaCalls.await(target.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata(), TIMEOUT_MS,
        "read progress of group " + group + " on " + where));
  }

  /** Target topics the flow has committed progress for: it replicated them before. */
  public Set<String> topics() {
    Set<String> topics = new TreeSet<>();
    readAll().keySet().forEach(tp -> topics.add(tp.topic()));
    return topics;
  }

  private static Map<TopicPartition, Long> offsets(Map<TopicPartition, OffsetAndMetadata> committed) {
    Map<TopicPartition, Long> out = new HashMap<>();
    committed.forEach((tp, om) -> {
      if (om != null) {
        out.put(tp, om.offset());
      }
    });
    return out;
  }
}
