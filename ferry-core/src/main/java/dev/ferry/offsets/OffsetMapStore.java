package dev.ferry.offsets;

import dev.ferry.FerryException;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Clients;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
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
    String topic = FerryNames.offsetMapTopic(flow.name());
    List<TopicPartition> parts = mapPartitionOf.values().stream().distinct().map(p -> new TopicPartition(topic, p)).toList();
    Set<TopicPartition> wanted = mapPartitionOf.keySet();
    MapRecords records = new MapRecords(flow.name(), wanted::contains);
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
          records.apply(r);
        }
      }
    }
    return Map.copyOf(records.maps());
  }
}
