package dev.ferry.groups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.client.ResumeFromCheckpoints;
import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Workload;
import dev.ferry.flow.Replicator;
import dev.ferry.kafka.Clients;
import dev.ferry.naming.TopicNaming;
import dev.ferry.replicate.TwoClusters;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The MM2 scenario: a group consumes part of every partition on the source and commits; Ferry replicates and
 * checkpoints; the group continues on the target from its synced offsets. Every record must be seen exactly once
 * across both clusters: 0 duplicates, 0 missing.
 */
class GroupTranslationIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters();

  private static FlowConfig flow(String name, String topic, String group) {
    return FlowConfig.builder(clusters.clusterA(), clusters.clusterB(), TopicSelection.of(topic, null))
        .name(name)
        .groups(TopicSelection.of(group, null))
        .checkpointInterval(Duration.ofMillis(300))
        .topicRefreshInterval(Duration.ofMillis(500)).build();
  }

  @Test
  void aGroupThatProcessedSixtyPercentResumesOnTheTargetWithNoDuplicateAndNoGap() {
    Workload.createTopic(clusters.clusterA(), "mm2", 3, Map.of());
    Workload.plain(clusters.clusterA(), "mm2", 3, 100_000, 0);
    runScenario(flow("mm2", "mm2", "billing"), "mm2", "billing", 0.6, 100_000);
  }

  @Test
  void aGroupFarBehindResumesExactly() {
    Workload.createTopic(clusters.clusterA(), "behind", 3, Map.of());
    Workload.plain(clusters.clusterA(), "behind", 3, 30_000, 0);
    runScenario(flow("behind", "behind", "slow"), "behind", "slow", 0.1, 30_000);
  }

  @Test
  void aGroupFullyCaughtUpResumesAtTheEnd() {
    Workload.createTopic(clusters.clusterA(), "done", 3, Map.of());
    Workload.plain(clusters.clusterA(), "done", 3, 30_000, 0);
    runScenario(flow("done", "done", "fast"), "done", "fast", 1.0, 30_000);
  }

  @Test
  void aTransactionalSourceWithAbortsResumesExactly() {
    Workload.createTopic(clusters.clusterA(), "txg", 3, Map.of());
    long aborted = Workload.transactional(clusters.clusterA(), "txg", 3, 600, 50, 4);
    runScenario(flow("txg", "txg", "payments"), "txg", "payments", 0.6, 30_000 - aborted);
  }

  @Test
  void aCompactedSourceResumesExactly() {
    Workload.createTopic(clusters.clusterA(), "cmp", 3,
        Map.of("cleanup.policy", "compact", "segment.ms", "100", "min.cleanable.dirty.ratio", "0.01"));
    Workload.compacted(clusters.clusterA(), "cmp", 3, 5_000, 30_000, 4, Duration.ofMillis(150));
    await().atMost(Duration.ofSeconds(30)).until(() -> values(clusters.clusterA(), "cmp").size() < 30_000);
    // the target copy must not compact under the test's feet: it keeps every copied record
    FlowConfig f = flow("cmp", "cmp", "stock");
    f = f.toBuilder().topicConfigs(Map.of("segment.ms", "604800000")).build();
    runScenario(f, "cmp", "stock", 0.6, -1);
  }

  @Test
  void identityNamingResumesExactly() {
    Workload.createTopic(clusters.clusterA(), "same", 3, Map.of());
    Workload.plain(clusters.clusterA(), "same", 3, 30_000, 0);
    runScenario(flow("same", "same", "ident").toBuilder().naming(new Naming(Naming.Mode.IDENTITY, ".")).build(), "same", "ident", 0.6, 30_000);
  }

  @Test
  void aGroupActiveOnTheTargetIsNotTouchedAndTheClientLibraryResumesItExactly() throws Exception {
    ClusterConfig a = clusters.clusterA();
    ClusterConfig b = clusters.clusterB();
    Workload.createTopic(a, "live", 3, Map.of());
    Workload.plain(a, "live", 3, 30_000, 0);
    Set<String> onSource = consumeOnSource(a, "live", "standby", 0.6);
    FlowConfig flow = flow("live", "live", "standby");
    // a member of the group is already running on the target before Ferry checkpoints it
    AtomicBoolean stop = new AtomicBoolean();
    Thread member = new Thread(() -> {
      try (KafkaConsumer<byte[], byte[]> c = ResumeCheck.groupConsumer(b, "standby", "earliest")) {
        c.subscribe(List.of("A.live"));
        while (!stop.get()) {
          c.poll(Duration.ofMillis(100));
          // it processes nothing: an idle standby that has not been told where to start
          c.pause(c.assignment());
        }
      }
    }, "standby-member");
    member.start();
    try (Admin admin = Admin.create(Clients.admin(b))) {
      await().atMost(Duration.ofSeconds(30)).until(() ->
          !admin.describeConsumerGroups(List.of("standby")).all().get().get("standby").members().isEmpty());
      try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
        r.awaitCaughtUp(Duration.ofSeconds(60));
        await().atMost(Duration.ofSeconds(30)).until(() -> r.status().lastCheckpoint()
            .filter(c -> c.activeOnTarget().containsKey("standby") && c.checkpoints().size() == 3).isPresent());
        assertThat(r.status().lastCheckpoint().get().activeOnTarget().get("standby")).contains("has 1 active member(s)");
        assertThat(admin.listConsumerGroupOffsets("standby").partitionsToOffsetAndMetadata().get()).as("untouched").isEmpty();
      }
      stop.set(true);
      member.join();
    }
    // the same group resumes on the target with the client library
    Map<String, Object> targetClient = new HashMap<>(Map.of("bootstrap.servers", b.bootstrap()));
    Set<String> onTarget = new HashSet<>();
    List<String> all = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = ResumeCheck.groupConsumer(b, "standby", "earliest")) {
      ResumeFromCheckpoints listener = new ResumeFromCheckpoints(c, targetClient, "live", "standby");
      c.subscribe(List.of("A.live"), listener);
      long end = 30_000 + 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (onTarget.size() + onSource.size() < end && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> rec : c.poll(Duration.ofMillis(200))) {
          String v = targetIdentity(rec);
          all.add(v);
          onTarget.add(v);
        }
      }
      assertThat(listener.resumedPartitions()).hasSize(3);
    }
    assertExactlyOnce(onSource, all, values(a, "live"));
  }

  /** Consume a fraction of each partition on the source, commit, let Ferry replicate and sync, consume the rest on the target. */
  private static void runScenario(FlowConfig flow, String topic, String group, double fraction, long expectedTotal) {
    ClusterConfig a = clusters.clusterA();
    ClusterConfig b = clusters.clusterB();
    Set<String> onSource = consumeOnSource(a, topic, group, fraction);
    Set<String> source = values(a, topic);
    if (expectedTotal >= 0) {
      assertThat(source).hasSize((int) expectedTotal);
    }
    String targetTopic = TopicNaming.of(flow).targetTopic(topic);
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST); Admin admin = Admin.create(Clients.admin(b))) {
      r.awaitCaughtUp(Duration.ofSeconds(120));
      // a round after the catch-up: nothing at risk, and its translations are what the target group holds
      await().atMost(Duration.ofSeconds(30)).until(() -> r.status().lastCheckpoint()
          .filter(c -> c.recordsAtRisk() == 0 && c.checkpoints().size() == 3).isPresent());
      Map<TopicPartition, Long> translated = new HashMap<>();
      r.status().lastCheckpoint().get().checkpoints().forEach(c -> translated.put(c.target(), c.targetOffset()));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        Map<TopicPartition, Long> synced = new HashMap<>();
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().forEach((tp, om) -> synced.put(tp, om.offset()));
        assertThat(synced).isEqualTo(translated);
      });
    }
    List<String> onTarget = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = ResumeCheck.groupConsumer(b, group, "earliest")) {
      List<TopicPartition> parts = List.of(new TopicPartition(targetTopic, 0), new TopicPartition(targetTopic, 1), new TopicPartition(targetTopic, 2));
      c.assign(parts);
      Map<TopicPartition, OffsetAndMetadata> committed = c.committed(new HashSet<>(parts));
      parts.forEach(tp -> c.seek(tp, committed.get(tp).offset()));
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> rec : c.poll(Duration.ofMillis(200))) {
          onTarget.add(targetIdentity(rec));
        }
      }
    }
    assertExactlyOnce(onSource, onTarget, source);
  }

  private static void assertExactlyOnce(Set<String> onSource, List<String> onTarget, Set<String> source) {
    ResumeCheck.assertResumedExactlyOnce(onSource, onTarget, source);
    assertThat(onSource.size() + new HashSet<>(onTarget).size()).isEqualTo(source.size());
  }

  /** Reads {@code fraction} of each partition's records with a manual-commit consumer of {@code group}, commits, returns what it read. */
  private static Set<String> consumeOnSource(ClusterConfig a, String topic, String group, double fraction) {
    Map<Integer, List<ConsumerRecord<byte[], byte[]>>> byPartition = new HashMap<>();
    dev.ferry.drill.Verifier.readAll(a, topic, Duration.ofSeconds(60), (tp, r) -> byPartition.computeIfAbsent(tp.partition(), p -> new ArrayList<>()).add(r));
    Set<String> read = new HashSet<>();
    Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
    byPartition.forEach((p, records) -> {
      int n = (int) Math.round(records.size() * fraction);
      for (int i = 0; i < n; i++) {
        read.add(new String(records.get(i).value() == null ? new byte[0] : records.get(i).value(), StandardCharsets.UTF_8) + "#" + p + "@" + records.get(i).offset());
      }
      long next = n == 0 ? 0 : records.get(n - 1).offset() + 1;
      commits.put(new TopicPartition(topic, p), new OffsetAndMetadata(next));
    });
    try (KafkaConsumer<byte[], byte[]> c = ResumeCheck.groupConsumer(a, group, "earliest")) {
      c.commitSync(commits);
    }
    return read;
  }

  /** A copied record's identity on the target: its value and its source offset, from the provenance header. */
  private static String targetIdentity(ConsumerRecord<byte[], byte[]> r) {
    var p = dev.ferry.provenance.ProvenanceCodec.read(r.headers());
    return new String(r.value() == null ? new byte[0] : r.value(), StandardCharsets.UTF_8) + "#" + p.sourcePartition() + "@" + p.sourceOffset();
  }

  /** Identity of each record: its value and source offset (tombstones have no value). */
  private static Set<String> values(ClusterConfig c, String topic) {
    Set<String> out = new HashSet<>();
    dev.ferry.drill.Verifier.readAll(c, topic, Duration.ofSeconds(60), (tp, r) ->
        out.add(new String(r.value() == null ? new byte[0] : r.value(), StandardCharsets.UTF_8) + "#" + tp.partition() + "@" + r.offset()));
    return out;
  }
}
