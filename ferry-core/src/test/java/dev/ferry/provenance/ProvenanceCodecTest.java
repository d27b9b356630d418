package dev.ferry.provenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProvenanceCodecTest {
  @Test
  void roundTripsPathPartitionAndOffset() {
    Provenance p = new Provenance(List.of("eu-west", "B", "Ω"), 17, 9_876_543_210L);
    assertThat(ProvenanceCodec.decode(ProvenanceCodec.encode(p))).isEqualTo(p);
  }

  @Test
  void aOneHopHeaderIsCompact() {
    assertThat(ProvenanceCodec.encode(new Provenance(List.of("A"), 3, 123_456))).hasSizeLessThanOrEqualTo(8);
  }

  @Test
  void nextHopAppendsTheClusterReadFrom() {
    Provenance first = Provenance.nextHop(null, "A", 1, 10);
    Provenance second = Provenance.nextHop(first, "B", 2, 20);
    assertThat(second.path()).containsExactly("A", "B");
    assertThat(second.origin()).isEqualTo("A");
    assertThat(second.passedThrough("A")).isTrue();
    assertThat(second.passedThrough("C")).isFalse();
    assertThat(second.sourcePartition()).isEqualTo(2);
  }

  @Test
  void rejectsUnknownVersionsAndTruncatedHeaders() {
    assertThatThrownBy(() -> ProvenanceCodec.decode(new byte[] {9})).hasMessageContaining("version 9");
    byte[] good = ProvenanceCodec.encode(new Provenance(List.of("clusterA"), 0, 0));
    byte[] truncated = java.util.Arrays.copyOf(good, 4);
    assertThatThrownBy(() -> ProvenanceCodec.decode(truncated)).isInstanceOf(RuntimeException.class);
  }

  @Test
  void firstHopEncoderWritesTheSameBytesAsTheGeneralEncoder() {
    ProvenanceCodec.FirstHop eu = new ProvenanceCodec.FirstHop("eu-west");
    for (long offset : new long[] {0, 1, 63, 64, 8191, 1L << 40, Long.MAX_VALUE}) {
      for (int partition : new int[] {0, 1, 63, 64, 1023}) {
        assertThat(eu.encode(partition, offset))
            .isEqualTo(ProvenanceCodec.encode(Provenance.nextHop(null, "eu-west", partition, offset)));
      }
    }
  }
}
