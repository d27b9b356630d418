package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verification;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Replication between two real KRaft clusters: exactly once, every record kind, new topics and partitions. */
class ReplicationTest {
  private static TwoClusters clusters;

  @BeforeAll
  static void startClusters() {
    clusters = TwoClusters.start();
  }

  @AfterAll
  static void stopClusters() {
    if (clusters != null) {
      clusters.close();
    }
  }

  private static FlowConfig flow(String name, String topics) {
    return FlowConfig.of(clusters.clusterA(), clusters.clusterB(), TopicSelection.of(topics, null))
        .withName(name)
        .withTopicRefreshInterval(Duration.ofMillis(500));
  }

  private static void awaitExact(FlowConfig flow, String topic, long expectedRecords) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      Verification v = Verifier.verify(flow, topic, Duration.ofSeconds(30));
      assertThat(v.sourceRecords()).isEqualTo(expectedRecords);
      assertThat(v.exact()).as("%s", v).isTrue();
    });
  }

  @Test
  void plainRecordsArriveExactlyOnceWithKeysHeadersTimestampsAndPartitions() {
    Workload.createTopic(clusters.clusterA(), "plain", 3, Map.of("retention.ms", "86400000"));
    Workload.plain(clusters.clusterA(), "plain", 3, 5_000, 0);
    FlowConfig flow = flow("plain", "plain");
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      awaitExact(flow, "plain", 5_000);
      Workload.plain(clusters.clusterA(), "plain", 3, 1_000, 5_000);
      awaitExact(flow, "plain", 6_000);
      assertThat(r.status().replicatedRecords()).isEqualTo(6_000);
      assertThat(r.failure()).isEmpty();
    }
  }

  @Test
  void identityNamingKeepsTopicNames() {
    Workload.createTopic(clusters.clusterA(), "ident", 2, Map.of());
    Workload.plain(clusters.clusterA(), "ident", 2, 500, 0);
    FlowConfig flow = flow("ident", "ident").withNaming(new Naming(Naming.Mode.IDENTITY, "."));
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      awaitExact(flow, "ident", 500);
    }
  }
}
