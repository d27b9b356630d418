package dev.ferry.drill;

import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Clients;
import dev.ferry.naming.TopicNaming;
import dev.ferry.provenance.Provenance;
import dev.ferry.provenance.ProvenanceCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

/**
 * Checks that every committed source record of a topic is on the target exactly once, in order, with partition, key,
 * value, headers and timestamp intact. Target records are matched to source records by their provenance header, so
 * records written to the target by anyone else are not counted.
 */
public final class Verifier {
  private Verifier() {}

  public static Verification verify(FlowConfig flow, String sourceTopic, Duration timeout) {
    return verify(flow, sourceTopic, timeout, false);
  }

  /**
   * As {@link #verify(FlowConfig, String, Duration)}; with {@code compacted}, a record that compaction removed on one
   * side is not counted as missing or unexpected when the other side holds a later record with the same key.
   */
  public static Verification verify(FlowConfig flow, String sourceTopic, Duration timeout, boolean compacted) {
    Map<Integer, Map<Long, Long>> source = new HashMap<>();
    Map<Integer, Map<ByteBuffer, Long>> sourceLatest = new HashMap<>();
    Map<Integer, Map<Long, ByteBuffer>> sourceKeys = new HashMap<>();
    long[] sourceCount = {0};
    readAll(flow.source(), sourceTopic, timeout, (tp, r) -> {
      source.computeIfAbsent(tp.partition(), p -> new HashMap<>()).put(r.offset(), fingerprint(r));
      if (compacted && r.key() != null) {
        ByteBuffer k = ByteBuffer.wrap(r.key());
        sourceLatest.computeIfAbsent(tp.partition(), p -> new HashMap<>()).merge(k, r.offset(), Math::max);
        sourceKeys.computeIfAbsent(tp.partition(), p -> new HashMap<>()).put(r.offset(), k);
      }
      sourceCount[0]++;
    });
    String targetTopic = TopicNaming.of(flow).targetTopic(sourceTopic);
    Map<Integer, Map<Long, Integer>> seen = new HashMap<>();
    Map<Integer, Map<ByteBuffer, Long>> targetLatest = new HashMap<>();
    Map<Integer, Long> lastOffset = new HashMap<>();
    List<String> examples = new ArrayList<>();
    long[] c = new long[5]; // target, unexpected, mismatched, outOfOrder, duplicated
    String sourceAlias = flow.source().alias();
    readAll(flow.target(), targetTopic, timeout, (tp, r) -> {
      Provenance p = ProvenanceCodec.read(r.headers());
      if (p == null || !p.path().get(p.path().size() - 1).equals(sourceAlias)) {
        return; // not copied by this flow
      }
      c[0]++;
      if (compacted && r.key() != null) {
        targetLatest.computeIfAbsent(p.sourcePartition(), k -> new HashMap<>()).merge(ByteBuffer.wrap(r.key()), p.sourceOffset(), Math::max);
      }
      Long fp = source.getOrDefault(p.sourcePartition(), Map.of()).get(p.sourceOffset());
      String where = sourceTopic + "-" + p.sourcePartition() + "@" + p.sourceOffset();
      if (fp == null) {
        boolean superseded = compacted && r.key() != null
            && sourceLatest.getOrDefault(p.sourcePartition(), Map.of()).getOrDefault(ByteBuffer.wrap(r.key()), -1L) > p.sourceOffset();
        if (!superseded) {
          c[1]++;
          note(examples, "unexpected on target: " + where + " (at " + tp + "@" + r.offset() + ")");
        }
      } else if (p.sourcePartition() != tp.partition() || fp != fingerprint(r)) {
        c[2]++;
        note(examples, "differs from source: " + where + " (at " + tp + "@" + r.offset() + ")");
      }
      Long last = lastOffset.put(tp.partition(), p.sourceOffset());
      if (last != null && last >= p.sourceOffset()) {
        c[3]++;
        note(examples, "out of order: " + where + " after source offset " + last);
      }
      if (seen.computeIfAbsent(p.sourcePartition(), k -> new HashMap<>()).merge(p.sourceOffset(), 1, Integer::sum) > 1) {
        c[4]++;
        note(examples, "duplicated: " + where);
      }
    });
    long missing = 0;
    for (Map.Entry<Integer, Map<Long, Long>> e : source.entrySet()) {
      Map<Long, Integer> s = seen.getOrDefault(e.getKey(), Map.of());
      for (Long off : e.getValue().keySet()) {
        if (s.containsKey(off)) {
          continue;
        }
        if (compacted) {
          ByteBuffer k = sourceKeys.getOrDefault(e.getKey(), Map.of()).get(off);
          if (k != null && targetLatest.getOrDefault(e.getKey(), Map.of()).getOrDefault(k, -1L) > off) {
            continue; // compacted away on the target: a later record of the key is there
          }
        }
        missing++;
        if (missing <= 3) {
          note(examples, "missing on target: " + sourceTopic + "-" + e.getKey() + "@" + off);
        }
      }
    }
    return new Verification(sourceCount[0], c[0], missing, c[4], c[1], c[2], c[3], examples);
  }

  private static void note(List<String> examples, String s) {
    if (examples.size() < 10) {
      examples.add(s);
    }
  }

  /** A hash of what must survive replication: key, value, timestamp and headers other than provenance, in order. */
  static long fingerprint(ConsumerRecord<byte[], byte[]> r) {
    long h = 1125899906842597L;
    h = mix(h, r.key());
    h = mix(h, r.value());
    h = 31 * h + r.timestamp();
    for (Header header : r.headers()) {
      if (header.key().equals(ProvenanceCodec.HEADER)) {
        continue;
      }
      h = mix(h, header.key().getBytes(StandardCharsets.UTF_8));
      h = mix(h, header.value());
    }
    return h;
  }

  private static long mix(long h, byte[] b) {
    if (b == null) {
      return 31 * h - 7;
    }
    return 31 * (31 * h + Arrays.hashCode(b)) + b.length;
  }

  /** Reads a whole topic, read_committed, up to its end as of the start of the read. */
  public static void readAll(dev.ferry.config.ClusterConfig cluster, String topic, Duration timeout,
      BiConsumer<TopicPartition, ConsumerRecord<byte[], byte[]>> each) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Clients.readerProperties(cluster))) {
      var infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        return;
      }
      List<TopicPartition> parts = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
      Instant deadline = Instant.now().plus(timeout);
      while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (Instant.now().isAfter(deadline)) {
          throw new dev.ferry.FerryException(dev.ferry.FerryException.Reason.UNREACHABLE,
              "reading " + topic + " on " + cluster.describe() + " took longer than " + timeout);
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          if (r.offset() < end.get(tp)) {
            each.accept(tp, r);
          }
        }
      }
    }
  }

}
