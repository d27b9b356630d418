package dev.ferry.replicate;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.TopicPartition;

/** Live counters and problems of one running flow. Safe to read from any thread. */
public final class FlowStatus {
  final LongAdder replicated = new LongAdder();
  final LongAdder filtered = new LongAdder();
  final LongAdder transactions = new LongAdder();
  final LongAdder expiredBeforeReplication = new LongAdder();
  final LongAdder corruptProvenance = new LongAdder();
  final LongAdder shardRestarts = new LongAdder();
  final Map<TopicPartition, String> partitionProblems = new ConcurrentHashMap<>();
  final Map<String, String> topicProblems = new ConcurrentHashMap<>();
  final Map<TopicPartition, Long> committedNext = new ConcurrentHashMap<>();
  final Map<Integer, String> ownedShards = new ConcurrentHashMap<>();
  /** The lanes of each shard this process runs. */
  final Map<Integer, ShardLanes> lanes = new ConcurrentHashMap<>();
  volatile dev.ferry.groups.CheckpointRound lastCheckpoint;
  private final Map<Integer, ShardStats.Counters> shardLoad = new ConcurrentHashMap<>();

  ShardStats.Counters shardLoad(int shard) {
    return shardLoad.computeIfAbsent(shard, s -> new ShardStats.Counters());
  }

  /** Key and value bytes this process replicated for each shard so far (both lanes). */
  public Map<Integer, Long> shardBytes() {
    Map<Integer, Long> out = new TreeMap<>();
    shardLoad.forEach((s, c) -> out.put(s, c.bytes()));
    return out;
  }

  /** Records written to the target in committed transactions. */
  public long replicatedRecords() {
    return replicated.sum();
  }

  /** Records not written because their provenance path already contains the target (loop protection). */
  public long filteredRecords() {
    return filtered.sum();
  }

  public long committedTransactions() {
    return transactions.sum();
  }

  /** Source records that expired (retention) before Ferry could copy them: a reported gap. */
  public long expiredBeforeReplication() {
    return expiredBeforeReplication.sum();
  }

  /** Source records whose provenance header could not be read (copied as if they had none). */
  public long corruptProvenanceHeaders() {
    return corruptProvenance.sum();
  }

  /**
   * Times a shard lane of this process started new clients and went on from its committed progress: its
   * transactional.id was fenced by another producer while it owned the shard, or its producer failed.
   */
  public long shardRestarts() {
    return shardRestarts.sum();
  }

  /** Source partitions whose replication stopped, with the reason. */
  public Map<TopicPartition, String> partitionProblems() {
    return Map.copyOf(partitionProblems);
  }

  /** Source topics that cannot be replicated, with the reason. */
  public Map<String, String> topicProblems() {
    return new TreeMap<>(topicProblems);
  }

  /** The next source offset to replicate, per partition, as of the last commit of this process. */
  public Map<TopicPartition, Long> committedPositions() {
    return Map.copyOf(committedNext);
  }

  /** The last checkpoint round of this process (only the owner of shard 0 checkpoints), if any. */
  public java.util.Optional<dev.ferry.groups.CheckpointRound> lastCheckpoint() {
    return java.util.Optional.ofNullable(lastCheckpoint);
  }

  /** Partitions of this process's shards that replicate in their shard's slow lane. */
  public java.util.Set<TopicPartition> slowLanePartitions() {
    return lanes.values().stream().flatMap(l -> l.slowPartitions().stream())
        .collect(java.util.stream.Collectors.toUnmodifiableSet());
  }

  public java.util.Set<Integer> ownedShards() {
    return java.util.Set.copyOf(ownedShards.keySet());
  }
}
