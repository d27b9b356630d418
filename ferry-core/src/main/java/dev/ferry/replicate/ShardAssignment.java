package dev.ferry.replicate;

import dev.ferry.kafka.ProgressStore.Progress;
import dev.ferry.kafka.SourceGaps;
import dev.ferry.offsets.PartitionOffsetMap;
import dev.ferry.kafka.Incarnation;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * The source partitions a shard lane replicates: the flow's ready partitions that hash to its shard, are in its lane
 * and have no problem (or are draining up to a record they cannot write). New ones start at their committed progress,
 * or at the beginning of the source partition when there is none.
 *
 * <p>Not thread-safe: one lane's thread uses it.
 */
final class ShardAssignment {
  private final Map<TopicPartition, ShardPartition> partitions = new HashMap<>();
  private final int mapPartitions;
  /** The ready map, problem count and lane version the assignment was last computed from. */
  private Map<TopicPartition, TopicPartition> assignedFrom;
  private int problemsSeen = -1;
  private int lanesSeen = -1;
  /** A partition was draining: look again each round until it has stopped. */
  private boolean hadDraining;
  /**
   * Partitions paused until their topic is taken up again (its source or target topic was deleted or created again),
   * with the clock time (nanoseconds) at which they are read again anyway.
   */
  private final Map<TopicPartition, Long> held = new HashMap<>();

  ShardAssignment(int mapPartitions) {
    this.mapPartitions = mapPartitions;
  }

  ShardPartition get(TopicPartition source) {
    return partitions.get(source);
  }

  Collection<ShardPartition> partitions() {
    return partitions.values();
  }

  Set<TopicPartition> sources() {
    return partitions.keySet();
  }

  boolean isEmpty() {
    return partitions.isEmpty();
  }

  /** Whether anything the assignment depends on changed since it was computed (problems are only ever added). */
  boolean outdated(Map<TopicPartition, TopicPartition> ready, int problems, int lanesVersion) {
    return ready != assignedFrom || problems != problemsSeen || lanesVersion != lanesSeen || hadDraining;
  }

  /**
   * Recomputes the assignment (call between transactions) and positions {@code consumer} on it.
   *
   * @param ready source partition to target partition, for every partition of the flow ready to replicate
   * @param mine whether a source partition belongs to this shard and lane
   * @param hasProblem whether a source partition's replication stopped
   * @param progress where partitions resume, by target partition, for the partitions asked (source to target): those left
   *     out start at the beginning of their source partition, unless they were given a problem meanwhile
   * @param maps the committed offset maps of source partitions, checked against the progress given (null: none); those
   *     left out stopped with a problem
   * @param incarnation the incarnation of a source topic and its target topic now: a partition assigned for another one
   *     is taken off and added again (its topics were created again)
   * @return the partitions added
   */
  List<ShardPartition> sync(Consumer<byte[], byte[]> consumer, Map<TopicPartition, TopicPartition> ready, int problems, int lanesVersion,
      Predicate<TopicPartition> mine, Predicate<TopicPartition> hasProblem,
      Function<Map<TopicPartition, TopicPartition>, Map<TopicPartition, Progress>> progress,
      Function<Map<TopicPartition, Long>, Map<TopicPartition, PartitionOffsetMap>> maps, Function<String, Incarnation> incarnation) {
    return sync(consumer, ready, problems, lanesVersion, mine, hasProblem, progress, maps, incarnation, StartPositions.BEGINNING);
  }

