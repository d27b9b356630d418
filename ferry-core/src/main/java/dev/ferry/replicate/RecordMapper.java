package dev.ferry.replicate;

import dev.ferry.provenance.Provenance;
import dev.ferry.provenance.ProvenanceCodec;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

/**
 * The record written to the target for a source record: same key, value, timestamp and headers, and Ferry's
 * provenance header with this hop added. A record whose provenance path already holds the target cluster is not copied
 * (loop protection). No I/O, no state but what it is built with.
 */
final class RecordMapper {
  private final String sourceAlias;
  private final String targetAlias;
  private final boolean provenance;
  private final ProvenanceCodec.FirstHop firstHop;
  private final Consumer<RuntimeException> unreadableHeader;

  /**
   * @param provenance whether to write the provenance header (without it there is no loop protection)
   * @param unreadableHeader told of a provenance header that cannot be decoded; the record is then copied as if it had none
   */
  RecordMapper(String sourceAlias, String targetAlias, boolean provenance, Consumer<RuntimeException> unreadableHeader) {
    this.sourceAlias = sourceAlias;
    this.targetAlias = targetAlias;
    this.provenance = provenance;
    this.firstHop = new ProvenanceCodec.FirstHop(sourceAlias);
    this.unreadableHeader = unreadableHeader;
  }

  /** The copy of {@code r} for {@code target}; null when the record came from the target before (not copied). */
  ProducerRecord<byte[], byte[]> map(ConsumerRecord<byte[], byte[]> r, TopicPartition target) {
    Header[] sourceHeaders = r.headers().toArray(); // no iterator, no copy when there are none
    Provenance previous = provenance ? previous(sourceHeaders) : null;
    if (previous != null && previous.passedThrough(targetAlias)) {
      return null;
    }
    // the record's own headers object is filled directly: headers passed to the constructor would be copied again
    ProducerRecord<byte[], byte[]> copy = new ProducerRecord<>(target.topic(), target.partition(), r.timestamp(), r.key(), r.value());
    for (Header h : sourceHeaders) {
      if (!provenance || !h.key().equals(ProvenanceCodec.HEADER)) {
        copy.headers().add(h);
      }
    }
    if (provenance) {
      copy.headers().add(ProvenanceCodec.HEADER, previous == null ? firstHop.encode(r.partition(), r.offset())
          : ProvenanceCodec.encode(Provenance.nextHop(previous, sourceAlias, r.partition(), r.offset())));
    }
    return copy;
  }

  private Provenance previous(Header[] headers) {
    Provenance previous = null;
    for (Header h : headers) {
      if (h.key().equals(ProvenanceCodec.HEADER)) {
        try {
          previous = ProvenanceCodec.decode(h.value());
        } catch (RuntimeException e) {
          unreadableHeader.accept(e);
          previous = null;
        }
      }
    }
    return previous;
  }
}
