package dev.ferry.replicate;

import dev.ferry.Problem;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * A snapshot of a flow's replication in this process.
 *
 * @param replicatedRecords records written to the target in committed transactions
 * @param filteredRecords records not written because their provenance path already holds the target (loop protection)
 * @param committedTransactions replication transactions committed
 * @param expiredBeforeReplication source records that expired (retention) before Ferry could copy them: a reported gap
 * @param corruptProvenanceHeaders source records whose provenance header could not be read (copied as if they had none)
 * @param shardRestarts times a shard lane started new clients and went on from its committed progress (its
 *     transactional.id was fenced by another producer while it owned the shard, or its producer failed)
 * @param partitionProblems source partitions whose replication stopped, with the reason
 * @param committedPositions the next source offset to replicate, per partition, as of the last commit of this process
 * @param ownedShards shards this process runs
 * @param slowLanePartitions partitions of this process's shards that replicate in their shard's slow lane
 * @param shardBytes key and value bytes this process replicated for each shard so far
 * @param shardFaults shards of this process that cannot go on for now (a cluster that does not answer, commits that
 *     fail), with what is wrong; a shard's next commit clears its fault
 * @param shardOpenRecords records in the open transactions of each shard this process runs, as of its lanes' last step
 * @param joined whether this process has joined the flow's membership group (been given its shards, none or some)
 */
public record ReplicationStatus(long replicatedRecords, long filteredRecords, long committedTransactions, long expiredBeforeReplication,
    long corruptProvenanceHeaders, long shardRestarts, Map<TopicPartition, Problem> partitionProblems,
    Map<TopicPartition, Long> committedPositions, Set<Integer> ownedShards, Set<TopicPartition> slowLanePartitions,
    Map<Integer, Long> shardBytes, Map<Integer, String> shardFaults, Map<Integer, Long> shardOpenRecords, boolean joined) {

  /** Before anything ran. */
  public static ReplicationStatus none() {
    return new ReplicationStatus(0, 0, 0, 0, 0, 0, Map.of(), Map.of(), Set.of(), Set.of(), Map.of(), Map.of(), Map.of(), false);
  }
}
