package dev.ferry.offsets;

import dev.ferry.kafka.Incarnation;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.ByteUtils;

/**
 * Records of the offset-map topic (compacted). Per source partition there are two kinds, told apart by the key (UTF-8;
 * ':' is not legal in topic names):
 *
 * <ul>
 *   <li>update, key {@code <source topic>:<partition>:u<slot>}, where slot = sequence number mod {@link #SLOTS}: what
 *       one replication transaction added. Value version 4: byte 4, varlong seq, the source and the target topic id (16
 *       bytes each, most significant half first; zero when unknown), varlong sourceNext, varint run count, then per run
 *       varlong sourceStart, varlong targetStart, varint count. Version 2 is the same without the topic ids.
 *   <li>snapshot, key {@code <source topic>:<partition>:s}: the partition's whole map as of update {@code seq}, written
 *       in the transaction of every {@link #SNAPSHOT_EVERY}-th update (and the first). Value version 5: byte 5, varlong
 *       seq, the two topic ids as in an update, varlong sourceNext (zig-zag; -1 none), varint generation, varlong
 *       firstSource, varint stride, varlong dropped runs, varint anchor count, anchors as (delta source, delta target)
 *       varlongs, varint run count, runs as (delta sourceStart from the previous run's end, delta targetStart likewise,
 *       varint count). Version 3 is the same without the topic ids.
 * </ul>
 *
 * Compaction keeps the last record of each key: the latest snapshot and the last {@link #SLOTS} updates, which include
 * every update after that snapshot. Versions 2 and 3, and the first format (version 1, key {@code <source
 * topic>:<partition>}, no sequence number), are still read.
 */
public final class OffsetMapCodec {
  /** Update slots per source partition: twice the snapshot spacing, so every update after the last snapshot survives. */
  public static final int SLOTS = 512;
  /** A snapshot goes with every this-many-th update. */
  public static final int SNAPSHOT_EVERY = SLOTS / 2;
  private static final byte V1 = 1;
  private static final byte UPDATE_V2 = 2;
  private static final byte SNAPSHOT_V3 = 3;
  private static final byte UPDATE = 4;
  private static final byte SNAPSHOT = 5;

  /** What a record of the map topic is, and of which source partition. */
  public enum Kind { UPDATE, SNAPSHOT, UNNUMBERED_UPDATE }

  public record Key(TopicPartition source, Kind kind) {}

  private OffsetMapCodec() {}

  /** Whether update {@code seq} of a partition goes with a snapshot of its map as of the update before. */
  public static boolean snapshotDue(long seq) {
    return (seq - 1) % SNAPSHOT_EVERY == 0;
  }

  public static byte[] updateKey(TopicPartition source, long seq) {
    return (prefix(source) + ":u" + Math.floorMod(seq, SLOTS)).getBytes(StandardCharsets.UTF_8);
  }

  public static byte[] snapshotKey(TopicPartition source) {
    return (prefix(source) + ":s").getBytes(StandardCharsets.UTF_8);
  }

  private static String prefix(TopicPartition source) {
    return source.topic() + ":" + source.partition();
  }

  public static Key decodeKey(byte[] key) {
    String s = new String(key, StandardCharsets.UTF_8);
    int first = s.indexOf(':');
    int second = first < 0 ? -1 : s.indexOf(':', first + 1);
    if (first <= 0) {
      throw new IllegalArgumentException("bad offset-map key '" + s + "'");
    }
    String topic = s.substring(0, first);
    if (second < 0) {
      return new Key(new TopicPartition(topic, Integer.parseInt(s.substring(first + 1))), Kind.UNNUMBERED_UPDATE);
    }
    TopicPartition source = new TopicPartition(topic, Integer.parseInt(s.substring(first + 1, second)));
    String kind = s.substring(second + 1);
    if (kind.equals("s")) {
      return new Key(source, Kind.SNAPSHOT);
    }
    if (kind.startsWith("u")) {
      return new Key(source, Kind.UPDATE);
    }
    throw new IllegalArgumentException("bad offset-map key '" + s + "'");
  }

  public static byte[] updateValue(long seq, MapUpdate u) {
    ByteBuffer b = ByteBuffer.allocate(1 + 10 + 32 + 10 + 5 + u.runs().size() * 25);
    b.put(UPDATE);
    ByteUtils.writeVarlong(seq, b);
    writeIds(u.incarnation(), b);
    writeUpdate(u, b);
    return bytes(b);
  }

  private static void writeIds(Incarnation ids, ByteBuffer b) {
    for (Uuid id : List.of(ids.source(), ids.target())) {
      b.putLong(id.getMostSignificantBits());
      b.putLong(id.getLeastSignificantBits());
    }
  }

  private static Incarnation readIds(ByteBuffer b) {
    Uuid source = new Uuid(b.getLong(), b.getLong());
    return new Incarnation(source, new Uuid(b.getLong(), b.getLong()));
  }

  private static void writeUpdate(MapUpdate u, ByteBuffer b) {
    ByteUtils.writeVarlong(u.sourceNext(), b);
    ByteUtils.writeVarint(u.runs().size(), b);
    for (OffsetRun r : u.runs()) {
      ByteUtils.writeVarlong(r.sourceStart(), b);
      ByteUtils.writeVarlong(r.targetStart(), b);
      ByteUtils.writeVarint(r.count(), b);
    }
  }

