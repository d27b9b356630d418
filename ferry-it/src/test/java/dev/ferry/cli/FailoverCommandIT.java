package dev.ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.config.ClusterConfig;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.groups.ResumeCheck;
import dev.ferry.kafka.Clients;
import dev.ferry.local.LocalKafka;
import dev.ferry.provenance.ProvenanceCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code ferry failover} end to end: dry run, the real thing with a group active on the target, and with the source dead. */
class FailoverCommandIT {
  private List<LocalKafka> clusters;
  private Path dir;
  private ClusterConfig a;
  private ClusterConfig b;

  @BeforeEach
  void startClusters() throws Exception {
    dir = Files.createTempDirectory("ferry-failover");
    clusters = LocalKafka.startAll(dir, Map.of(), "A", "B");
    a = new ClusterConfig("A", clusters.get(0).bootstrap());
    b = new ClusterConfig("B", clusters.get(1).bootstrap());
  }

  @AfterEach
  void stopClusters() {
    if (clusters != null) {
      clusters.forEach(LocalKafka::close);
    }
  }

  private String[] flowArgs(String verb, String... extra) {
    List<String> args = new ArrayList<>(List.of(verb.split(" ")));
    args.addAll(List.of("--source", "A=" + a.bootstrap(), "--target", "B=" + b.bootstrap(), "--topics", "orders",
        "--groups", "app|busy"));
    args.addAll(List.of(extra));
    return args.toArray(String[]::new);
  }

  @Test
  void dryRunChangesNothingThenFailoverCommitsExactOffsetsAndLeavesActiveGroupsAlone() throws Exception {
    Set<String> seenOnSource = prepare();
    try (FerryProcess ferry = FerryProcess.start(dir, flowArgs("run", "--no-sync-group-offsets", "--checkpoint-interval", "500ms"))) {
      awaitReplicatedAndCheckpointed();

      Cli.Result dry = Cli.ferry(flowArgs("failover", "--dry-run"));
      assertThat(dry.code()).as(dry.out() + dry.err()).isZero();
      assertThat(dry.out()).contains("[dry run]", "would commit", "process(es) replicating; would be stopped", "at the exact translation of its source position, 0 records lost");
      assertThat(targetOffsets("app")).as("dry run commits nothing").isEmpty();
      assertThat(ferry.isAlive()).isTrue();

      AtomicBoolean stop = new AtomicBoolean();
      Thread busy = activeMember("busy", stop);
      try {
        Cli.Result real = Cli.ferry(flowArgs("failover"));
        assertThat(real.code()).as(real.out() + real.err()).isEqualTo(4); // busy was refused
        assertThat(real.out()).contains("stopped (1 process(es) released their shards; all 4 shards fenced)", "committed",
            "left alone: group busy has 1 active member(s)");
      } finally {
        stop.set(true);
        busy.join();
      }
      assertThat(targetOffsets("busy")).as("an active group is never touched").isEmpty();
      // the running process learns of the failover and stops rather than replicate into the live target
      await().atMost(Duration.ofSeconds(60)).until(() -> !ferry.isAlive());
      assertThat(ferry.exitCode()).as(ferry.output()).isEqualTo(4);
      assertThat(ferry.output()).contains("flow A-to-B failed over to B (" + b.bootstrap() + ") at ");
    }
    Cli.Result again = Cli.ferry(flowArgs("run"));
    assertThat(again.code()).as(again.out() + again.err()).isEqualTo(4);
    assertThat(again.err().strip()).startsWith("ferry: flow A-to-B failed over to B (" + b.bootstrap() + ") at ")
        .endsWith("replication refused (to replicate into it again on purpose, start with --resume-after-failover)")
        .doesNotContain("\n");
    Cli.Result status = Cli.ferry(flowArgs("status"));
    assertThat(status.out()).contains("processes: 0");
    ResumeCheck.assertResumedExactlyOnce(seenOnSource, consumeOnTarget("app"), sourceRecords());
  }

  @Test
  void failoverWithTheSourceKilledUsesTheLastCheckpoints() throws Exception {
    Set<String> seenOnSource = prepare();
    Set<String> source = sourceRecords();
    // the flow runs with 2 shards; the failover is given none (4 by default) and must fence the 2 the flow has
    try (FerryProcess ferry = FerryProcess.start(dir, flowArgs("run", "--no-sync-group-offsets", "--checkpoint-interval", "500ms", "--shards", "2"))) {
      awaitReplicatedAndCheckpointed();
      clusters.get(0).kill(); // the source cluster dies (SIGKILL of its broker process)
      Cli.Result real = Cli.ferry(flowArgs("failover"));
      assertThat(real.code()).as(real.out() + real.err()).isZero();
      assertThat(real.out()).contains("last checkpoints (source A (" + a.bootstrap() + ") does not answer)", "committed", "all 2 shards fenced");
      Cli.Result again = Cli.ferry(flowArgs("failover"));
      assertThat(again.code()).as("running it again finishes nothing more and changes nothing: " + again.out() + again.err()).isZero();
      assertThat(again.out()).contains("all 2 shards fenced", "already there");
    }
    ResumeCheck.assertResumedExactlyOnce(seenOnSource, consumeOnTarget("app"), source);
  }

