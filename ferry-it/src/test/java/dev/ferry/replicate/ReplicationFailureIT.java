package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ferry.FerryException;
import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verification;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.flow.Replicator;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.SourceGaps;
import dev.ferry.status.FlowReport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What cannot be replicated is stopped and reported, one line naming what and where; nothing is skipped. */
class ReplicationFailureIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters();

  private static FlowConfig flow(String name, String topics) {
    return FlowConfig.builder(clusters.clusterA(), clusters.clusterB(), TopicSelection.of(topics, null))
        .name(name)
        .topicRefreshInterval(Duration.ofMillis(500)).build();
  }

  @Test
  void aTargetTopicWithFewerPartitionsStopsThatTopicOnly() {
    Workload.createTopic(clusters.clusterA(), "few", 3, Map.of());
    Workload.createTopic(clusters.clusterB(), "A.few", 2, Map.of());
    Workload.createTopic(clusters.clusterA(), "few-ok", 1, Map.of());
    Workload.plain(clusters.clusterA(), "few", 3, 90, 0);
    Workload.plain(clusters.clusterA(), "few-ok", 1, 50, 0);
    FlowConfig flow = flow("few", "few.*");
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
      assertThat(r.status().topicProblems()).containsOnlyKeys("few");
      assertThat(r.status().topicProblems().get("few").message()).isEqualTo("target topic A.few on B (" + clusters.b().bootstrap()
          + ") has 2 partitions, fewer than the 3 of source topic few; replication of few stopped (add partitions to the target topic or delete it)");
      assertThat(Verifier.verify(flow, "few-ok", Duration.ofSeconds(10)).exact()).isTrue();
      assertThat(Verifier.verify(flow, "few", Duration.ofSeconds(10)).targetRecords()).isZero();
    }
  }

  @Test
  void aTargetTopicWithAnotherCleanupPolicyIsRefused() {
    Workload.createTopic(clusters.clusterA(), "policy", 1, Map.of());
    Workload.createTopic(clusters.clusterB(), "A.policy", 1, Map.of("cleanup.policy", "compact"));
    Workload.plain(clusters.clusterA(), "policy", 1, 10, 0);
    try (Replicator r = Replicator.start(flow("policy", "policy"), Replicator.Startup.FAIL_FAST)) {
      assertThat(r.status().topicProblems().get("policy").message()).isEqualTo("target topic A.policy on B (" + clusters.b().bootstrap()
          + ") has cleanup.policy=compact but source topic policy has cleanup.policy=delete; replication of policy stopped (change or delete the target topic)");
    }
  }

  @Test
  void aRecordTooLargeForTheTargetStopsItsPartitionWithoutSkippingIt() throws Exception {
    ClusterConfig a = clusters.clusterA();
    Workload.createTopic(a, "big", 2, Map.of());
    Workload.createTopic(clusters.clusterB(), "A.big", 2, Map.of("max.message.bytes", "3000"));
    try (KafkaProducer<byte[], byte[]> p = producer(a)) {
      for (int i = 0; i < 20; i++) {
        p.send(new ProducerRecord<>("big", i % 2, null, ("small-" + i).getBytes(StandardCharsets.UTF_8)));
      }
      byte[] incompressible = new byte[10_000];
      new java.util.Random(1).nextBytes(incompressible);
      p.send(new ProducerRecord<>("big", 0, null, incompressible)).get(); // offset 10 of partition 0
      for (int i = 20; i < 40; i++) {
        p.send(new ProducerRecord<>("big", i % 2, null, ("small-" + i).getBytes(StandardCharsets.UTF_8)));
      }
    }
    // the target keeps its own max.message.bytes (else the config sync raises it to the source's, and the record fits)
    FlowConfig flow = flow("big", "big").toBuilder().excludeConfigs(java.util.Set.of("max.message.bytes")).build();
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      TopicPartition big0 = new TopicPartition("big", 0);
      await().atMost(Duration.ofSeconds(60)).until(() -> r.status().replication().partitionProblems().containsKey(big0));
      r.awaitCaughtUp(Duration.ofSeconds(60)); // the other partition goes on
      // the records before the large one are replicated in the shard's next transaction (awaitCaughtUp leaves out
      // partitions with a problem, so it does not wait for that)
      await().atMost(Duration.ofSeconds(30)).until(() -> r.status().replication().committedPositions().getOrDefault(big0, 0L) == 10L);
      assertThat(r.status().replication().partitionProblems().get(big0).message()).isEqualTo("a record of big-0 is larger than target topic partition A.big-0 on B ("
          + clusters.b().bootstrap() + ") accepts (raise max.message.bytes there); replication of big-0 stopped");
      assertThat(r.status().replication().committedPositions().get(new TopicPartition("big", 1))).isEqualTo(20L);
      // more records on both partitions: the other one goes on, the stopped one stays before the large record
      try (KafkaProducer<byte[], byte[]> p = producer(a)) {
        for (int i = 40; i < 60; i++) {
          p.send(new ProducerRecord<>("big", i % 2, null, ("small-" + i).getBytes(StandardCharsets.UTF_8)));
        }
      }
      r.awaitCaughtUp(Duration.ofSeconds(60));
      assertThat(r.status().replication().committedPositions().get(new TopicPartition("big", 1))).isEqualTo(30L);
      assertThat(r.status().replication().committedPositions().get(big0)).as("progress stops before the large record").isEqualTo(10L);
      Verification v = Verifier.verify(flow, "big", Duration.ofSeconds(10));
      assertThat(v.duplicated() + v.unexpected() + v.mismatched() + v.outOfOrder()).isZero();
      assertThat(v.missing()).as("partition 0 from the large record on").isEqualTo(21);
    }
  }

  @Test
  void recordsThatExpiredBeforeTheyWereReplicatedAreAGapReportedAndKeptWithTheProgress() throws Exception {
    ClusterConfig a = clusters.clusterA();
    Workload.createTopic(a, "expiring", 1, Map.of());
    Workload.plain(a, "expiring", 1, 500, 0);
    FlowConfig flow = flow("expiring", "expiring");
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
    }
    Workload.plain(a, "expiring", 1, 1000, 500);
    try (Admin admin = Admin.create(Clients.admin(a))) {
      admin.deleteRecords(Map.of(new TopicPartition("expiring", 0), RecordsToDelete.beforeOffset(1000))).all().get();
    }
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
      assertThat(r.status().replication().expiredBeforeReplication()).isEqualTo(500);
      assertThat(r.status().replication().partitionProblems()).isEmpty();
    }
    Verification v = Verifier.verify(flow, "expiring", Duration.ofSeconds(30));
    assertThat(v.targetRecords()).isEqualTo(1000);
    assertThat(v.missing() + v.duplicated() + v.mismatched() + v.outOfOrder()).as(v.toString()).isZero();
    assertThat(v.unexpected()).as("0..499, replicated before they were deleted on the source").isEqualTo(500);
    FlowReport.PartitionRow row = FlowReport.read(flow).partitions().get(0);
    assertThat(row.gaps()).isEqualTo(new SourceGaps(1, 500, 500, 999));
    assertThat(row.replicatedUpTo()).isEqualTo(1500);
  }

  @Test
  void aSourceTopicRecreatedWithFewerRecordsWhileFerryWasStoppedIsAppendedFromItsStartNotCopiedUnderOldOffsets() throws Exception {
    ClusterConfig a = clusters.clusterA();
    Workload.createTopic(a, "shrunk", 1, Map.of());
    Workload.plain(a, "shrunk", 1, 100, 0);
    FlowConfig flow = flow("shrunk", "shrunk");
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
    }
    try (Admin admin = Admin.create(Clients.admin(a))) {
      admin.deleteTopics(java.util.List.of("shrunk")).all().get();
      await().atMost(Duration.ofSeconds(30)).until(() -> !admin.listTopics().names().get().contains("shrunk"));
    }
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> Workload.createTopic(a, "shrunk", 1, Map.of()));
    Workload.plain(a, "shrunk", 1, 10, 1000);
    // the progress says which topic it was committed for (its topic id): the new topic starts at its beginning
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
      assertThat(r.status().replication().partitionProblems()).isEmpty();
    }
    java.util.List<String> values = new java.util.ArrayList<>();
    Verifier.readAll(flow.target(), "A.shrunk", Duration.ofSeconds(30), (tp, rec) -> values.add(new String(rec.value(), java.nio.charset.StandardCharsets.UTF_8)));
    java.util.List<String> expected = new java.util.ArrayList<>();
    java.util.stream.IntStream.range(0, 100).forEach(i -> expected.add("shrunk-" + i));
    java.util.stream.IntStream.range(1000, 1010).forEach(i -> expected.add("shrunk-" + i));
    assertThat(values).as("the old topic's records, then the new one's, each once").containsExactlyElementsOf(expected);
  }

  @Test
  void aTargetTopicCreatedByTheUserGrowsWithItsSourceTopic() {
    ClusterConfig a = clusters.clusterA();
    Workload.createTopic(a, "growing", 2, Map.of());
    Workload.createTopic(clusters.clusterB(), "A.growing", 2, Map.of());
    Workload.plain(a, "growing", 2, 100, 0);
    FlowConfig flow = flow("growing", "growing");
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST); Admin admin = Admin.create(Clients.admin(a))) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
      admin.createPartitions(Map.of("growing", org.apache.kafka.clients.admin.NewPartitions.increaseTo(3))).all().get();
      Workload.plain(a, "growing", 3, 90, 100);
      await().atMost(Duration.ofSeconds(60)).until(() -> r.status().replication().committedPositions().containsKey(new TopicPartition("growing", 2)));
      r.awaitCaughtUp(Duration.ofSeconds(60));
      assertThat(r.status().topicProblems()).isEmpty();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    assertThat(Verifier.verify(flow, "growing", Duration.ofSeconds(30)).exact()).isTrue();
  }

  @Test
  void anUnreachableClusterFailsFastNamingItsBootstrapServers() {
    FlowConfig flow = FlowConfig.of(new ClusterConfig("gone", "127.0.0.1:1"), clusters.clusterB(), TopicSelection.of(".*", null));
    assertThatThrownBy(() -> Replicator.start(flow, Replicator.Startup.FAIL_FAST))
        .isInstanceOf(FerryException.class)
        .hasMessage("cannot reach source cluster gone (127.0.0.1:1): no answer from its bootstrap servers")
        .satisfies(e -> assertThat(((FerryException) e).reason()).isEqualTo(FerryException.Reason.UNREACHABLE));
  }

  private static KafkaProducer<byte[], byte[]> producer(ClusterConfig c) {
    Properties p = new Properties();
    p.put("bootstrap.servers", c.bootstrap());
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    p.put("linger.ms", "0");
    return new KafkaProducer<>(p);
  }
}
