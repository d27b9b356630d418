package dev.ferry.offsets;

import dev.ferry.config.FlowConfig;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/** Reads a flow's whole offset map from its topic on the target (committed transactions only). */
public final class OffsetMapReader {
  private OffsetMapReader() {}

  public static Map<TopicPartition, PartitionOffsetMap> read(FlowConfig flow, Duration timeout) {
    try (OffsetMapIndex index = new OffsetMapIndex(flow)) {
      return Map.copyOf(index.catchUp(timeout));
    }
  }
}
