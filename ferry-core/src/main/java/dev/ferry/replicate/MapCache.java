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

  /** Forgets the maps of a shard's partitions (the shard stopped here, or starts again). */
  void forgetShard(int shard) {
    maps.keySet().removeIf(s -> Shards.of(s.topic(), s.partition(), flow.shards()) == shard);
  }
}
