package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.provenance.Provenance;
import dev.ferry.provenance.ProvenanceCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

class RecordMapperTest {
  private static final TopicPartition TARGET = new TopicPartition("A.orders", 2);
  private final List<RuntimeException> unreadable = new ArrayList<>();
  private final RecordMapper mapper = new RecordMapper("A", "B", true, unreadable::add);

  @Test
  void aCopyKeepsKeyValueTimestampAndHeadersAndGainsItsProvenance() {
    ConsumerRecord<byte[], byte[]> r = record(41);
    r.headers().add("trace", bytes("t-1"));
    ProducerRecord<byte[], byte[]> copy = mapper.map(r, TARGET);

    assertThat(copy.topic()).isEqualTo("A.orders");
    assertThat(copy.partition()).isEqualTo(2);
    assertThat(copy.timestamp()).isEqualTo(1_000L);
    assertThat(copy.key()).isEqualTo(bytes("k"));
    assertThat(copy.value()).isEqualTo(bytes("v"));
    assertThat(copy.headers().lastHeader("trace").value()).isEqualTo(bytes("t-1"));
    assertThat(ProvenanceCodec.decode(copy.headers().lastHeader(ProvenanceCodec.HEADER).value()))
        .isEqualTo(new Provenance(List.of("A"), 0, 41));
  }

  @Test
  void aRecordThatPassedThroughTheTargetIsNotCopied() {
    ConsumerRecord<byte[], byte[]> r = record(3);
    r.headers().add(ProvenanceCodec.HEADER, ProvenanceCodec.encode(new Provenance(List.of("B"), 1, 9)));
    assertThat(mapper.map(r, TARGET)).isNull();
  }

  @Test
  void aSecondHopAppendsToThePathAndReplacesTheHeader() {
    ConsumerRecord<byte[], byte[]> r = record(3);
    r.headers().add(ProvenanceCodec.HEADER, ProvenanceCodec.encode(new Provenance(List.of("C"), 1, 9)));
    ProducerRecord<byte[], byte[]> copy = mapper.map(r, TARGET);
    List<Header> provenance = new ArrayList<>();
    copy.headers().headers(ProvenanceCodec.HEADER).forEach(provenance::add);
    assertThat(provenance).hasSize(1);
    assertThat(ProvenanceCodec.decode(provenance.get(0).value())).isEqualTo(new Provenance(List.of("C", "A"), 0, 3));
  }

  @Test
  void anUnreadableProvenanceHeaderIsReportedAndTheRecordCopiedAsIfItHadNone() {
    ConsumerRecord<byte[], byte[]> r = record(5);
    r.headers().add(ProvenanceCodec.HEADER, bytes("garbage"));
    ProducerRecord<byte[], byte[]> copy = mapper.map(r, TARGET);
    assertThat(unreadable).hasSize(1);
    assertThat(ProvenanceCodec.decode(copy.headers().lastHeader(ProvenanceCodec.HEADER).value()))
        .isEqualTo(new Provenance(List.of("A"), 0, 5));
  }

  @Test
  void withoutProvenanceHeadersAreCopiedAsTheyAre() {
    RecordMapper plain = new RecordMapper("A", "B", false, unreadable::add);
    ConsumerRecord<byte[], byte[]> r = record(5);
    r.headers().add(ProvenanceCodec.HEADER, ProvenanceCodec.encode(new Provenance(List.of("B"), 1, 9)));
    ProducerRecord<byte[], byte[]> copy = plain.map(r, TARGET);
    assertThat(copy).as("no loop protection without provenance").isNotNull();
    assertThat(copy.headers().toArray()).hasSize(1);
  }

  private static ConsumerRecord<byte[], byte[]> record(long offset) {
    return new ConsumerRecord<>("orders", 0, offset, 1_000L, org.apache.kafka.common.record.TimestampType.CREATE_TIME, 1, 1, bytes("k"),
        bytes("v"), new org.apache.kafka.common.header.internals.RecordHeaders(), java.util.Optional.empty());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
