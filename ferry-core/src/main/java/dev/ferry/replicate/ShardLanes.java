package dev.ferry.replicate;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;

/**
 * Which partitions of one shard run in its slow lane. A partition whose target writes hold up a transaction while the
 * shard's other partitions are done is moved there, so it no longer delays them (no head-of-line blocking); the slow
 * lane has its own transactional.id and hands the partition back once its writes are quick again. A partition changes
 * lane only between transactions: the lane giving it up has committed or aborted everything of it, and the lane taking
 * it reads its committed progress.
 */
final class ShardLanes {
  private final Set<TopicPartition> slow = ConcurrentHashMap.newKeySet();
  private final AtomicInteger version = new AtomicInteger();

  boolean isSlow(TopicPartition source) {
    return slow.contains(source);
  }

  void moveToSlowLane(Collection<TopicPartition> sources) {
    slow.addAll(sources);
    version.incrementAndGet();
  }

  void moveToMainLane(Collection<TopicPartition> sources) {
    slow.removeAll(sources);
    version.incrementAndGet();
  }

  /** Changes each time a partition changes lane. */
  int version() {
    return version.get();
  }

  /** How many partitions are in the slow lane (no copy: read at every commit). */
  int slowCount() {
    return slow.size();
  }

  Set<TopicPartition> slowPartitions() {
    return Set.copyOf(slow);
  }
}
