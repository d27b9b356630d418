package dev.ferry.client;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * A rebalance listener for a consumer on the target cluster: when partitions are assigned, it seeks each partition whose
 * committed offset on the target is missing or behind Ferry's checkpoint to the checkpoint's translated position, so a
 * group that was already running on the target (and so was not synced by Ferry) resumes exactly where it stood on the
 * source. A partition already committed at or past the checkpoint is left alone: it never re-reads.
 *
 * <pre>
 *   consumer.subscribe(List.of("A.orders"), new ResumeFromCheckpoints(consumer, targetProps, "A-to-B", "billing"));
 * </pre>
 */
public final class ResumeFromCheckpoints implements ConsumerRebalanceListener {
  private final Consumer<?, ?> consumer;
  private final Map<String, Object> targetClient;
  private final String flow;
  private final String group;
  private final Set<TopicPartition> resumed = new HashSet<>();

  public ResumeFromCheckpoints(Consumer<?, ?> consumer, Map<String, Object> targetClient, String flow, String group) {
    this.consumer = consumer;
    this.targetClient = Map.copyOf(targetClient);
    this.flow = flow;
    this.group = group;
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    if (partitions.isEmpty()) {
      return;
    }
    Map<TopicPartition, Checkpoint> checkpoints = FerryCheckpoints.read(targetClient, flow, group, Duration.ofSeconds(30));
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(partitions));
    for (TopicPartition tp : partitions) {
      Checkpoint c = checkpoints.get(tp);
      if (c == null) {
        continue;
      }
      OffsetAndMetadata om = committed.get(tp);
      if (om == null || om.offset() < c.targetOffset()) {
        consumer.seek(tp, c.targetOffset());
        resumed.add(tp);
      }
    }
  }

  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

  /** The partitions this listener moved to a checkpoint. */
  public Set<TopicPartition> resumedPartitions() {
    return Set.copyOf(resumed);
  }
}
