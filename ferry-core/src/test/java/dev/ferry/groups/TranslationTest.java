package dev.ferry.groups;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.client.Checkpoint;
import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.offsets.MapUpdate;
import dev.ferry.offsets.OffsetRun;
import dev.ferry.offsets.PartitionOffsetMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class TranslationTest {
  private static final FlowConfig FLOW = FlowConfig.of(new ClusterConfig("A", "127.0.0.1:1"), new ClusterConfig("B", "127.0.0.1:2"),
      TopicSelection.of("orders|other", null));
  private static final TopicPartition ORDERS = new TopicPartition("orders", 0);

  /** Source 0..9 at target 0..9, a transaction marker at source 10, source 11..20 at target 11..20 (Ferry's marker at 10). */
  private static Map<TopicPartition, PartitionOffsetMap> maps() {
    PartitionOffsetMap m = new PartitionOffsetMap();
    m.apply(new MapUpdate(11, List.of(new OffsetRun(0, 0, 10))));
    m.apply(new MapUpdate(21, List.of(new OffsetRun(11, 11, 10))));
    return Map.of(ORDERS, m);
  }

  @Test
  void aReplicatedPositionTranslatesExactlyWithNothingAtRisk() {
    List<Checkpoint> c = Translation.translate(FLOW, maps(), Map.of(), (src, t, g, pos, b) -> b.low(), "app", Map.of(ORDERS, new OffsetAndMetadata(15)), 7L);
    assertThat(c).containsExactly(new Checkpoint("app", ORDERS, new TopicPartition("A.orders", 0), 15, 15, 0, 7L));
  }

  @Test
  void aPositionOnAMarkerTranslatesToTheNextReplicatedRecord() {
    List<Checkpoint> c = Translation.translate(FLOW, maps(), Map.of(), (src, t, g, pos, b) -> b.low(), "app", Map.of(ORDERS, new OffsetAndMetadata(10)), 7L);
    assertThat(c.get(0).targetOffset()).isEqualTo(11);
  }

  @Test
  void aPositionAheadOfReplicationTranslatesToTheEndAndCountsTheRestAtRisk() {
    List<Checkpoint> c = Translation.translate(FLOW, maps(), Map.of(), (src, t, g, pos, b) -> b.low(), "app", Map.of(ORDERS, new OffsetAndMetadata(25)), 7L);
    assertThat(c.get(0).targetOffset()).isEqualTo(21);
    assertThat(c.get(0).recordsAhead()).isEqualTo(4);
  }

  @Test
  void partitionsWithoutAMapOrOutsideTheFlowAreLeftOut() {
    Map<TopicPartition, OffsetAndMetadata> committed = Map.of(new TopicPartition("other", 0), new OffsetAndMetadata(3),
        new TopicPartition("elsewhere", 0), new OffsetAndMetadata(3));
    assertThat(Translation.translate(FLOW, maps(), Map.of(), (src, t, g, pos, b) -> b.low(), "app", committed, 7L)).isEmpty();
  }

  @Test
  void ferrysOwnGroupsAreNeverFollowed() {
    assertThat(Translation.follows(FLOW, "app")).isTrue();
    assertThat(Translation.follows(FLOW, "ferry.A-to-B.progress")).isFalse();
    assertThat(Translation.follows(FLOW, "console-consumer-123")).as("a tool's group").isFalse();
  }
}
