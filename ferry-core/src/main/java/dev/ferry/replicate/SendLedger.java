package dev.ferry.replicate;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The sends of a shard lane's open transaction: for each record, in send order, its source offset and (once the target
 * acknowledged it) its target offset; per partition, the sends still unacknowledged and the first error. At commit
 * the pairs fold into each partition's offset-map runs.
 *
 * <p>The lane's thread sends and folds; the producer's I/O thread acknowledges. Offsets live in fixed chunks that
 * never move, so an acknowledgement writes into its slot without locking.
 */
final class SendLedger {
  private static final int CHUNK = 4096;
  /** Chunks kept allocated between transactions (more are dropped at reset). */
  private static final int KEPT_CHUNKS = 4;

  private final List<long[]> sourceOffsets = new ArrayList<>();
  private final List<long[]> targetOffsets = new ArrayList<>();
  private final List<ShardPartition[]> partitions = new ArrayList<>();
  private final Set<ShardPartition> touched = new HashSet<>();
  private final Map<TopicPartition, Exception> errors = new ConcurrentHashMap<>();
  /** The lowest source offset whose write failed, per partition. */
  private final Map<TopicPartition, Long> failedOffsets = new ConcurrentHashMap<>();
  private int count;
  private long bytes;
  /** Set while the lane's thread waits in {@link #awaitAcknowledged}: the acknowledgement completing a partition wakes it. */
  private volatile Thread waiter;

  /** {@code sends} records of {@code p} are about to be sent (counted up front: one atomic update per polled list). */
  void expect(ShardPartition p, int sends) {
    touched.add(p);
    p.unacknowledged.addAndGet(sends);
  }

  /** Records one send; the returned callback takes the target's answer. */
  Callback sent(ShardPartition p, long sourceOffset, long recordBytes) {
    int idx = count++;
    int chunk = idx / CHUNK;
    if (chunk == sourceOffsets.size()) {
      sourceOffsets.add(new long[CHUNK]);
      targetOffsets.add(new long[CHUNK]);
      partitions.add(new ShardPartition[CHUNK]);
    }
    int slot = idx % CHUNK;
    sourceOffsets.get(chunk)[slot] = sourceOffset;
    partitions.get(chunk)[slot] = p;
    bytes += recordBytes;
    return new Acknowledgement(p, sourceOffset, targetOffsets.get(chunk), slot);
  }

  /** {@code sends} of the expected sends of {@code p} were not made (filtered, stopped, refused) or are done. */
  void acknowledged(ShardPartition p, int sends) {
    if (p.unacknowledged.addAndGet(-sends) == 0) {
      Thread t = waiter;
      if (t != null) {
        LockSupport.unpark(t);
      }
    }
  }

  boolean allAcknowledged() {
    for (ShardPartition p : touched) {
      if (p.unacknowledged.get() > 0) {
        return false;
      }
    }
    return true;
  }

  /** Waits until every send is acknowledged or {@code timeout} passed; returns whether all are. */
  boolean awaitAcknowledged(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    waiter = Thread.currentThread();
    try {
      while (!allAcknowledged()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        LockSupport.parkNanos(this, Math.min(left, 50_000_000L));
      }
      return true;
    } finally {
      waiter = null;
    }
  }

  /** Partitions written in the open transaction. */
  int touchedCount() {
    return touched.size();
  }

  /** Partitions with sends the target has not acknowledged. */
  List<ShardPartition> unacknowledged() {
    return touched.stream().filter(p -> p.unacknowledged.get() > 0).toList();
  }

  /** Records sent in the open transaction. */
  int count() {
    return count;
  }

  /** Key and value bytes sent in the open transaction. */
  long bytes() {
    return bytes;
  }

  boolean hasErrors() {
    return !errors.isEmpty();
  }

  /** The first error of each partition whose writes failed. */
  Map<TopicPartition, Exception> errors() {
    return Map.copyOf(errors);
  }

  /** The lowest source offset of {@code source} whose write failed. */
  OptionalLong firstFailedOffset(TopicPartition source) {
    Long at = failedOffsets.get(source);
    return at == null ? OptionalLong.empty() : OptionalLong.of(at);
  }

  /** Adds every acknowledged send to its partition's runs, in send order. Call once all are acknowledged without error. */
  /**
   * Where the partition's committed map ends on the target, when the map describes the target topic the partition
   * writes now (same target topic id); 0 otherwise (a new target topic starts at 0).
   */
  private static long committedTargetEnd(ShardPartition p) {
    org.apache.kafka.common.Uuid mapTarget = p.map.incarnation().target();
    boolean sameTopic = !org.apache.kafka.common.Uuid.ZERO_UUID.equals(mapTarget) && mapTarget.equals(p.incarnation.target());
    return sameTopic ? p.map.targetNext().orElse(0) : 0;
  }

  /**
   * Folds the acknowledged sends into their partitions' runs. Returns the partitions whose acknowledged target offsets
   * went back (below the end of their committed offset map for the same target topic, or below an earlier send of this
   * transaction): their target partition was deleted and created again, or truncated, under the shard, so these records
   * are not where the map and the progress would say. Their sends are not folded; the transaction must not commit.
   */
  java.util.Set<ShardPartition> foldIntoRuns() {
    java.util.Set<ShardPartition> wentBack = java.util.Set.of();
    for (int i = 0; i < count; i++) {
      int chunk = i / CHUNK;
      int slot = i % CHUNK;
      ShardPartition p = partitions.get(chunk)[slot];
      long target = targetOffsets.get(chunk)[slot];
      long next = p.runs.nextTarget();
      if (target < (next >= 0 ? next : committedTargetEnd(p))) {
        if (wentBack.isEmpty()) {
          wentBack = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        }
        wentBack.add(p);
        continue;
      }
      p.runs.add(sourceOffsets.get(chunk)[slot], target);
    }
    return wentBack;
  }

  /** Forgets the transaction's sends (committed or aborted). */
  void reset() {
    count = 0;
    bytes = 0;
    for (ShardPartition p : touched) {
      p.unacknowledged.set(0);
    }
    touched.clear();
    errors.clear();
    failedOffsets.clear();
    if (sourceOffsets.size() > KEPT_CHUNKS) {
      sourceOffsets.subList(KEPT_CHUNKS, sourceOffsets.size()).clear();
      targetOffsets.subList(KEPT_CHUNKS, targetOffsets.size()).clear();
      partitions.subList(KEPT_CHUNKS, partitions.size()).clear();
    }
    for (ShardPartition[] chunk : partitions) {
      Arrays.fill(chunk, null);
    }
  }

  /**
   * The target's answer to one send. A class rather than a lambda: a capturing lambda is allocated through method
   * handles until the JIT has inlined its call site, which showed in profiles of the replication path.
   */
  private final class Acknowledgement implements Callback {
    private final ShardPartition partition;
    private final long sourceOffset;
    private final long[] targetChunk;
    private final int slot;

    Acknowledgement(ShardPartition partition, long sourceOffset, long[] targetChunk, int slot) {
      this.partition = partition;
      this.sourceOffset = sourceOffset;
      this.targetChunk = targetChunk;
      this.slot = slot;
    }

    @Override
    public void onCompletion(RecordMetadata md, Exception ex) {
      if (ex != null) {
        errors.putIfAbsent(partition.source, ex);
        failedOffsets.merge(partition.source, sourceOffset, Math::min);
      } else {
        targetChunk[slot] = md.offset();
      }
      acknowledged(partition, 1);
    }
  }
}
