package dev.ferry.replicate;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/** Which shard a source partition belongs to. Partitions of one topic spread round-robin over the shards. */
public final class Shards {
  private Shards() {}

  public static int of(String topic, int partition, int shards) {
    int topicHash = Utils.murmur2(topic.getBytes(StandardCharsets.UTF_8));
    return Math.floorMod(topicHash + partition, shards);
  }
}
