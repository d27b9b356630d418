package dev.ferry.offsets;

import dev.ferry.FerryException;
import dev.ferry.naming.TopicNaming;
import dev.ferry.replicate.Clients;
import dev.ferry.config.FlowConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/** Reads a flow's whole offset map from its topic on the target (committed transactions only). */
public final class OffsetMapReader {
  private OffsetMapReader() {}

  public static Map<TopicPartition, PartitionOffsetMap> read(FlowConfig flow, Duration timeout) {
    String topic = TopicNaming.offsetMapTopic(flow.name());
    Map<TopicPartition, PartitionOffsetMap> maps = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Clients.readerProperties(flow.target()))) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        return maps;
      }
      List<TopicPartition> parts = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
      Instant deadline = Instant.now().plus(timeout);
      while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (Instant.now().isAfter(deadline)) {
          throw new FerryException(FerryException.Reason.UNREACHABLE,
              "reading offset map " + topic + " on " + flow.target().describe() + " took longer than " + timeout);
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          maps.computeIfAbsent(OffsetMapCodec.decodeKey(r.key()), k -> new PartitionOffsetMap())
              .apply(OffsetMapCodec.decodeValue(r.value()));
        }
      }
    }
    return maps;
  }
}
