package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.config.FlowConfig;
import dev.ferry.drill.Verifier;
import dev.ferry.naming.TopicNaming;
import dev.ferry.groups.ProvenanceSearch;
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

  /**
   * Every record of ours on the target translates back and forth exactly: in the map's exact window from the map alone,
   * older ones settled by {@link ProvenanceSearch} between the map's anchors. Returns how many were checked.
   */
  static long assertMapMatchesProvenance(FlowConfig flow, String sourceTopic) {
    Map<TopicPartition, PartitionOffsetMap> maps = OffsetMapReader.read(flow, Duration.ofSeconds(30));
    String targetTopic = TopicNaming.of(flow).targetTopic(sourceTopic);
    List<long[]> checked = new ArrayList<>();
    List<long[]> older = new ArrayList<>(); // (source partition, source offset, target offset) outside the exact window
    Verifier.readAll(flow.target(), targetTopic, Duration.ofSeconds(30), (tp, r) -> {
      Provenance p = ProvenanceCodec.read(r.headers());
      if (p == null || !p.path().get(p.path().size() - 1).equals(flow.source().alias())) {
        return; // written to the target by someone else: the map must step over it, which the lookups below check
      }
      PartitionOffsetMap m = maps.get(new TopicPartition(sourceTopic, p.sourcePartition()));
      assertThat(m).as("map of %s-%d", sourceTopic, p.sourcePartition()).isNotNull();
      PartitionOffsetMap.TargetBounds b = m.targetBounds(p.sourceOffset()).orElseThrow();
      assertThat(r.offset()).as("target of %s-%d@%d within %s", sourceTopic, p.sourcePartition(), p.sourceOffset(), b).isBetween(b.low(), b.high());
      if (m.anchorCount() == 0 || m.sourceOffset(r.offset()).isPresent()) { // the reverse direction: in the exact window
        assertThat(m.sourceOffset(r.offset())).as("source of %s@%d", tp, r.offset()).hasValue(p.sourceOffset());
      }
      if (!b.exact()) {
        older.add(new long[] {p.sourcePartition(), p.sourceOffset(), r.offset()});
      }
      checked.add(new long[] {p.sourceOffset(), r.offset()});
    });
    assertThat(checked).isNotEmpty();
    try (ProvenanceSearch search = new ProvenanceSearch(flow)) {
      // every 37th record older than the window (all of them would take long), settled from the target's headers
      for (int i = 0; i < older.size(); i += 37) {
        long[] o = older.get(i);
        TopicPartition source = new TopicPartition(sourceTopic, (int) o[0]);
        PartitionOffsetMap m = maps.get(source);
        assertThat(search.settle(source, new TopicPartition(targetTopic, (int) o[0]), m.generation(), o[1], m.targetBounds(o[1]).orElseThrow()))
            .as("settled target of %s@%d", source, o[1]).isEqualTo(o[2]);
      }
    }
    return older.size();
  }
}
