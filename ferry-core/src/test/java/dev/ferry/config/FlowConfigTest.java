package dev.ferry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FlowConfigTest {
  private static final FlowConfig FLOW = FlowConfig.of(new ClusterConfig("A", "127.0.0.1:1"), new ClusterConfig("B", "127.0.0.1:2"),
      TopicSelection.of(".*", null));

  @Test
  void rangesAreCheckedExactlyAtBothEnds() {
    assertThat(FLOW.withCommitInterval(Duration.ofMinutes(5)).commitInterval()).isEqualTo(Duration.ofMinutes(5));
    assertThatThrownBy(() -> FLOW.withCommitInterval(Duration.ofMinutes(5).plusSeconds(59))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("commit-interval");
    assertThatThrownBy(() -> FLOW.withCommitInterval(Duration.ofMillis(9))).isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> FLOW.withTopicRefreshInterval(Duration.ofMinutes(60).plusMillis(1))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("topic-refresh-interval");
    assertThatThrownBy(() -> FLOW.withCheckpointInterval(Duration.ofMillis(99))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("checkpoint-interval");
    assertThatThrownBy(() -> FLOW.withBalanceInterval(Duration.ofMillis(999))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("balance-interval");
    assertThatThrownBy(() -> FLOW.withShards(1025)).isInstanceOf(ConfigException.class).hasMessageContaining("1..1024");
  }

  @Test
  void theNameDefaultsToSourceToTarget() {
    assertThat(FLOW.name()).isEqualTo("A-to-B");
  }

  @Test
  void sourceAndTargetMustDiffer() {
    assertThatThrownBy(() -> FlowConfig.of(new ClusterConfig("A", "h:1"), new ClusterConfig("A", "h:2"), TopicSelection.of(".*", null)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("target.alias");
  }
}
