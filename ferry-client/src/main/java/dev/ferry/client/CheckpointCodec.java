package dev.ferry.client;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.kafka.common.TopicPartition;

/**
 * Records of a flow's checkpoint topic {@code __ferry.<flow>.checkpoints} on the target (compacted: the latest record
 * per key is the group's current checkpoint for that partition).
 *
 * <pre>
 * key   (version 1): byte 1, UTF group, UTF source topic, int source partition
 * value (version 1): byte 1, long sourceOffset, long targetOffset, long recordsAhead, UTF target topic, int target partition
 * </pre>
 *
 * UTF is Java's modified UTF-8 with a 2-byte length ({@link DataOutputStream#writeUTF}); the record timestamp is the
 * checkpoint's time. All of a group's records are in one partition of the topic, {@link #partition(String, int)}.
 */
public final class CheckpointCodec {
  private static final byte VERSION = 1;

  private CheckpointCodec() {}

  /**
   * The partition of the checkpoint topic that holds {@code group}'s checkpoints: all of a group's records go to one
   * partition (chosen by a hash of its name), so reading one group's checkpoints reads that partition only.
   */
  public static int partition(String group, int partitions) {
    return org.apache.kafka.common.utils.Utils.toPositive(
        org.apache.kafka.common.utils.Utils.murmur2(group.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % partitions;
  }

  /** The checkpoint topic of a flow. */
  public static String topic(String flow) {
    return FerryNames.checkpointTopic(flow);
  }

  public static byte[] key(String group, TopicPartition source) {
    return write(out -> {
      out.writeByte(VERSION);
      out.writeUTF(group);
      out.writeUTF(source.topic());
      out.writeInt(source.partition());
    });
  }

  public static byte[] value(Checkpoint c) {
    return write(out -> {
      out.writeByte(VERSION);
      out.writeLong(c.sourceOffset());
      out.writeLong(c.targetOffset());
      out.writeLong(c.recordsAhead());
      out.writeUTF(c.target().topic());
      out.writeInt(c.target().partition());
    });
  }

  public static Checkpoint decode(byte[] key, byte[] value, long timestamp) {
    try (DataInputStream k = new DataInputStream(new java.io.ByteArrayInputStream(key));
        DataInputStream v = new DataInputStream(new java.io.ByteArrayInputStream(value))) {
      if (k.readByte() != VERSION || v.readByte() != VERSION) {
        throw new IllegalArgumentException("unknown checkpoint record version");
      }
      String group = k.readUTF();
      TopicPartition source = new TopicPartition(k.readUTF(), k.readInt());
      long sourceOffset = v.readLong();
      long targetOffset = v.readLong();
      long ahead = v.readLong();
      TopicPartition target = new TopicPartition(v.readUTF(), v.readInt());
      return new Checkpoint(group, source, target, sourceOffset, targetOffset, ahead, timestamp);
    } catch (IOException e) {
      throw new IllegalArgumentException("corrupt checkpoint record", e);
    }
  }

  /** The group a checkpoint key belongs to, without decoding the rest. */
  public static String groupOf(byte[] key) {
    try (DataInputStream k = new DataInputStream(new java.io.ByteArrayInputStream(key))) {
      k.readByte();
      return k.readUTF();
    } catch (IOException e) {
      throw new IllegalArgumentException("corrupt checkpoint key", e);
    }
  }

  private interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  private static byte[] write(Writer w) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      w.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }
}
