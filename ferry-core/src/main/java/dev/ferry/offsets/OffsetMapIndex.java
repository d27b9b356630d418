package dev.ferry.offsets;

import dev.ferry.FerryException;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Clients;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live copy of a flow's offset map: follows the offset-map topic on the target (committed transactions only) and
 * applies each update as it is read. {@link #catchUp(Duration)} reads what is new since the last call. Not thread-safe:
 * one owner thread.
 */
public final class OffsetMapIndex implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OffsetMapIndex.class);
  private final FlowConfig flow;
  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<TopicPartition, PartitionOffsetMap> maps = new HashMap<>();
  private final Map<TopicPartition, String> unreadable = new HashMap<>();
  private List<TopicPartition> parts = List.of();

  public OffsetMapIndex(FlowConfig flow) {
    this.flow = flow;
    this.topic = FerryNames.offsetMapTopic(flow.name());
    this.consumer = new KafkaConsumer<>(Clients.readerProperties(flow.target()));
  }

  /** Reads the map topic up to its end as of now; returns the maps by source partition. */
  public Map<TopicPartition, PartitionOffsetMap> catchUp(Duration timeout) {
    if (parts.isEmpty()) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        return maps;
      }
      parts = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
    }
    Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
      if (System.nanoTime() > deadline) {
        throw new FerryException(FerryException.Reason.UNREACHABLE,
            "reading offset map " + topic + " on " + flow.target().describe() + " took longer than " + timeout);
      }
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        apply(r);
      }
    }
    return maps;
  }

  /**
   * Source partitions whose map cannot be trusted (an update that cannot be read), with the reason: they are left out
   * of the maps, and their later updates are ignored, so they are never translated from a map with a hole in it.
   */
  public Map<TopicPartition, String> unreadable() {
    return Map.copyOf(unreadable);
  }

  /** Applies one map record; whatever is wrong with it concerns its partition alone. */
  private void apply(ConsumerRecord<byte[], byte[]> r) {
    TopicPartition source;
    try {
      source = OffsetMapCodec.decodeKey(r.key());
    } catch (RuntimeException e) {
      LOG.atWarn().addKeyValue("flow", flow.name()).log("offset map record at {}-{}@{} has an unreadable key, ignored: {}", r.topic(), r.partition(),
          r.offset(), e.getMessage());
      return;
    }
    if (unreadable.containsKey(source)) {
      return;
    }
    try {
      PartitionOffsetMap map = maps.computeIfAbsent(source, k -> new PartitionOffsetMap());
      MapUpdate update = OffsetMapCodec.decodeValue(r.value());
      if (map.apply(update)) {
        LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("partition", source.toString())
            .log("offset map of {} begins again at source offset {} (a run overlaps what it held: a topic was recreated or the partition was"
                + " replicated again); positions before it are no longer translated", source, map.firstSource());
      }
    } catch (RuntimeException e) {
      maps.remove(source);
      String why = "offset map update at " + r.topic() + "-" + r.partition() + "@" + r.offset() + " cannot be read: " + e.getMessage();
      unreadable.put(source, why);
      LOG.atError().addKeyValue("flow", flow.name()).addKeyValue("partition", source.toString())
          .log("{}; positions of {} are not translated from now on", why, source);
    }
  }

  @Override
  public void close() {
    consumer.close();
  }
}
