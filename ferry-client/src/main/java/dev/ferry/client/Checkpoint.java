package dev.ferry.client;

import org.apache.kafka.common.TopicPartition;

/**
 * Where a consumer group stands on the target, translated exactly from its committed offset on the source.
 *
 * @param group the consumer group
 * @param source the source partition
 * @param target the target partition that replicates it
 * @param sourceOffset the group's committed offset on the source
 * @param targetOffset the target position of the first replicated record at or after {@code sourceOffset}; where the
 *     group is ahead of replication, the position after the last replicated record
 * @param recordsAhead offsets the group had consumed on the source that are not replicated yet: what a failover now
 *     would lose for this group (0 when the group is not ahead of replication)
 * @param timestamp when the checkpoint was taken (epoch millis)
 */
public record Checkpoint(String group, TopicPartition source, TopicPartition target, long sourceOffset, long targetOffset,
    long recordsAhead, long timestamp) {}
