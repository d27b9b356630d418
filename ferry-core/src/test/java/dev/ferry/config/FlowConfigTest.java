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
    assertThat(FLOW.toBuilder().commitInterval(Duration.ofMinutes(5)).build().commitInterval()).isEqualTo(Duration.ofMinutes(5));
    assertThatThrownBy(() -> FLOW.toBuilder().commitInterval(Duration.ofMinutes(5).plusSeconds(59)).build()).isInstanceOf(ConfigException.class)
        .hasMessageContaining("commit-interval");
    assertThatThrownBy(() -> FLOW.toBuilder().commitInterval(Duration.ofMillis(9)).build()).isInstanceOf(ConfigException.class);
    assertThat(FLOW.maxLatency()).isEqualTo(Duration.ofMillis(50));
    assertThat(FLOW.toBuilder().maxLatency(Duration.ofMillis(1)).build().maxLatency()).isEqualTo(Duration.ofMillis(1));
    assertThatThrownBy(() -> FLOW.toBuilder().maxLatency(Duration.ofNanos(999_999)).build()).isInstanceOf(ConfigException.class)
        .hasMessage("max-latency: PT0.000999999S is out of range 1ms..5m");
    assertThatThrownBy(() -> FLOW.toBuilder().maxLatency(Duration.ofMinutes(5).plusMillis(1)).build()).isInstanceOf(ConfigException.class)
        .hasMessageContaining("max-latency");
    assertThatThrownBy(() -> FLOW.toBuilder().topicRefreshInterval(Duration.ofMinutes(60).plusMillis(1)).build()).isInstanceOf(ConfigException.class)
        .hasMessageContaining("topic-refresh-interval");
    assertThatThrownBy(() -> FLOW.toBuilder().checkpointInterval(Duration.ofMillis(99)).build()).isInstanceOf(ConfigException.class)
        .hasMessageContaining("checkpoint-interval");
    assertThatThrownBy(() -> FLOW.toBuilder().balanceInterval(Duration.ofMillis(999)).build()).isInstanceOf(ConfigException.class)
        .hasMessageContaining("balance-interval");
    assertThatThrownBy(() -> FLOW.toBuilder().shards(1025).build()).isInstanceOf(ConfigException.class).hasMessageContaining("1..1024");
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

  @Test
  void clientPropertiesFerryDecidesAreRefusedWithTheirKey() {
    assertThatThrownBy(() -> new ClusterConfig("A", "127.0.0.1:1", java.util.Map.of("auto.offset.reset", "latest")))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("properties.auto.offset.reset: is decided by Ferry (it starts new partitions");
    assertThatThrownBy(() -> new ClusterConfig("B", "127.0.0.1:1", java.util.Map.of("isolation.level", "read_uncommitted")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("properties.isolation.level: is decided by Ferry");
  }
}
