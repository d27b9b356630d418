package dev.ferry.replicate;

import dev.ferry.config.FlowConfig;
import dev.ferry.offsets.OffsetMapStore;
import dev.ferry.offsets.PartitionOffsetMap;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.kafka.common.TopicPartition;

/**
 * The offset maps of the partitions this process replicates, as committed: loaded from the map topic when a shard
 * starts here, then kept up to date by the lane that holds each partition (it applies what it commits). A partition
 * that moves between the lanes of a shard keeps its map; a shard that starts again here loads its maps again (another
 * process may have written them meanwhile). Each map is used by one lane at a time.
 */
final class MapCache {
  private static final Duration LOAD_TIMEOUT = Duration.ofSeconds(120);

  /** Reads of the map topic before a map that disagrees with its partition's committed progress is given up on. */
  private static final int ATTEMPTS = 10;
  private static final Duration BETWEEN_ATTEMPTS = Duration.ofMillis(300);

  private final FlowConfig flow;
  private final int mapPartitions;
  private final Function<Map<TopicPartition, Integer>, Map<TopicPartition, PartitionOffsetMap>> loader;
  private final Map<TopicPartition, PartitionOffsetMap> maps = new ConcurrentHashMap<>();

  MapCache(FlowConfig flow, int mapPartitions) {
    this(flow, mapPartitions, missing -> OffsetMapStore.load(flow, missing, LOAD_TIMEOUT));
  }

  /** {@code loader} reads the maps of source partitions from the map partitions given (tests pass their own). */
  MapCache(FlowConfig flow, int mapPartitions, Function<Map<TopicPartition, Integer>, Map<TopicPartition, PartitionOffsetMap>> loader) {
    this.flow = flow;
    this.mapPartitions = mapPartitions;
    this.loader = loader;
  }

  /** The maps of these source partitions; a partition the map topic knows nothing of gets an empty one. */
  Map<TopicPartition, PartitionOffsetMap> get(Collection<TopicPartition> sources) {
    Map<TopicPartition, Integer> missing = new HashMap<>();
    for (TopicPartition s : sources) {
      if (!maps.containsKey(s)) {
        missing.put(s, Shards.of(s.topic(), s.partition(), mapPartitions));
      }
    }
    if (!missing.isEmpty()) {
      Map<TopicPartition, PartitionOffsetMap> loaded = loader.apply(missing);
      missing.keySet().forEach(s -> maps.putIfAbsent(s, loaded.containsKey(s) ? loaded.get(s) : new PartitionOffsetMap()));
    }
    Map<TopicPartition, PartitionOffsetMap> out = new HashMap<>();
    sources.forEach(s -> out.put(s, maps.get(s)));
    return out;
  }

  /**
   * The maps of these source partitions, each consistent with its committed progress (the map's next source offset is
   * the progress, both being written in the same transactions; a partition without progress has no map or any). A map
   * this process holds may be behind: another process (a stale owner that woke up) or a commit whose outcome was unknown
   * may have added to it. Such a map is read again from the map topic, a few times (the markers of a commit that was
   * just acknowledged may not be written yet); one that still disagrees is left out and reported through
   * {@code inconsistent}, since replicating on would break the translation of the partition's positions.
   *
   * @param progress committed next source offset per source partition; null where there is none
   */
  Map<TopicPartition, PartitionOffsetMap> consistent(Map<TopicPartition, Long> progress, java.util.function.BiConsumer<TopicPartition, String> inconsistent) {
    Map<TopicPartition, PartitionOffsetMap> out = get(progress.keySet());
    java.util.List<TopicPartition> behind = disagreeing(out, progress);
    for (int attempt = 1; !behind.isEmpty() && attempt <= ATTEMPTS; attempt++) {
      behind.forEach(maps::remove);
      out.putAll(get(behind));
      behind = disagreeing(out, progress);
      if (!behind.isEmpty()) {
        pause();
      }
    }
    for (TopicPartition s : behind) {
      PartitionOffsetMap m = out.remove(s);
      maps.remove(s);
      inconsistent.accept(s, "offset map of " + s + " ends at source offset " + (m.sourceNext().isPresent() ? m.sourceNext().getAsLong() : "(none)")
          + " but its committed progress is " + progress.get(s) + "; replication of " + s + " stopped, since going on would break the"
          + " translation of its positions (was " + dev.ferry.client.FerryNames.offsetMapTopic(flow.name()) + " on " + flow.target().describe() + " changed by hand? restart Ferry; report it if it stays)");
    }
    return out;
  }

  private static java.util.List<TopicPartition> disagreeing(Map<TopicPartition, PartitionOffsetMap> maps, Map<TopicPartition, Long> progress) {
    java.util.List<TopicPartition> out = new java.util.ArrayList<>();
    progress.forEach((s, next) -> {
      PartitionOffsetMap m = maps.get(s);
      if (next != null && (m.sourceNext().isEmpty() || m.sourceNext().getAsLong() != next)) {
        out.add(s);
      }
    });
    return out;
  }

  private static void pause() {
    try {
      Thread.sleep(BETWEEN_ATTEMPTS.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Forgets the maps of a shard's partitions (the shard stopped here, or starts again). */
  void forgetShard(int shard) {
    maps.keySet().removeIf(s -> Shards.of(s.topic(), s.partition(), flow.shards()) == shard);
  }
}
