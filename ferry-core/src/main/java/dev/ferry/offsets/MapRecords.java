package dev.ferry.offsets;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds partition maps from the records of a flow's map topic, read in order. Whatever is wrong with a record
 * concerns its partition alone: a record that cannot be read makes that partition's map untrustworthy (it is left out
 * and its later records ignored, so nothing is translated from a map with a hole in it); the others go on. Not
 * thread-safe.
 */
final class MapRecords {
  private static final Logger LOG = LoggerFactory.getLogger(MapRecords.class);

  private final String flow;
  private final Predicate<TopicPartition> wanted;
  private final Map<TopicPartition, PartitionOffsetMap> maps = new HashMap<>();
  private final Map<TopicPartition, String> unreadable = new HashMap<>();

  /** @param wanted the source partitions whose maps are built (the others' records are skipped) */
  MapRecords(String flow, Predicate<TopicPartition> wanted) {
    this.flow = flow;
    this.wanted = wanted;
  }

  Map<TopicPartition, PartitionOffsetMap> maps() {
    return maps;
  }

  Map<TopicPartition, String> unreadable() {
    return unreadable;
  }

  void apply(ConsumerRecord<byte[], byte[]> r) {
    if (r.key() == null) {
      return;
    }
    OffsetMapCodec.Key key;
    try {
      key = OffsetMapCodec.decodeKey(r.key());
    } catch (RuntimeException e) {
      LOG.atWarn().addKeyValue("flow", flow).log("offset map record at {}-{}@{} has an unreadable key, ignored: {}", r.topic(), r.partition(),
          r.offset(), e.getMessage());
      return;
    }
    TopicPartition source = key.source();
    if (!wanted.test(source) || unreadable.containsKey(source)) {
      return;
    }
    if (r.value() == null) {
      return; // a tombstone: nothing to add
    }
    try {
      PartitionOffsetMap map = maps.computeIfAbsent(source, k -> new PartitionOffsetMap());
      if (OffsetMapCodec.apply(map, key.kind(), r.value())) {
        LOG.atWarn().addKeyValue("flow", flow).addKeyValue("partition", source.toString())
            .log("offset map of {} begins a new generation ({}: a topic was deleted and created again, or the partition was replicated"
                + " again); positions of what it held before are no longer translated", source, map.incarnation());
      }
    } catch (RuntimeException e) {
      maps.remove(source);
      String why = "offset map record at " + r.topic() + "-" + r.partition() + "@" + r.offset() + " cannot be read: " + e.getMessage();
      unreadable.put(source, why);
      LOG.atError().addKeyValue("flow", flow).addKeyValue("partition", source.toString())
          .log("{}; positions of {} are not translated from now on", why, source);
    }
  }
}