  /** As above; {@code starts} says where partitions without progress start (their beginning unless it gives a position). */
  List<ShardPartition> sync(Consumer<byte[], byte[]> consumer, Map<TopicPartition, TopicPartition> ready, int problems, int lanesVersion,
      Predicate<TopicPartition> mine, Predicate<TopicPartition> hasProblem,
      Function<Map<TopicPartition, TopicPartition>, Map<TopicPartition, Progress>> progress,
      Function<Map<TopicPartition, Long>, Map<TopicPartition, PartitionOffsetMap>> maps, Function<String, Incarnation> incarnation,
      StartPositions starts) {
    assignedFrom = ready;
    problemsSeen = problems;
    lanesSeen = lanesVersion;
    Map<TopicPartition, TopicPartition> wanted = new HashMap<>();
    ready.forEach((s, t) -> {
      ShardPartition current = partitions.get(s);
      if (mine.test(s) && (!hasProblem.test(s) || current != null && current.draining())) {
        wanted.put(s, t);
      }
    });
    hadDraining = partitions.values().stream().anyMatch(ShardPartition::draining);
    boolean recreated = partitions.values().removeIf(p -> !p.incarnation.equals(incarnation.apply(p.source.topic())));
    if (!recreated && wanted.keySet().equals(partitions.keySet())) {
      return List.of();
    }
    Set<TopicPartition> added = new HashSet<>(wanted.keySet());
    added.removeAll(partitions.keySet());
    partitions.keySet().retainAll(wanted.keySet());
    Map<TopicPartition, TopicPartition> addedTargets = new HashMap<>();
    added.forEach(s -> addedTargets.put(s, wanted.get(s)));
    Map<TopicPartition, Progress> committed = progress.apply(addedTargets);
    added.removeIf(hasProblem); // where to resume is not known: not read at all
    Map<TopicPartition, Long> resumeAt = new HashMap<>();
    added.forEach(s -> {
      Progress c = committed.get(wanted.get(s));
      resumeAt.put(s, c == null ? null : c.next());
    });
    Map<TopicPartition, PartitionOffsetMap> addedMaps = maps.apply(resumeAt);
    added.removeIf(s -> !addedMaps.containsKey(s)); // its map disagrees with its progress: stopped with a problem
    List<ShardPartition> out = new ArrayList<>();
    for (TopicPartition s : added) {
      Progress c = committed.get(wanted.get(s));
      Incarnation ids = incarnation.apply(s.topic());
      ShardPartition p = c == null ? new ShardPartition(s, wanted.get(s), 0, SourceGaps.NONE, mapPartitions, addedMaps.get(s), ids)
          : new ShardPartition(s, wanted.get(s), c.next(), c.gaps(), mapPartitions, addedMaps.get(s), ids);
      p.hasProgress = c != null;
      partitions.put(s, p);
      out.add(p);
    }
    consumer.assign(partitions.keySet());
    held.keySet().retainAll(partitions.keySet());
    held.keySet().removeAll(added);
    consumer.resume(added); // a partition held before it was taken off and added again is paused still
    List<TopicPartition> fromStart = new ArrayList<>();
    for (ShardPartition p : out) {
      java.util.OptionalLong at = committed.containsKey(p.target) ? java.util.OptionalLong.empty() : starts.of(p.source, p.incarnation);
      if (committed.containsKey(p.target)) {
        consumer.seek(p.source, p.committedNext);
      } else if (at.isPresent()) {
        consumer.seek(p.source, at.getAsLong());
        p.positionedAt(at.getAsLong());
      } else {
        fromStart.add(p.source);
      }
    }
    if (!fromStart.isEmpty()) {
      consumer.seekToBeginning(fromStart);
      for (TopicPartition s : fromStart) {
        partitions.get(s).positionedAt(consumer.position(s));
      }
    }
    return out;
  }

  /**
   * After an abort: back to the committed positions. Partitions whose replication stopped (and that have nothing left to
   * drain) are dropped; the others are read again from where they were last committed.
   */
  void rewind(Consumer<byte[], byte[]> consumer, Predicate<TopicPartition> hasProblem) {
    partitions.values().removeIf(p -> hasProblem.test(p.source) && !p.draining());
    consumer.assign(partitions.keySet());
    held.keySet().retainAll(partitions.keySet());
    for (ShardPartition p : partitions.values()) {
      p.rewound();
      consumer.seek(p.source, p.committedNext);
    }
    Set<TopicPartition> reading = new HashSet<>(partitions.keySet());
    reading.removeAll(held.keySet());
    consumer.resume(reading);
  }

  /**
   * Pauses these partitions (their topic was deleted or created again) until the assignment takes them off and adds
   * them again for the new topic, or until {@code untilNanos}, whichever comes first.
   */
  void hold(Consumer<byte[], byte[]> consumer, Collection<TopicPartition> sources, long untilNanos) {
    List<TopicPartition> mine = sources.stream().filter(partitions::containsKey).toList();
    mine.forEach(tp -> held.put(tp, untilNanos));
    consumer.pause(mine);
  }

  /** Reads again the held partitions whose time is up (their topic was not found changed meanwhile: they are checked again). */
  void releaseHeld(Consumer<byte[], byte[]> consumer, long nowNanos) {
    if (held.isEmpty()) {
      return;
    }
    List<TopicPartition> due = held.entrySet().stream().filter(e -> nowNanos - e.getValue() >= 0).map(Map.Entry::getKey).toList();
    due.forEach(held::remove);
    consumer.resume(due);
  }

  boolean isHeld(TopicPartition source) {
    return held.containsKey(source);
  }
}
