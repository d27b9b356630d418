package dev.ferry.flow;

import dev.ferry.Problem;
import dev.ferry.groups.CheckpointRound;
import dev.ferry.replicate.ReplicationStatus;
import java.util.Map;
import java.util.Optional;

/**
 * A snapshot of one running flow in this process.
 *
 * @param replication what its shards replicated, and which partitions stopped
 * @param topicProblems source topics that cannot be replicated now, with the reason
 * @param lastCheckpoint the last checkpoint round of this process (only the owner of shard 0 checkpoints), if any
 */
public record FlowStatus(ReplicationStatus replication, Map<String, Problem> topicProblems, Optional<CheckpointRound> lastCheckpoint) {}
