package dev.ferry.failback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.config.ClusterConfig;
import dev.ferry.config.ConfigException;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import dev.ferry.config.TopicSelection;
import dev.ferry.kafka.Incarnation;
import dev.ferry.naming.TopicNaming;
import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

class ReverseFlowTest {
  private final FlowConfig forward = FlowConfig.builder(new ClusterConfig("A", "a:9092"), new ClusterConfig("B", "b:9092"),
      TopicSelection.of("orders.*", null)).shards(8).topicConfigs(java.util.Map.of("retention.ms", "86400000")).build();

  @Test
  void theReverseFlowSwapsTheClustersKeepsTheTopicsAndShardsAndCheckpointsNoGroup() {
    FlowConfig r = ReverseFlow.of(forward);
    assertThat(r.name()).isEqualTo("A-to-B-failback");
    assertThat(r.source().alias()).isEqualTo("B");
    assertThat(r.target().alias()).isEqualTo("A");
    assertThat(r.shards()).isEqualTo(8);
    assertThat(r.provenance()).isTrue();
    assertThat(r.groups().matches("billing")).isFalse();
    assertThat(r.syncGroupOffsets()).isFalse();
    assertThat(r.topicConfigs()).as("the forward flow's overrides are meant for B").isEmpty();
    assertThat(r.excludeConfigs()).as("prefix naming: its own B.* topics take B's configs").isEmpty();
    FlowConfig identity = ReverseFlow.of(forward.toBuilder().naming(new Naming(Naming.Mode.IDENTITY, ".")).build());
    assertThat(identity.excludeConfigs()).as("identity naming: A's own topics keep their configs").isEqualTo(dev.ferry.config.SyncedConfigs.SOURCE_OWNED);
  }

  @Test
  void underPrefixNamingBsOwnTopicGoesToBDotAndTheCopyOfAsTopicStaysOnB() {
    TopicNaming back = TopicNaming.of(ReverseFlow.of(forward));
    assertThat(back.targetTopic("orders")).isEqualTo("B.orders");
    assertThat(back.isReplicable("A.orders")).as("A's own data").isFalse();
    TopicNaming identity = TopicNaming.of(ReverseFlow.of(forward.toBuilder().naming(new Naming(Naming.Mode.IDENTITY, ".")).build()));
    assertThat(identity.targetTopic("orders")).isEqualTo("orders");
  }

  @Test
  void eachBPartitionStartsWhereTheForwardFlowsWritesEndedAndOthersAtTheirBeginning() {
    Uuid id = Uuid.randomUuid();
    var starts = ReverseFlow.starts(List.of(new FailbackPlan.DeltaRow(new TopicPartition("orders", 0), id, new TopicPartition("orders", 0), 5_001,
        5_300, 0, 0)));
    assertThat(starts.of(new TopicPartition("orders", 0), new Incarnation(id, Uuid.randomUuid()))).hasValue(5_001);
    assertThat(starts.of(new TopicPartition("orders", 1), new Incarnation(id, Uuid.randomUuid()))).isEmpty();
    assertThat(starts.of(new TopicPartition("orders", 0), new Incarnation(Uuid.randomUuid(), Uuid.randomUuid())))
        .as("B's topic created again since the plan").isEmpty();
  }

  @Test
  void aForwardFlowNameTooLongForItsFailbackFlowIsReportedByKey() {
    FlowConfig longName = forward.toBuilder().name("f".repeat(95)).build();
    assertThatThrownBy(() -> ReverseFlow.of(longName)).isInstanceOf(ConfigException.class).hasMessageContaining("is too long to name its failback flow");
  }
}
