package dev.ferry.offsets;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.ByteUtils;

/**
 * Records of the offset-map topic. Key: UTF-8 {@code <source topic>:<partition>} (':' is not legal in topic names).
 * Value, version 1: byte 1, varlong sourceNext, varint run count, then per run varlong sourceStart, varlong
 * targetStart, varint count. One record per source partition per replication transaction that advanced it.
 */
public final class OffsetMapCodec {
  private static final byte VERSION = 1;

  private OffsetMapCodec() {}

  public static byte[] key(TopicPartition sourcePartition) {
    return (sourcePartition.topic() + ":" + sourcePartition.partition()).getBytes(StandardCharsets.UTF_8);
  }

  public static TopicPartition decodeKey(byte[] key) {
    String s = new String(key, StandardCharsets.UTF_8);
    int colon = s.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("bad offset-map key '" + s + "'");
    }
    return new TopicPartition(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)));
  }

  public static byte[] value(MapUpdate u) {
    ByteBuffer b = ByteBuffer.allocate(1 + 10 + 5 + u.runs().size() * 25);
    b.put(VERSION);
    ByteUtils.writeVarlong(u.sourceNext(), b);
    ByteUtils.writeVarint(u.runs().size(), b);
    for (OffsetRun r : u.runs()) {
      ByteUtils.writeVarlong(r.sourceStart(), b);
      ByteUtils.writeVarlong(r.targetStart(), b);
      ByteUtils.writeVarint(r.count(), b);
    }
    byte[] out = new byte[b.position()];
    b.flip();
    b.get(out);
    return out;
  }

  public static MapUpdate decodeValue(byte[] value) {
    ByteBuffer b = ByteBuffer.wrap(value);
    byte v = b.get();
    if (v != VERSION) {
      throw new IllegalArgumentException("unknown offset-map record version " + v);
    }
    long sourceNext = ByteUtils.readVarlong(b);
    int n = ByteUtils.readVarint(b);
    List<OffsetRun> runs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      runs.add(new OffsetRun(ByteUtils.readVarlong(b), ByteUtils.readVarlong(b), ByteUtils.readVarint(b)));
    }
    return new MapUpdate(sourceNext, runs);
  }
}
