package dev.ferry.offsets;

import dev.ferry.FerryException;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Clients;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Where the offset map of some source partitions ends: the next source offset and the target position after the last
 * replicated record, as of each partition's last committed update. The map is written in the same transactions as the
 * progress and never expires, so it is the durable record of how far replication went.
 *
 * @param sourceNext the next source offset to replicate
 * @param targetNext the target position after the last record replicated; empty when none was
 */
public record MapTail(long sourceNext, OptionalLong targetNext) {

  /**
   * Reads the map partitions that hold these source partitions' updates (committed transactions only) and returns
   * where each one's map ends; source partitions the map knows nothing of are left out.
   *
   * @param mapPartitionOf the map partition of each source partition
   */
  public static Map<TopicPartition, MapTail> read(FlowConfig flow, Map<TopicPartition, Integer> mapPartitionOf, Duration timeout) {
    String topic = FerryNames.offsetMapTopic(flow.name());
    List<TopicPartition> parts = mapPartitionOf.values().stream().distinct().map(p -> new TopicPartition(topic, p)).toList();
    Set<TopicPartition> wanted = mapPartitionOf.keySet();
    Map<TopicPartition, Long> sourceNext = new HashMap<>();
    Map<TopicPartition, Long> targetNext = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Clients.readerProperties(flow.target()))) {
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new FerryException(FerryException.Reason.UNREACHABLE, "reading offset map " + topic + " on " + flow.target().describe()
              + " took longer than " + timeout);
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          TopicPartition source = OffsetMapCodec.decodeKey(r.key());
          if (wanted.contains(source)) {
            MapUpdate u = OffsetMapCodec.decodeValue(r.value());
            sourceNext.put(source, u.sourceNext());
            if (!u.runs().isEmpty()) {
              targetNext.put(source, u.runs().get(u.runs().size() - 1).targetEnd());
            }
          }
        }
      }
    }
    Map<TopicPartition, MapTail> out = new HashMap<>();
    sourceNext.forEach((s, next) -> {
      Long t = targetNext.get(s);
      out.put(s, new MapTail(next, t == null ? OptionalLong.empty() : OptionalLong.of(t)));
    });
    return out;
  }
}
