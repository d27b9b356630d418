package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verification;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.flow.Replicator;
import dev.ferry.kafka.Clients;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Replication between two real KRaft clusters: exactly once, every record kind, new topics and partitions. */
class ReplicationIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters();

  private static FlowConfig flow(String name, String topics) {
    return FlowConfig.builder(clusters.clusterA(), clusters.clusterB(), TopicSelection.of(topics, null))
        .name(name)
        .topicRefreshInterval(Duration.ofMillis(500)).build();
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
      assertThat(r.status().replication().replicatedRecords()).isEqualTo(6_000);
      assertThat(r.failure()).isEmpty();
    }
    OffsetMapCheck.assertMapMatchesProvenance(flow, "plain");
  }

  @Test
  void statusShowsEachPartitionsReplicationLatencyWhileRecordsFlow() {
    Workload.createTopic(clusters.clusterA(), "steady", 2, Map.of());
    FlowConfig flow = flow("steady", "steady");
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      // each shard reports its partitions' latencies every 5 s, in a transaction that copies records; the first report
      // may hold the records written before the shards started, the later ones hold records replicated within a second
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
        Workload.plain(clusters.clusterA(), "steady", 2, 50, 0); // timestamps within 50 ms of now
        java.util.List<dev.ferry.status.FlowReport.PartitionRow> rows = dev.ferry.status.FlowReport.read(flow).partitions();
        assertThat(rows).hasSize(2).allSatisfy(row -> {
          assertThat(row.latencyMs()).as("%s", row).isPresent();
          assertThat(row.latencyMs().getAsLong()).as("%s", row).isBetween(0L, 3_000L);
        });
      });
      assertThat(r.failure()).isEmpty();
    }
  }

  @Test
  void identityNamingKeepsTopicNames() {
    Workload.createTopic(clusters.clusterA(), "ident", 2, Map.of());
    Workload.plain(clusters.clusterA(), "ident", 2, 500, 0);
    FlowConfig flow = flow("ident", "ident").toBuilder().naming(new Naming(Naming.Mode.IDENTITY, ".")).build();
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      awaitExact(flow, "ident", 500);
    }
  }

  @Test
  void transactionalSourceCopiesCommittedRecordsOnlyAndMapCrossesMarkers() {
    Workload.createTopic(clusters.clusterA(), "tx", 2, Map.of());
    long aborted = Workload.transactional(clusters.clusterA(), "tx", 2, 40, 25, 4);
    assertThat(aborted).isEqualTo(250);
    FlowConfig flow = flow("tx", "tx");
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
      Verification v = Verifier.verify(flow, "tx", Duration.ofSeconds(30));
      assertThat(v.sourceRecords()).isEqualTo(750);
      assertThat(v.unexpected()).as("aborted records copied").isZero();
      assertThat(v.exact()).as("%s", v).isTrue();
      assertThat(r.status().replication().replicatedRecords()).isEqualTo(750);
    }
    OffsetMapCheck.assertMapMatchesProvenance(flow, "tx");
  }

  @Test
  void compactedSourceWithHolesIsCopiedExactly() {
    Workload.createTopic(clusters.clusterA(), "compact", 2,
        Map.of("cleanup.policy", "compact", "segment.ms", "100", "min.cleanable.dirty.ratio", "0.01"));
    Workload.compacted(clusters.clusterA(), "compact", 2, 300, 3_000, 4, Duration.ofMillis(150));
    await().atMost(Duration.ofSeconds(30)).until(() -> countRecords(clusters.clusterA(), "compact") < 3_000);
    FlowConfig flow = flow("compact", "compact");
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
      Verification v = Verifier.verify(flow, "compact", Duration.ofSeconds(30), true);
      assertThat(v.exact()).as("%s", v).isTrue();
    }
    OffsetMapCheck.assertMapMatchesProvenance(flow, "compact");
    assertThat(topicConfig(clusters.clusterB(), "A.compact", "cleanup.policy")).isEqualTo("compact");
  }

  @Test
  void topicsAndPartitionsCreatedWhileRunningAreReplicatedWithTheirConfigs() {
    FlowConfig flow = flow("late", "late.*");
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      Workload.createTopic(clusters.clusterA(), "late.one", 2,
          Map.of("retention.ms", "3600000", "max.message.bytes", "2000000", "compression.type", "zstd"));
      Workload.plain(clusters.clusterA(), "late.one", 2, 100, 0);
      // within a topic refresh (2 s) on a quiet machine; the deadline leaves room for a busy one
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> Verifier.verify(flow, "late.one", Duration.ofSeconds(5)).exact());
      assertThat(topicConfig(clusters.clusterB(), "A.late.one", "retention.ms")).isEqualTo("3600000");
      assertThat(topicConfig(clusters.clusterB(), "A.late.one", "max.message.bytes")).isEqualTo("2000000");
      assertThat(topicConfig(clusters.clusterB(), "A.late.one", "compression.type")).isEqualTo("zstd");

      addPartitions(clusters.clusterA(), "late.one", 4);
      Workload.plain(clusters.clusterA(), "late.one", 4, 100, 100);
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> Verifier.verify(flow, "late.one", Duration.ofSeconds(5)).exact());
      assertThat(partitionCount(clusters.clusterB(), "A.late.one")).isEqualTo(4);
    }
  }

  @Test
  void aSecondProcessOfTheSameFlowSharesShardsWithoutCorruption() {
    Workload.createTopic(clusters.clusterA(), "shared", 4, Map.of());
    Workload.plain(clusters.clusterA(), "shared", 4, 2_000, 0);
    FlowConfig flow = flow("shared", "shared");
    try (Replicator first = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      first.awaitCaughtUp(Duration.ofSeconds(60));
      try (Replicator second = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
        Workload.plain(clusters.clusterA(), "shared", 4, 2_000, 2_000);
        await().atMost(Duration.ofSeconds(60)).until(() -> !second.status().replication().ownedShards().isEmpty());
        awaitExact(flow, "shared", 4_000);
      }
      Workload.plain(clusters.clusterA(), "shared", 4, 1_000, 4_000);
      awaitExact(flow, "shared", 5_000);
    }
  }

  @Test
  void internalTopicsAndFerrysOwnAreNeverReplicated() {
    Workload.createTopic(clusters.clusterA(), "everything", 1, Map.of());
    Workload.plain(clusters.clusterA(), "everything", 1, 10, 0);
    FlowConfig flow = flow("everything", ".*");
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
      assertThat(Verifier.verify(flow, "everything", Duration.ofSeconds(10)).exact()).isTrue();
    }
    try (var admin = org.apache.kafka.clients.admin.Admin.create(Clients.admin(clusters.clusterB()))) {
      var names = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true)).names().get();
      assertThat(names).contains("A.everything").noneMatch(n -> n.startsWith("A.__") || n.startsWith("A._"));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static long countRecords(dev.ferry.config.ClusterConfig c, String topic) {
    long[] n = {0};
    Verifier.readAll(c, topic, Duration.ofSeconds(10), (tp, r) -> n[0]++);
    return n[0];
  }

  static String topicConfig(dev.ferry.config.ClusterConfig c, String topic, String key) {
    try (var admin = org.apache.kafka.clients.admin.Admin.create(Clients.admin(c))) {
      var res = new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topic);
      return admin.describeConfigs(java.util.List.of(res)).all().get().get(res).get(key).value();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static int partitionCount(dev.ferry.config.ClusterConfig c, String topic) {
    try (var admin = org.apache.kafka.clients.admin.Admin.create(Clients.admin(c))) {
      return admin.describeTopics(java.util.List.of(topic)).allTopicNames().get().get(topic).partitions().size();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static void addPartitions(dev.ferry.config.ClusterConfig c, String topic, int total) {
    try (var admin = org.apache.kafka.clients.admin.Admin.create(Clients.admin(c))) {
      admin.createPartitions(Map.of(topic, org.apache.kafka.clients.admin.NewPartitions.increaseTo(total))).all().get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