  /** The snapshot record of {@code map} as it is now. */
  public static byte[] snapshotValue(PartitionOffsetMap map) {
    PartitionOffsetMap.Snapshot s = map.snapshot();
    ByteBuffer b = ByteBuffer.allocate(1 + 32 + 10 * 6 + 5 * 3 + s.anchors().length * 20 + s.runs().length * 25);
    b.put(SNAPSHOT);
    ByteUtils.writeVarlong(s.seq(), b);
    writeIds(s.incarnation(), b);
    ByteUtils.writeVarlong(s.sourceNext(), b);
    ByteUtils.writeVarint(s.generation(), b);
    ByteUtils.writeVarlong(s.firstSource(), b);
    ByteUtils.writeVarint(s.stride(), b);
    ByteUtils.writeVarlong(s.dropped(), b);
    ByteUtils.writeVarint(s.anchors().length, b);
    long ps = 0;
    long pt = 0;
    for (long[] a : s.anchors()) {
      ByteUtils.writeVarlong(a[0] - ps, b);
      ByteUtils.writeVarlong(a[1] - pt, b);
      ps = a[0];
      pt = a[1];
    }
    ByteUtils.writeVarint(s.runs().length, b);
    ps = 0;
    pt = 0;
    for (OffsetRun r : s.runs()) {
      ByteUtils.writeVarlong(r.sourceStart() - ps, b);
      ByteUtils.writeVarlong(r.targetStart() - pt, b);
      ByteUtils.writeVarint(r.count(), b);
      ps = r.sourceEnd();
      pt = r.targetEnd();
    }
    return bytes(b);
  }

  /**
   * Applies one record of the map topic to the partition's map: an update (an old one is ignored), or a snapshot that
   * replaces the map when it is newer than what the map holds (or the map is incomplete). Returns true when the update
   * began a new generation.
   */
  public static boolean apply(PartitionOffsetMap map, Kind kind, byte[] value) {
    ByteBuffer b = ByteBuffer.wrap(value);
    byte v = b.get();
    switch (kind) {
      case UNNUMBERED_UPDATE -> {
        expect(v, kind, V1, V1);
        return map.applyUnnumbered(readUpdate(b, Incarnation.UNKNOWN));
      }
      case UPDATE -> {
        expect(v, kind, UPDATE, UPDATE_V2);
        long seq = ByteUtils.readVarlong(b);
        Incarnation ids = v == UPDATE ? readIds(b) : Incarnation.UNKNOWN;
        return map.apply(seq, readUpdate(b, ids));
      }
      case SNAPSHOT -> {
        expect(v, kind, SNAPSHOT, SNAPSHOT_V3);
        Incarnation ids = Incarnation.UNKNOWN;
        long seq = ByteUtils.readVarlong(b);
        if (v == SNAPSHOT) {
          ids = readIds(b);
        }
        PartitionOffsetMap.Snapshot s = readSnapshot(seq, ids, b);
        if (s.seq() > map.seq() || map.incomplete()) {
          map.restore(s);
        }
        return false;
      }
      default -> throw new IllegalArgumentException("unknown kind " + kind);
    }
  }

  /** The update in an update record (either version); for tests and tools. */
  public static MapUpdate decodeUpdate(byte[] value) {
    ByteBuffer b = ByteBuffer.wrap(value);
    byte v = b.get();
    Incarnation ids = Incarnation.UNKNOWN;
    if (v == UPDATE || v == UPDATE_V2) {
      ByteUtils.readVarlong(b);
      if (v == UPDATE) {
        ids = readIds(b);
      }
    } else if (v != V1) {
      throw new IllegalArgumentException("not an offset-map update (version " + v + ")");
    }
    return readUpdate(b, ids);
  }

  private static void expect(byte actual, Kind kind, byte expected, byte older) {
    if (actual != expected && actual != older) {
      throw new IllegalArgumentException("offset-map record of kind " + kind + " has version " + actual + ", expected " + expected);
    }
  }

  private static MapUpdate readUpdate(ByteBuffer b, Incarnation ids) {
    long sourceNext = ByteUtils.readVarlong(b);
    int n = ByteUtils.readVarint(b);
    List<OffsetRun> runs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      runs.add(new OffsetRun(ByteUtils.readVarlong(b), ByteUtils.readVarlong(b), ByteUtils.readVarint(b)));
    }
    return new MapUpdate(sourceNext, runs, ids);
  }

  private static PartitionOffsetMap.Snapshot readSnapshot(long seq, Incarnation ids, ByteBuffer b) {
    long sourceNext = ByteUtils.readVarlong(b);
    int generation = ByteUtils.readVarint(b);
    long firstSource = ByteUtils.readVarlong(b);
    int stride = ByteUtils.readVarint(b);
    long dropped = ByteUtils.readVarlong(b);
    int na = ByteUtils.readVarint(b);
    long[][] anchors = new long[na][];
    long ps = 0;
    long pt = 0;
    for (int i = 0; i < na; i++) {
      ps += ByteUtils.readVarlong(b);
      pt += ByteUtils.readVarlong(b);
      anchors[i] = new long[] {ps, pt};
    }
    int nr = ByteUtils.readVarint(b);
    OffsetRun[] runs = new OffsetRun[nr];
    ps = 0;
    pt = 0;
    for (int i = 0; i < nr; i++) {
      long s = ps + ByteUtils.readVarlong(b);
      long t = pt + ByteUtils.readVarlong(b);
      runs[i] = new OffsetRun(s, t, ByteUtils.readVarint(b));
      ps = runs[i].sourceEnd();
      pt = runs[i].targetEnd();
    }
    return new PartitionOffsetMap.Snapshot(seq, sourceNext, generation, firstSource, stride, dropped, anchors, runs, ids);
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.position()];
    b.flip();
    b.get(out);
    return out;
  }
}
