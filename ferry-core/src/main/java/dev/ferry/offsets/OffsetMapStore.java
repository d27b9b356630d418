package dev.ferry.offsets;

import dev.ferry.config.FlowConfig;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/** Loads the maps of some source partitions from a flow's map topic (committed transactions only). */
public final class OffsetMapStore {
  private OffsetMapStore() {}

  /**
   * Reads the map partitions that hold these source partitions' records and returns their maps; source partitions the
   * map knows nothing of (or whose map cannot be read) are left out.
   *
   * @param mapPartitionOf the map partition of each source partition
   */
  public static Map<TopicPartition, PartitionOffsetMap> load(FlowConfig flow, Map<TopicPartition, Integer> mapPartitionOf, Duration timeout) {
    if (mapPartitionOf.isEmpty()) {
      return Map.of();
    }
    try (OffsetMapIndex index = new OffsetMapIndex(flow, mapPartitionOf.values().stream().distinct().toList(), mapPartitionOf::containsKey)) {
      return Map.copyOf(index.catchUp(timeout));
    }
  }
}
