package dev.ferry.replicate;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.LongAdder;

/**
 * A shard's throughput as its owner measured it, written every few seconds into the shard's partition of the flow's
 * shard topic, inside a replication transaction (so only the shard's real owner can write it). {@code ferry status}
 * reads the newest one of each shard. Value format v1: version byte 1, time (int64 ms), member id (modified UTF-8),
 * records/s and bytes/s (float64), partitions in the slow lane (int32).
 *
 * @param timeMs when it was measured
 * @param member the process (membership member id) that owned the shard
 * @param recordsPerSecond records replicated per second since the previous stats record
 * @param bytesPerSecond key and value bytes replicated per second since the previous stats record
 * @param slowPartitions partitions of the shard in its slow lane
 */
public record ShardStats(long timeMs, String member, double recordsPerSecond, double bytesPerSecond, int slowPartitions) {
  static final byte[] KEY = "stats".getBytes(StandardCharsets.UTF_8);
  private static final byte VERSION = 1;

  byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeLong(timeMs);
      out.writeUTF(member);
      out.writeDouble(recordsPerSecond);
      out.writeDouble(bytesPerSecond);
      out.writeInt(slowPartitions);
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
      return new ShardStats(in.readLong(), in.readUTF(), in.readDouble(), in.readDouble(), in.readInt());
    } catch (IOException e) {
      throw new IllegalArgumentException("truncated shard stats record", e);
    }
  }

  /** Running totals of one shard in this process (both lanes), from which rates are taken. */
  static final class Counters {
    private final LongAdder records = new LongAdder();
    private final LongAdder bytes = new LongAdder();

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