  @Test
  void aGroupTheSourceAnswersForButNoLongerListsFailsOverAtItsLastCheckpoint() throws Exception {
    Set<String> seenOnSource = prepare();
    Set<String> source = sourceRecords();
    try (FerryProcess ferry = FerryProcess.start(dir, flowArgs("run", "--no-sync-group-offsets", "--checkpoint-interval", "500ms"))) {
      awaitReplicatedAndCheckpointed();
    }
    // what a user without Describe permission on the group sees on the source: the listing leaves it out
    try (Admin admin = Admin.create(Clients.admin(a))) {
      admin.deleteConsumerGroups(List.of("app")).all().get();
    }
    Cli.Result real = Cli.ferry(flowArgs("failover"));
    assertThat(real.code()).as(real.out() + real.err()).isZero();
    assertThat(real.out()).contains("final checkpoint from A (" + a.bootstrap() + "); last checkpoints for groups [app] (unreadable or not listed there)",
        "committed");
    ResumeCheck.assertResumedExactlyOnce(seenOnSource, consumeOnTarget("app"), source);
  }

  /** 30,000 records in 3 partitions; group app reads 60% of each on the source and commits. */
  private Set<String> prepare() {
    Workload.createTopic(a, "orders", 3, Map.of());
    Workload.plain(a, "orders", 3, 30_000, 0);
    Set<String> read = new HashSet<>();
    Map<Integer, List<ConsumerRecord<byte[], byte[]>>> byPartition = new HashMap<>();
    Verifier.readAll(a, "orders", Duration.ofSeconds(30), (tp, r) -> byPartition.computeIfAbsent(tp.partition(), p -> new ArrayList<>()).add(r));
    Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
    byPartition.forEach((p, records) -> {
      int n = (int) (records.size() * 0.6);
      records.subList(0, n).forEach(r -> read.add(new String(r.value(), StandardCharsets.UTF_8)));
      commits.put(new TopicPartition("orders", p), new OffsetAndMetadata(records.get(n - 1).offset() + 1));
    });
    try (KafkaConsumer<byte[], byte[]> c = ResumeCheck.groupConsumer(a, "app")) {
      c.commitSync(commits);
    }
    try (KafkaConsumer<byte[], byte[]> c = ResumeCheck.groupConsumer(a, "busy")) {
      c.commitSync(commits);
    }
    return read;
  }

  private Set<String> sourceRecords() {
    Set<String> out = new HashSet<>();
    Verifier.readAll(a, "orders", Duration.ofSeconds(30), (tp, r) -> out.add(new String(r.value(), StandardCharsets.UTF_8)));
    return out;
  }

  private void awaitReplicatedAndCheckpointed() {
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      Cli.Result t = Cli.ferry(flowArgs("offsets translate", "--group", "app", "--format", "json"));
      Cli.Result s = Cli.ferry(flowArgs("status"));
      String both = t.out() + t.err() + s.out() + s.err();
      assertThat(t.code()).as(both).isZero();
      assertThat(t.out()).as(both).contains("\"recordsAtRisk\" : 0").doesNotContain("\"recordsAtRisk\" : 1", "\"recordsAtRisk\" : 2");
      assertThat(s.out()).as(both).contains(" app ");
      List<String> rows = s.out().lines().filter(l -> l.contains(" A.orders-")).toList();
      assertThat(rows).as(both).hasSize(3).allMatch(l -> l.trim().split("\\s+")[4].equals("0"));
    });
  }

  private Map<TopicPartition, OffsetAndMetadata> targetOffsets(String group) throws Exception {
    try (Admin admin = Admin.create(Clients.admin(b))) {
      return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    }
  }

  private Thread activeMember(String group, AtomicBoolean stop) {
    Thread t = new Thread(() -> {
      try (KafkaConsumer<byte[], byte[]> c = ResumeCheck.groupConsumer(b, group)) {
        c.subscribe(List.of("A.orders"));
        while (!stop.get()) {
          c.poll(Duration.ofMillis(100));
          c.pause(c.assignment());
        }
      }
    }, "active-" + group);
    t.start();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      try (Admin admin = Admin.create(Clients.admin(b))) {
        return !admin.describeConsumerGroups(List.of(group)).all().get().get(group).members().isEmpty();
      }
    });
    return t;
  }

  private List<String> consumeOnTarget(String group) {
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = ResumeCheck.groupConsumer(b, group)) {
      List<TopicPartition> parts = List.of(new TopicPartition("A.orders", 0), new TopicPartition("A.orders", 1), new TopicPartition("A.orders", 2));
      c.assign(parts);
      Map<TopicPartition, OffsetAndMetadata> committed = c.committed(new HashSet<>(parts));
      for (TopicPartition tp : parts) {
        assertThat(committed.get(tp)).as("committed offset of %s on the target", tp).isNotNull();
        c.seek(tp, committed.get(tp).offset());
      }
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          assertThat(ProvenanceCodec.read(r.headers())).isNotNull();
          out.add(new String(r.value(), StandardCharsets.UTF_8));
        }
      }
    }
    return out;
  }
}
