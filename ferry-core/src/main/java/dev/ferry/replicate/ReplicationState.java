package dev.ferry.replicate;

import dev.ferry.Problem;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;

/**
 * The live state of a flow's replication in this process. Shard lanes and the membership write it through the narrow
 * methods below; everyone else reads a {@link ReplicationStatus} snapshot. Safe to use from any thread.
 */
final class ReplicationState {
  private final LongAdder replicated = new LongAdder();
  private final LongAdder filtered = new LongAdder();
  private final LongAdder transactions = new LongAdder();
  private final LongAdder expiredBeforeReplication = new LongAdder();
  private final LongAdder corruptProvenance = new LongAdder();
  private final LongAdder restarts = new LongAdder();
  private final Map<TopicPartition, Problem> problems = new ConcurrentHashMap<>();
  private final Map<TopicPartition, Long> committedNext = new ConcurrentHashMap<>();
  private final Map<Integer, String> ownedShards = new ConcurrentHashMap<>();
  private final Map<Integer, ShardLanes> lanes = new ConcurrentHashMap<>();
  private final Map<Integer, ShardStats.Counters> shardLoad = new ConcurrentHashMap<>();
  private final Map<Integer, String> shardFaults = new ConcurrentHashMap<>();
  private volatile boolean joined;

  /** The membership group gave this process its shards (none or some) for the first time. */
  void joined() {
    joined = true;
  }

  void filtered() {
    filtered.increment();
  }

  void expired(long records) {
    expiredBeforeReplication.add(records);
  }

  void corruptProvenance() {
    corruptProvenance.increment();
  }

  void restarted() {
    restarts.increment();
  }

  /** Reports that a partition's replication stopped; false when it already has a problem (the first one stays). */
  boolean reportProblem(TopicPartition source, Problem problem) {
    return problems.putIfAbsent(source, problem) == null;
  }

  boolean hasProblem(TopicPartition source) {
    return problems.containsKey(source);
  }

  /** How many partitions have a problem: grows only, so a lane sees a change by the count. */
  int problemCount() {
    return problems.size();
  }

  /** The next source offset of a partition as of its last commit (or its start position). */
  void committed(TopicPartition source, long next) {
    committedNext.put(source, next);
  }

  /** A shard cannot go on for now (an outage, commits that fail); cleared by its next commit. */
  void shardFault(int shard, String message) {
    shardFaults.put(shard, message);
  }

  void transactionCommitted(int shard, long records, long bytes) {
    shardFaults.remove(shard);
    replicated.add(records);
    transactions.increment();
    shardLoad(shard).add(records, bytes);
  }

  void shardStarted(int shard, String transactionalId) {
    ownedShards.put(shard, transactionalId);
  }

  void shardStopped(int shard) {
    ownedShards.remove(shard);
  }

  boolean ownsShard(int shard) {
    return ownedShards.containsKey(shard);
  }

  void lanesStarted(int shard, ShardLanes l) {
    lanes.put(shard, l);
  }

  void lanesStopped(int shard, ShardLanes l) {
    lanes.remove(shard, l);
  }

  /** Running totals of one shard in this process (both lanes). */
  ShardStats.Counters shardLoad(int shard) {
    return shardLoad.computeIfAbsent(shard, s -> new ShardStats.Counters());
  }

  /** Key and value bytes this process replicated for each shard so far. */
  Map<Integer, Long> shardBytes() {
    Map<Integer, Long> out = new TreeMap<>();
    shardLoad.forEach((s, c) -> out.put(s, c.bytes()));
    return out;
  }

  ReplicationStatus snapshot() {
    Set<TopicPartition> slow = lanes.values().stream().flatMap(l -> l.slowPartitions().stream()).collect(Collectors.toUnmodifiableSet());
    return new ReplicationStatus(replicated.sum(), filtered.sum(), transactions.sum(), expiredBeforeReplication.sum(), corruptProvenance.sum(),
        restarts.sum(), Map.copyOf(problems), Map.copyOf(committedNext), Set.copyOf(ownedShards.keySet()), slow, shardBytes(),
        new TreeMap<>(shardFaults), openRecords(), joined);
  }

  private Map<Integer, Long> openRecords() {
    Map<Integer, Long> out = new TreeMap<>();
    ownedShards.keySet().forEach(s -> out.put(s, shardLoad(s).open()));
    return out;
  }
}
