package dev.ferry.replicate;

import dev.ferry.kafka.SourceGaps;
import dev.ferry.offsets.MapUpdate;
import dev.ferry.offsets.PartitionOffsetMap;
import dev.ferry.offsets.RunBuilder;
import dev.ferry.kafka.Incarnation;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;

/**
 * One source partition of a shard lane and where its replication stands. Used by the lane's thread, except
 * {@link #unacknowledged}, which the producer's acknowledgements count down.
 */
final class ShardPartition {
  final TopicPartition source;
  final TopicPartition target;
  /** The incarnations (topic ids) of its source and target topic that it replicates: a change ends its assignment. */
  final Incarnation incarnation;
  /**
   * Where its offset-map updates go: given by the partition, not by its shard, so they stay in order in one map
   * partition whatever the shard count.
   */
  final int mapPartition;
  /** Sends of the open transaction not yet acknowledged by the target. */
  final AtomicInteger unacknowledged = new AtomicInteger();
  /** Its offset map as committed: the open transaction's update is applied once it commits. */
  final PartitionOffsetMap map;
  /** The open transaction's map update and its number, once the commit wrote it. */
  private MapUpdate pendingUpdate;
  private long pendingSeq;
  /** Runs of the open transaction, filled from the acknowledged target offsets when it commits. */
  final RunBuilder runs = new RunBuilder();
  /** The next source offset as of the last commit. */
  long committedNext;
  /** The next source offset once the open transaction commits. */
  long pendingNext;
  /** Gaps committed with the progress so far. */
  SourceGaps committedGaps;
  /** Gaps found in the open transaction: committed with it, forgotten if it aborts (the rewind finds them again). */
  SourceGaps pendingGaps = SourceGaps.NONE;
  /**
   * When its progress was last committed (clock nanoseconds); empty until this lane commits it, since the progress it
   * started from may be about to expire.
   */
  OptionalLong progressCommittedAt = OptionalLong.empty();
  /**
   * Whether it has committed progress (read at start, or committed since): only such progress is committed again when
   * it does not advance (a partition without any starts at the beginning, with or without a refresh).
   */
  boolean hasProgress;
  private OptionalLong stopAt = OptionalLong.empty();
  /**
   * The incarnation its committed map describes when that is another than {@link #incarnation} (its source or target
   * topic was created again), until a commit recorded where the new one begins; null otherwise.
   */
  private Incarnation replaced;
  /** The open transaction records where the new incarnation begins. */
  private boolean replacementWritten;
  /** The oldest timestamp of the records sent in the open transaction ({@link Long#MAX_VALUE}: none). */
  private long oldestSent = Long.MAX_VALUE;

  ShardPartition(TopicPartition source, TopicPartition target, long next, SourceGaps gaps, int mapPartitions) {
    this(source, target, next, gaps, mapPartitions, new PartitionOffsetMap(), Incarnation.UNKNOWN);
  }

  ShardPartition(TopicPartition source, TopicPartition target, long next, SourceGaps gaps, int mapPartitions, PartitionOffsetMap map,
      Incarnation incarnation) {
    this.map = map;
    this.incarnation = incarnation;
    this.replaced = map.incarnation().differs(incarnation) ? map.incarnation() : null;
    this.source = source;
    this.target = target;
    this.mapPartition = Shards.of(source.topic(), source.partition(), mapPartitions);
    this.committedNext = next;
    this.pendingNext = next;
    this.committedGaps = gaps;
  }

  /** The records {@code from..to} expired on the source before they were replicated; the position moved past them. */
  void gap(long from, long to) {
    pendingGaps = pendingGaps.plus(from, to);
  }

  /** The gaps once the open transaction commits. */
  SourceGaps gapsToCommit() {
    return committedGaps.plus(pendingGaps);
  }

  /**
   * Whether its progress must be committed again although it did not advance: it was not committed by this lane yet,
   * or longer ago than {@code refreshNanos} (the broker expires committed offsets after offsets.retention.minutes).
   */
  boolean progressStale(long nowNanos, long refreshNanos) {
    return hasProgress && (progressCommittedAt.isEmpty() || nowNanos - progressCommittedAt.getAsLong() >= refreshNanos);
  }

  /** Where a record that cannot be written sits: replication goes up to it, then stops. */
  OptionalLong stopAt() {
    return stopAt;
  }

  /** The record at {@code offset} cannot be written: replicate up to it (the lowest such offset wins), then stop. */
  void stopAt(long offset) {
    stopAt = OptionalLong.of(stopAt.isPresent() ? Math.min(stopAt.getAsLong(), offset) : offset);
  }

  boolean stopsAt(long offset) {
    return stopAt.isPresent() && offset >= stopAt.getAsLong();
  }

  /** Stopping at a record but not there yet: the records before it are still replicated. */
  boolean draining() {
    return stopAt.isPresent() && committedNext < stopAt.getAsLong();
  }

  /** Everything before {@code next} is consumed (written, filtered or a marker), but never past a stop. */
  void consumedUpTo(long next) {
    pendingNext = Math.max(pendingNext, next);
    if (stopAt.isPresent()) {
      pendingNext = Math.min(pendingNext, stopAt.getAsLong());
    }
  }

  boolean advanced() {
    return pendingNext > committedNext;
  }

  /** The incarnation the committed map described before this one, while where this one begins is not recorded yet. */
  java.util.Optional<Incarnation> replacedIncarnation() {
    return java.util.Optional.ofNullable(replaced);
  }

  /** The open transaction records where the new incarnation begins: once it commits, that is done. */
  void replacementRecorded() {
    replacementWritten = true;
  }

  /** The open transaction carries map update {@code seq}. */
  void mapUpdateWritten(long seq, MapUpdate update) {
    pendingSeq = seq;
    pendingUpdate = update;
  }

  /** A record with this timestamp (ms; negative: none) was sent in the open transaction. */
  void sent(long timestampMs) {
    if (timestampMs >= 0 && timestampMs < oldestSent) {
      oldestSent = timestampMs;
    }
  }

  /**
   * How long the oldest record of the open transaction took from its timestamp to {@code nowMs}, its replication
   * latency if the transaction commits now; empty when it holds no record with a timestamp.
   */
  OptionalLong latencyMs(long nowMs) {
    return oldestSent == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(Math.max(0, nowMs - oldestSent));
  }

  void committed() {
    oldestSent = Long.MAX_VALUE;
    if (pendingUpdate != null) {
      map.apply(pendingSeq, pendingUpdate);
      pendingUpdate = null;
    }
    committedNext = pendingNext;
    committedGaps = gapsToCommit();
    pendingGaps = SourceGaps.NONE;
    if (replacementWritten) {
      replaced = null;
      replacementWritten = false;
    }
  }

  /** Its progress was committed (with or without an advance) at {@code nowNanos}. */
  void progressCommitted(long nowNanos) {
    progressCommittedAt = OptionalLong.of(nowNanos);
    hasProgress = true;
  }

  /** The open transaction was aborted: back to the committed position. */
  void rewound() {
    oldestSent = Long.MAX_VALUE;
    pendingNext = committedNext;
    pendingGaps = SourceGaps.NONE;
    pendingUpdate = null;
    replacementWritten = false;
    runs.drain();
  }

  void positionedAt(long next) {
    committedNext = next;
    pendingNext = next;
  }
}
