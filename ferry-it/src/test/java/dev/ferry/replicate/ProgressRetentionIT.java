package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verification;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.flow.Replicator;
import dev.ferry.kafka.Clients;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Progress outlives the broker's expiry of committed offsets: while Ferry runs, idle partitions' progress is committed
 * again; when it expired anyway (Ferry was stopped for longer), replication resumes where the offset map ends instead of
 * copying everything again. The brokers expire offsets a minute after their commit.
 */
class ProgressRetentionIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters(Map.of("offsets.retention.minutes", "1", "offsets.retention.check.interval.ms", "1000"));

  private static FlowConfig flow(String name, String topic) {
    return FlowConfig.builder(clusters.clusterA(), clusters.clusterB(), TopicSelection.of(topic, null)).name(name).shards(2)
        .topicRefreshInterval(Duration.ofMillis(500)).build();
  }

  @Test
  void progressNeverExpiresWhileFerryRunsAndExpiredProgressResumesFromTheOffsetMap() throws Exception {
    Workload.createTopic(clusters.clusterA(), "kept", 2, Map.of());
    Workload.createTopic(clusters.clusterA(), "lapsed", 2, Map.of());
    Workload.plain(clusters.clusterA(), "kept", 2, 100, 0);
    Workload.plain(clusters.clusterA(), "lapsed", 2, 100, 0);
    FlowConfig kept = flow("kept", "kept");
    FlowConfig lapsed = flow("lapsed", "lapsed");
    try (Replicator r = Replicator.start(lapsed, Replicator.Startup.FAIL_FAST)) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
    }
    try (Replicator running = Replicator.start(kept, Replicator.Startup.FAIL_FAST);
        Admin b = Admin.create(Clients.admin(clusters.clusterB()))) {
      running.awaitCaughtUp(Duration.ofSeconds(60));
      assertThat(progress(b, lapsed)).hasSize(2);
      // a canary committed after every progress of the stopped flow: once the broker expired it, it expired those too
      b.alterConsumerGroupOffsets("canary", Map.of(new TopicPartition("A.kept", 0), new OffsetAndMetadata(1))).all().get();
      await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1))
          .until(() -> b.listConsumerGroupOffsets("canary").partitionsToOffsetAndMetadata().get().isEmpty());

      assertThat(progress(b, lapsed)).as("the stopped flow's progress expired").isEmpty();
      assertThat(progress(b, kept)).as("the running flow's idle progress did not").hasSize(2)
          .allSatisfy((tp, om) -> assertThat(om.offset()).isEqualTo(50));
    }

    Workload.plain(clusters.clusterA(), "lapsed", 2, 20, 100);
    try (Replicator r = Replicator.start(lapsed, Replicator.Startup.FAIL_FAST)) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
      assertThat(r.status().replication().partitionProblems()).isEmpty();
    }
    Verification v = Verifier.verify(lapsed, "lapsed", Duration.ofSeconds(30));
    assertThat(v.exact()).as(v.toString()).isTrue();
    assertThat(v.targetRecords()).isEqualTo(120);
  }

  private static Map<TopicPartition, OffsetAndMetadata> progress(Admin b, FlowConfig flow) throws Exception {
    return b.listConsumerGroupOffsets(FerryNames.progressGroup(flow.name())).partitionsToOffsetAndMetadata().get();
  }
}
