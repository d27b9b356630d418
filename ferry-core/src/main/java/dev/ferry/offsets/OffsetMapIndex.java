package dev.ferry.offsets;

import dev.ferry.FerryException;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Clients;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * A live copy of a flow's offset map: follows the offset-map topic on the target (committed transactions only) and
 * applies each update as it is read. {@link #catchUp(Duration)} reads what is new since the last call. Not thread-safe:
 * one owner thread.
 */
public final class OffsetMapIndex implements AutoCloseable {
  private final FlowConfig flow;
  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final MapRecords records;
  private List<TopicPartition> parts = List.of();

  /** An index of the whole map. */
  public OffsetMapIndex(FlowConfig flow) {
    this(flow, List.of(), tp -> true);
  }

  /**
   * An index of the maps of the source partitions {@code wanted} accepts, reading only the map partitions given (all of
   * them when none are).
   */
  OffsetMapIndex(FlowConfig flow, List<Integer> mapPartitions, java.util.function.Predicate<TopicPartition> wanted) {
    this.flow = flow;
    this.topic = FerryNames.offsetMapTopic(flow.name());
    this.consumer = new KafkaConsumer<>(Clients.readerProperties(flow.target()));
    this.records = new MapRecords(flow.name(), wanted);
    if (!mapPartitions.isEmpty()) {
      assign(mapPartitions.stream().map(p -> new TopicPartition(topic, p)).toList());
    }
  }

  private void assign(List<TopicPartition> partitions) {
    parts = partitions;
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
  }

  /** Reads the map topic up to its end as of now; returns the maps by source partition. */
  public Map<TopicPartition, PartitionOffsetMap> catchUp(Duration timeout) {
    if (parts.isEmpty()) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        return records.maps();
      }
      assign(infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList());
    }
    Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
      if (System.nanoTime() > deadline) {
        throw new FerryException(FerryException.Reason.UNREACHABLE,
            "reading offset map " + topic + " on " + flow.target().describe() + " took longer than " + timeout);
      }
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        records.apply(r);
      }
    }
    return records.maps();
  }

  /**
   * Source partitions whose map cannot be trusted (a record that cannot be read), with the reason: they are left out of
   * the maps, and their later records are ignored, so they are never translated from a map with a hole in it.
   */
  public Map<TopicPartition, String> unreadable() {
    return Map.copyOf(records.unreadable());
  }

  @Override
  public void close() {
    consumer.close();
  }
}
