package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.config.FlowConfig;
import dev.ferry.drill.Verifier;
import dev.ferry.naming.TopicNaming;
import dev.ferry.offsets.OffsetMapReader;
import dev.ferry.offsets.PartitionOffsetMap;
import dev.ferry.provenance.Provenance;
import dev.ferry.provenance.ProvenanceCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/** Checks a flow's offset map against the provenance headers read back from the target. */
final class OffsetMapCheck {
  private OffsetMapCheck() {}

  static void assertMapMatchesProvenance(FlowConfig flow, String sourceTopic) {
    Map<TopicPartition, PartitionOffsetMap> maps = OffsetMapReader.read(flow, Duration.ofSeconds(30));
    String targetTopic = TopicNaming.of(flow).targetTopic(sourceTopic);
    List<long[]> checked = new ArrayList<>();
    Verifier.readAll(flow.target(), targetTopic, Duration.ofSeconds(30), (tp, r) -> {
      Provenance p = ProvenanceCodec.read(r.headers());
      if (p == null || !p.path().get(p.path().size() - 1).equals(flow.source().alias())) {
        return; // written to the target by someone else: the map must step over it, which the lookups below check
      }
      PartitionOffsetMap m = maps.get(new TopicPartition(sourceTopic, p.sourcePartition()));
      assertThat(m).as("map of %s-%d", sourceTopic, p.sourcePartition()).isNotNull();
      assertThat(m.targetOffset(p.sourceOffset())).as("target of %s-%d@%d", sourceTopic, p.sourcePartition(), p.sourceOffset())
          .hasValue(r.offset());
      assertThat(m.sourceOffset(r.offset())).as("source of %s@%d", tp, r.offset()).hasValue(p.sourceOffset());
      checked.add(new long[] {p.sourceOffset(), r.offset()});
    });
    assertThat(checked).isNotEmpty();
  }
}
