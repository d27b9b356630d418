package dev.ferry.replicate;

import dev.ferry.client.FerryNames;
import dev.ferry.kafka.Clients;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.TopicPartition;

/**
 * A shard's throughput and replication latency as its owner measured them, written every few seconds into the shard's
 * partition of the flow's shard topic, inside a replication transaction (so only the shard's real owner can write it).
 * {@code ferry status} reads the newest one of each shard. Value format v1: version byte 1, time (int64 ms), member id
 * (modified UTF-8), records/s and bytes/s (float64), partitions in the slow lane (int32); then, optionally, the number
 * of partitions with a latency (int32) and for each its source topic (modified UTF-8), partition (int32) and latency in
 * ms (int64). A reader reads what it knows and ignores what follows, so fields are only ever appended (a reader
 * without the latencies reads the rest).
 *
 * @param timeMs when it was measured
 * @param member the process (membership member id) that owned the shard
 * @param recordsPerSecond records replicated per second since the previous stats record
 * @param bytesPerSecond key and value bytes replicated per second since the previous stats record
 * @param slowPartitions partitions of the shard in its slow lane
 * @param latencyMs per source partition that replicated records since the previous stats record, the longest time one
 *     of them took from its timestamp to the commit that made it visible on the target (the {@link #MAX_LATENCIES}
 *     longest, when more partitions replicated)
 */
public record ShardStats(long timeMs, String member, double recordsPerSecond, double bytesPerSecond, int slowPartitions,
    Map<TopicPartition, Long> latencyMs) {
  static final byte[] KEY = "stats".getBytes(StandardCharsets.UTF_8);
  private static final byte VERSION = 1;
  /** At most this many partitions' latencies in one record (about 300 KB with long topic names), the longest kept. */
  static final int MAX_LATENCIES = 10_000;

  public ShardStats {
    if (latencyMs.size() > MAX_LATENCIES) {
      Map<TopicPartition, Long> longest = new HashMap<>();
      latencyMs.entrySet().stream().sorted(Map.Entry.<TopicPartition, Long>comparingByValue().reversed())
          .limit(MAX_LATENCIES).forEach(e -> longest.put(e.getKey(), e.getValue()));
      latencyMs = longest;
    }
    latencyMs = Map.copyOf(latencyMs);
  }

  byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeLong(timeMs);
      out.writeUTF(member);
      out.writeDouble(recordsPerSecond);
      out.writeDouble(bytesPerSecond);
      out.writeInt(slowPartitions);
      out.writeInt(latencyMs.size());
      for (var e : latencyMs.entrySet()) {
        out.writeUTF(e.getKey().topic());
        out.writeInt(e.getKey().partition());
        out.writeLong(e.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Decodes a stats value; throws IllegalArgumentException for anything else. */
  static ShardStats decode(byte[] value) {
    if (value == null || value.length == 0 || value[0] != VERSION) {
      throw new IllegalArgumentException("not a shard stats record of version " + VERSION);
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
      in.readByte();
      long time = in.readLong();
      String member = in.readUTF();
      double records = in.readDouble();
      double bytes = in.readDouble();
      int slow = in.readInt();
      Map<TopicPartition, Long> latency = new HashMap<>();
      for (int i = in.available() > 0 ? in.readInt() : 0; i > 0; i--) {
        latency.put(new TopicPartition(in.readUTF(), in.readInt()), in.readLong());
      }
      return new ShardStats(time, member, records, bytes, slow, latency);
    } catch (IOException e) {
      throw new IllegalArgumentException("truncated shard stats record", e);
    }
  }

  /**
   * The newest stats record of each shard of a flow, read from the shard topic on the target (read_committed). A shard
   * without one has not replicated anything since its owner started.
   */
  public static java.util.Map<Integer, ShardStats> readLatest(dev.ferry.config.FlowConfig flow, java.time.Duration timeout) {
    String topic = dev.ferry.client.FerryNames.shardTopic(flow.name());
    java.util.Map<Integer, ShardStats> latest = new java.util.TreeMap<>();
    try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> c =
        new org.apache.kafka.clients.consumer.KafkaConsumer<>(Clients.readerProperties(flow.target()))) {
      java.util.List<org.apache.kafka.common.TopicPartition> parts = c.partitionsFor(topic, timeout).stream()
          .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      Map<TopicPartition, Long> ends = c.endOffsets(parts, timeout);
      Map<TopicPartition, Long> begins = c.beginningOffsets(parts, timeout);
      // a stats record every few seconds, a commit marker after each: the newest record is among the last few offsets
      parts.forEach(tp -> c.seek(tp, Math.max(begins.get(tp), ends.get(tp) - 16)));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp) < ends.get(tp)) && System.nanoTime() < deadline) {
        for (org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> r : c.poll(java.time.Duration.ofMillis(200))) {
          if (java.util.Arrays.equals(r.key(), KEY)) {
            try {
              latest.put(r.partition(), decode(r.value()));
            } catch (IllegalArgumentException e) {
              // written by a newer Ferry: not shown
            }
          }
        }
      }
    }
    return latest;
  }

  /**
   * Running totals of one shard in this process (both lanes), from which rates are taken, and the longest latency per
   * partition since the last stats record.
   */
  static final class Counters {
    private final LongAdder records = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    /** Records in each lane's open transaction (main, slow), as of the lane's last step. */
    private final java.util.concurrent.atomic.AtomicLongArray open = new java.util.concurrent.atomic.AtomicLongArray(2);
    private final ConcurrentHashMap<TopicPartition, Long> latency =
        new ConcurrentHashMap<>();

    /** A commit made records of {@code source} visible {@code ms} after the oldest one's timestamp. */
    void latency(TopicPartition source, long ms) {
      latency.merge(source, ms, Math::max);
    }

    /** The longest latency per partition since the last call; each entry is taken out as it is read. */
    Map<TopicPartition, Long> drainLatency() {
      Map<TopicPartition, Long> out = new HashMap<>();
      for (TopicPartition tp : latency.keySet()) {
        Long ms = latency.remove(tp);
        if (ms != null) {
          out.put(tp, ms);
        }
      }
      return out;
    }

    void open(ShardWorker.Lane lane, long records) {
      open.set(lane.ordinal(), records);
    }

    /** Records in the shard's open transactions now (both lanes). */
    long open() {
      return open.get(0) + open.get(1);
    }

    void add(long r, long b) {
      records.add(r);
      bytes.add(b);
    }

    long records() {
      return records.sum();
    }

    long bytes() {
      return bytes.sum();
    }
  }
}
