package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.client.Checkpoint;
import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.flow.Replicator;
import dev.ferry.groups.ResumeCheck;
import dev.ferry.kafka.Clients;
import dev.ferry.provenance.Provenance;
import dev.ferry.provenance.ProvenanceCodec;
import dev.ferry.status.FlowReport;
import dev.ferry.topics.Recreation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Topics deleted and created again under the same name, told apart by topic id: a recreated source topic is replicated
 * after the old one's records (nothing copied twice, nothing skipped, whatever its new offsets), and a target topic
 * deleted under a running flow is replicated again from its source's start while the other partitions of its shard go
 * on. Both brokers create topics on demand (the broker default), so a client that asks for a deleted topic would bring
 * it back.
 */
class TopicRecreationIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters(Map.of("auto.create.topics.enable", "true"));

  @Test
  void aSourceTopicCreatedAgainIsReplicatedAfterTheOldOnesRecordsExactlyOnceAndTranslatesExactly() throws Exception {
    ClusterConfig a = clusters.clusterA();
    Workload.createTopic(a, "rc", 4, Map.of());
    Workload.plain(a, "rc", 4, 20_000, 0);
    FlowConfig flow = flow("rc", "rc");
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST);
        Admin source = Admin.create(Clients.admin(a))) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
      source.deleteTopics(List.of("rc")).all().get();
      // Ferry's clients never bring the deleted topic back (the broker would create it for a client that asks)
      await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
          .until(() -> !source.listTopics().names().get().contains("rc"));
      Workload.createTopic(a, "rc", 6, Map.of());
      Workload.plain(a, "rc", 6, 5_000, 1_000_000);
      await().atMost(Duration.ofSeconds(90)).until(() -> TargetValues.counts(flow.target(), "A.rc").size() == 25_000);
    }
    // a restart in between: the progress of the new topic is its own
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      Workload.plain(a, "rc", 6, 1_000, 2_000_000);
      await().atMost(Duration.ofSeconds(90)).until(() -> TargetValues.counts(flow.target(), "A.rc").size() == 26_000);

      Map<String, Long> copies = TargetValues.counts(flow.target(), "A.rc");
      assertThat(copies.values()).as("each record once").allMatch(n -> n == 1);
      assertThat(copies.keySet()).containsAll(TargetValues.written("rc", 0, 20_000)).containsAll(TargetValues.written("rc", 1_000_000, 5_000))
          .containsAll(TargetValues.written("rc", 2_000_000, 1_000));
      try (Admin target = Admin.create(Clients.admin(clusters.clusterB()))) {
        assertThat(target.describeTopics(List.of("A.rc")).allTopicNames().get().get("A.rc").partitions()).hasSize(6);
      }

      // a group of the new topic translates to the new topic's records
      Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
      IntStream.range(0, 6).forEach(p -> committed.put(new TopicPartition("rc", p), new OffsetAndMetadata(400)));
      try (KafkaConsumer<byte[], byte[]> c = ResumeCheck.groupConsumer(a, "new-readers")) {
        c.commitSync(committed);
      }
      Map<String, Long> truth = targetOfNewRecords(flow, "A.rc", 1_000_000);
      await().atMost(Duration.ofSeconds(60)).until(() -> r.status().lastCheckpoint()
          .filter(cp -> cp.checkpoints().stream().filter(c -> c.group().equals("new-readers")).count() == 6).isPresent());
      for (Checkpoint cp : r.status().lastCheckpoint().get().checkpoints()) {
        assertThat(cp.targetOffset()).as("%s@%d", cp.source(), cp.sourceOffset()).isEqualTo(truth.get(cp.source() + "@" + cp.sourceOffset()));
      }

      // where the new topic begins in each target partition that held the old one is kept on the target, exactly
      List<Recreation> events = Recreation.readAll(flow, Duration.ofSeconds(30));
      assertThat(events).extracting(e -> e.source().partition()).containsExactlyInAnyOrder(0, 1, 2, 3);
      for (Recreation e : events) {
        assertThat(e.sourceRecreated()).isTrue();
        assertThat(e.sourceStart()).isZero();
        assertThat(e.targetStart()).as("%s", e.source()).isEqualTo(truth.get(e.source() + "@0"));
      }
      assertThat(FlowReport.read(flow).recreations()).singleElement().asString()
          .startsWith("source topic rc was created again (topic id ").contains("A.rc holds the new topic from offsets 0:" + truth.get("rc-0@0") + " 1:");

      // deleted and at once created again, shorter than where Ferry stands: not a truncation, a new topic
      try (Admin source = Admin.create(Clients.admin(a))) {
        source.deleteTopics(List.of("rc")).all().get();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          try {
            source.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("rc", 2, (short) 1))).all().get();
            return true;
          } catch (java.util.concurrent.ExecutionException e) {
            return false; // still being deleted
          }
        });
      }
      Workload.plain(a, "rc", 2, 100, 3_000_000);
      await().atMost(Duration.ofSeconds(90)).until(() -> TargetValues.counts(flow.target(), "A.rc").size() == 26_100);
      assertThat(TargetValues.counts(flow.target(), "A.rc").values()).allMatch(n -> n == 1);
      assertThat(r.status().replication().partitionProblems()).isEmpty();
    }
  }

  @Test
  void aTargetTopicDeletedUnderARunningFlowIsReplicatedAgainWhileTheOtherPartitionsOfItsShardGoOn() throws Exception {
    ClusterConfig a = clusters.clusterA();
    Workload.createTopic(a, "gone", 3, Map.of());
    Workload.createTopic(a, "stays", 3, Map.of());
    Workload.plain(a, "gone", 3, 2_000, 0);
    Workload.plain(a, "stays", 3, 2_000, 0);
    FlowConfig flow = flow("del", "gone|stays");
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST);
        Admin target = Admin.create(Clients.admin(clusters.clusterB()))) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
      target.deleteTopics(List.of("A.gone")).all().get();
      Workload.plain(a, "stays", 3, 1_000, 1_000_000);
      Workload.plain(a, "gone", 3, 500, 1_000_000);
      await().atMost(Duration.ofSeconds(90)).until(() -> TargetValues.counts(flow.target(), "A.stays").size() == 3_000);
      await().atMost(Duration.ofSeconds(90)).until(() -> TargetValues.counts(flow.target(), "A.gone").size() == 2_500);
      r.awaitCaughtUp(Duration.ofSeconds(60));
    }
    assertThat(Verifier.verify(flow, "gone", Duration.ofSeconds(60)).exact()).isTrue();
    assertThat(Verifier.verify(flow, "stays", Duration.ofSeconds(60)).exact()).isTrue();
  }

  @Test
  void aTargetTopicCreatedAgainWithFewerPartitionsGrowsBackAndIsReplicatedAgainExactlyOnce() throws Exception {
    ClusterConfig a = clusters.clusterA();
    Workload.createTopic(a, "few", 4, Map.of());
    Workload.plain(a, "few", 4, 2_000, 0);
    FlowConfig flow = flow("few", "few");
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST);
        Admin target = Admin.create(Clients.admin(clusters.clusterB()))) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
      target.deleteTopics(List.of("A.few")).all().get();
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        try {
          target.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("A.few", 2, (short) 1))).all().get();
          return true;
        } catch (java.util.concurrent.ExecutionException e) {
          return e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException; // Ferry was quicker
        }
      });
      Workload.plain(a, "few", 4, 400, 1_000_000);
      await().atMost(Duration.ofSeconds(90)).until(() -> TargetValues.counts(flow.target(), "A.few").size() == 2_400);
      r.awaitCaughtUp(Duration.ofSeconds(60));
      assertThat(target.describeTopics(List.of("A.few")).allTopicNames().get().get("A.few").partitions()).hasSize(4);
      assertThat(r.status().replication().partitionProblems()).isEmpty();
    }
    assertThat(Verifier.verify(flow, "few", Duration.ofSeconds(60)).exact()).isTrue();
  }

  private static FlowConfig flow(String name, String topics) {
    return FlowConfig.builder(clusters.clusterA(), clusters.clusterB(), TopicSelection.of(topics, null)).name(name).shards(1)
        .commitInterval(Duration.ofMillis(100)).checkpointInterval(Duration.ofMillis(500)).topicRefreshInterval(Duration.ofMillis(500)).build();
  }

  /** Target offset of each record of the new topic (values from {@code firstNew} on), by "topic-partition@source offset". */
  private static Map<String, Long> targetOfNewRecords(FlowConfig flow, String topic, int firstNew) {
    Map<String, Long> out = new HashMap<>();
    Verifier.readAll(flow.target(), topic, Duration.ofSeconds(60), (tp, r) -> {
      String v = new String(r.value(), StandardCharsets.UTF_8);
      if (Integer.parseInt(v.substring(v.lastIndexOf('-') + 1)) >= firstNew) {
        Provenance p = ProvenanceCodec.read(r.headers());
        out.put("rc-" + p.sourcePartition() + "@" + p.sourceOffset(), r.offset());
      }
    });
    return out;
  }
}
