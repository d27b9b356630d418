package dev.ferry.provenance;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.utils.ByteUtils;

/**
 * The provenance header, {@value #HEADER}. Binary, version 1:
 *
 * <pre>
 *   byte     version (1)
 *   varint   number of clusters in the path (n >= 1)
 *   n times: varint length, UTF-8 bytes of the cluster alias   (origin first, last hop's source last)
 *   varint   partition on the last hop's source
 *   varlong  offset on the last hop's source
 * </pre>
 *
 * Varints are zig-zag encoded as in Kafka's record format. A one-hop record from cluster {@code A} takes 8-12 bytes.
 */
public final class ProvenanceCodec {
  public static final String HEADER = "ferry.prov";
  private static final byte VERSION = 1;

  private ProvenanceCodec() {}

  public static byte[] encode(Provenance p) {
    byte[][] names = new byte[p.path().size()][];
    int size = 1 + 5 + 5 + 10;
    for (int i = 0; i < names.length; i++) {
      names[i] = p.path().get(i).getBytes(StandardCharsets.UTF_8);
      size += 5 + names[i].length;
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.put(VERSION);
    ByteUtils.writeVarint(names.length, b);
    for (byte[] n : names) {
      ByteUtils.writeVarint(n.length, b);
      b.put(n);
    }
    ByteUtils.writeVarint(p.sourcePartition(), b);
    ByteUtils.writeVarlong(p.sourceOffset(), b);
    byte[] out = new byte[b.position()];
    b.flip();
    b.get(out);
    return out;
  }

  /**
   * Encodes first-hop headers (records without a provenance of their own, the common case) for one source cluster:
   * the version and path are encoded once, each record adds only its partition and offset. Same bytes as
   * {@code encode(Provenance.nextHop(null, alias, partition, offset))}.
   */
  public static final class FirstHop {
    private final byte[] prefixBytes;

    public FirstHop(String alias) {
      byte[] name = alias.getBytes(StandardCharsets.UTF_8);
      ByteBuffer b = ByteBuffer.allocate(1 + 5 + 5 + name.length);
      b.put(VERSION);
      ByteUtils.writeVarint(1, b);
      ByteUtils.writeVarint(name.length, b);
      b.put(name);
      this.prefixBytes = Arrays.copyOf(b.array(), b.position());
    }

    public byte[] encode(int partition, long offset) {
      int size = prefixBytes.length + ByteUtils.sizeOfVarint(partition) + ByteUtils.sizeOfVarlong(offset);
      byte[] out = Arrays.copyOf(prefixBytes, size);
      ByteBuffer b = ByteBuffer.wrap(out, prefixBytes.length, size - prefixBytes.length);
      ByteUtils.writeVarint(partition, b);
      ByteUtils.writeVarlong(offset, b);
      return out;
    }
  }

  public static Provenance decode(byte[] value) {
    if (value == null || value.length < 1) {
      throw new IllegalArgumentException("empty provenance header");
    }
    ByteBuffer b = ByteBuffer.wrap(value);
    byte version = b.get();
    if (version != VERSION) {
      throw new IllegalArgumentException("unknown provenance header version " + version);
    }
    int n = ByteUtils.readVarint(b);
    if (n < 1 || n > 64) {
      throw new IllegalArgumentException("provenance path of " + n + " clusters");
    }
    List<String> path = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int len = ByteUtils.readVarint(b);
      if (len < 0 || len > b.remaining()) {
        throw new IllegalArgumentException("bad cluster name length " + len);
      }
      path.add(new String(value, b.position(), len, StandardCharsets.UTF_8));
      b.position(b.position() + len);
    }
    int partition = ByteUtils.readVarint(b);
    long offset = ByteUtils.readVarlong(b);
    return new Provenance(path, partition, offset);
  }

  /** The provenance of a record, from the last {@value #HEADER} header, or null when it has none. */
  public static Provenance read(Headers headers) {
    Header h = headers.lastHeader(HEADER);
    return h == null ? null : decode(h.value());
  }
}
