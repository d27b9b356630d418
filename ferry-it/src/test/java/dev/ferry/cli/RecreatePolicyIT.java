package dev.ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.Problem;
import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.OnRecreate;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.flow.Replicator;
import dev.ferry.kafka.Clients;
import dev.ferry.replicate.TargetValues;
import dev.ferry.replicate.TwoClusters;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The on-recreate policies other than the default append: {@code stop} copies nothing of a recreated source topic and
 * says why (in the running flow and in {@code ferry status}) until {@code ferry resync} re-syncs the topic, and
 * {@code resync} does that by itself. Either way the target then holds exactly the new topic's records, in its
 * partition count, while the flow's process keeps running.
 */
class RecreatePolicyIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters(Map.of("auto.create.topics.enable", "true"));

  @Test
  void underStopNothingOfTheNewTopicIsCopiedAndStatusSaysWhyUntilFerryResync() throws Exception {
    ClusterConfig a = clusters.clusterA();
    Workload.createTopic(a, "st", 4, Map.of());
    Workload.plain(a, "st", 4, 20_000, 0);
    FlowConfig flow = flow("st", OnRecreate.STOP);
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
      recreate(a, "st", 6, Duration.ofSeconds(2)); // absent for a few topic refreshes: still told apart
      Workload.plain(a, "st", 6, 5_000, 1_000_000);
      await().atMost(Duration.ofSeconds(30)).until(() -> r.status().topicProblems().containsKey("st"));
      assertThat(r.status().topicProblems().get("st").reason()).isEqualTo(Problem.Reason.TOPIC_RECREATED);
      assertThat(r.status().topicProblems().get("st").message()).contains("on-recreate stop", "ferry resync --topic st");
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> TargetValues.counts(flow.target(), "A.st").size() == 20_000);
      assertThat(partitions("A.st")).as("nothing done to the target topic").isEqualTo(4);

      Cli.Result status = Cli.ferry(args(flow, "status"));
      assertThat(status.out()).as(status.out() + status.err()).contains("recreated: source topic st was deleted and created again",
          "not replicated (on-recreate stop; run ferry resync --topic st");

      Cli.Result audit = Cli.ferry(args(flow, "audit"));
      assertThat(audit.code()).as(audit.out() + audit.err()).isEqualTo(ExitCodes.DRIFT);
      assertThat(audit.out()).contains("recreated: source topic st was deleted and created again");

      Cli.Result dry = Cli.ferry(args(flow, "resync", "--topic", "st", "--dry-run"));
      assertThat(dry.code()).as(dry.out() + dry.err()).isZero();
      assertThat(dry.out()).contains("[dry run] Re-sync of st", "would delete A.st: 4 partitions, ");
      assertThat(TargetValues.counts(flow.target(), "A.st")).hasSize(20_000);

      Cli.Result resync = Cli.ferry(args(flow, "resync", "--topic", "st"));
      assertThat(resync.code()).as(resync.out() + resync.err()).isZero();
      assertThat(resync.out()).contains("deletes A.st: 4 partitions, ", "RESULT: deleted A.st");
      await().atMost(Duration.ofSeconds(90)).until(() -> TargetValues.counts(flow.target(), "A.st").keySet().equals(TargetValues.written("st", 1_000_000, 5_000)));
      r.awaitCaughtUp(Duration.ofSeconds(60));
      assertThat(TargetValues.counts(flow.target(), "A.st").values()).allMatch(n -> n == 1);
      assertThat(partitions("A.st")).isEqualTo(6);
      assertThat(r.status().topicProblems()).isEmpty();
    }
    assertThat(Verifier.verify(flow, "st", Duration.ofSeconds(60)).exact()).isTrue();
  }

  @Test
  void underResyncTheTargetTopicIsReplacedByACopyOfTheNewTopic() throws Exception {
    ClusterConfig a = clusters.clusterA();
    Workload.createTopic(a, "rs", 4, Map.of());
    Workload.plain(a, "rs", 4, 20_000, 0);
    FlowConfig flow = flow("rs", OnRecreate.RESYNC);
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
      recreate(a, "rs", 6, Duration.ZERO);
      Workload.plain(a, "rs", 6, 5_000, 1_000_000);
      await().atMost(Duration.ofSeconds(90)).until(() -> TargetValues.counts(flow.target(), "A.rs").keySet().equals(TargetValues.written("rs", 1_000_000, 5_000)));
      r.awaitCaughtUp(Duration.ofSeconds(60));
      assertThat(TargetValues.counts(flow.target(), "A.rs").values()).allMatch(n -> n == 1);
      assertThat(partitions("A.rs")).isEqualTo(6);
    }
    assertThat(Verifier.verify(flow, "rs", Duration.ofSeconds(60)).exact()).isTrue();

    // recreated again while no Ferry runs: found at start from the progress, and re-synced all the same
    recreate(a, "rs", 3, Duration.ZERO);
    Workload.plain(a, "rs", 3, 300, 2_000_000);
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      await().atMost(Duration.ofSeconds(90)).until(() -> TargetValues.counts(flow.target(), "A.rs").keySet().equals(TargetValues.written("rs", 2_000_000, 300)));
      r.awaitCaughtUp(Duration.ofSeconds(60));
      assertThat(TargetValues.counts(flow.target(), "A.rs").values()).allMatch(n -> n == 1);
      assertThat(partitions("A.rs")).isEqualTo(3);
    }
  }

  @Test
  void underResyncSeveralTopicsRecreatedAtOnceAreStoppedNotDeleted() throws Exception {
    ClusterConfig a = clusters.clusterA();
    for (String t : List.of("bulk1", "bulk2")) {
      Workload.createTopic(a, t, 2, Map.of());
      Workload.plain(a, t, 2, 300, 0);
    }
    FlowConfig flow = FlowConfig.builder(a, clusters.clusterB(), TopicSelection.of("bulk1|bulk2", null)).name("bulk").shards(1)
        .commitInterval(Duration.ofMillis(100)).topicRefreshInterval(Duration.ofSeconds(2)).onRecreate(OnRecreate.RESYNC).build();
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST); Admin source = Admin.create(Clients.admin(a))) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
      source.deleteTopics(List.of("bulk1", "bulk2")).all().get();
      await().atMost(Duration.ofSeconds(30)).until(() -> source.listTopics().names().get().stream().noneMatch(t -> t.startsWith("bulk")));
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
        Workload.createTopic(a, "bulk1", 2, Map.of());
        Workload.createTopic(a, "bulk2", 2, Map.of());
      });
      await().atMost(Duration.ofSeconds(30)).until(() -> r.status().topicProblems().keySet().containsAll(List.of("bulk1", "bulk2")));
      assertThat(r.status().topicProblems().get("bulk1").message()).contains("were deleted and created again at once", "not re-synced");
      assertThat(TargetValues.counts(flow.target(), "A.bulk1")).as("the copies are kept").hasSize(300);
      assertThat(TargetValues.counts(flow.target(), "A.bulk2")).hasSize(300);
    }
  }

  @Test
  void resyncIsRefusedWhileAGroupReadsTheTargetTopicAndNamesAnUnknownTopic() throws Exception {
    FlowConfig flow = flow("nope", OnRecreate.APPEND);
    Cli.Result unknown = Cli.ferry(args(flow, "resync", "--topic", "other"));
    assertThat(unknown.code()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(unknown.err().strip()).isEqualTo("ferry: --topic: source topic 'other' is not replicated by flow nope (topics include=nope)");

    Workload.createTopic(clusters.clusterB(), "A.nope", 1, Map.of());
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Thread reader = new Thread(() -> {
      try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> c = dev.ferry.groups.ResumeCheck.groupConsumer(clusters.clusterB(), "reader")) {
        c.subscribe(List.of("A.nope"));
        while (!stop.get()) {
          c.poll(Duration.ofMillis(100));
        }
      }
    }, "reader");
    reader.start();
    try (Admin target = Admin.create(Clients.admin(clusters.clusterB()))) {
      await().atMost(Duration.ofSeconds(30)).until(() -> target.describeConsumerGroups(List.of("reader")).all().get().get("reader").members()
          .stream().anyMatch(m -> !m.assignment().topicPartitions().isEmpty()));
      Cli.Result refused = Cli.ferry(args(flow, "resync", "--topic", "nope"));
      assertThat(refused.code()).as(refused.out() + refused.err()).isEqualTo(ExitCodes.REFUSED);
      assertThat(refused.err().strip()).isEqualTo("ferry: target topic A.nope on B (" + clusters.clusterB().bootstrap()
          + ") is read by active consumer group(s) [reader]; nothing was changed (stop them first, or give --force)");
      assertThat(target.listTopics().names().get()).contains("A.nope");
    } finally {
      stop.set(true);
      reader.join();
    }
  }

  private static FlowConfig flow(String topic, OnRecreate policy) {
    return FlowConfig.builder(clusters.clusterA(), clusters.clusterB(), TopicSelection.of(topic, null)).name(topic).shards(2)
        .commitInterval(Duration.ofMillis(100)).topicRefreshInterval(Duration.ofMillis(500)).onRecreate(policy).build();
  }

  private static String[] args(FlowConfig flow, String... verb) {
    List<String> out = new java.util.ArrayList<>(List.of(verb));
    out.addAll(List.of("--source", "A=" + flow.source().bootstrap(), "--target", "B=" + flow.target().bootstrap(), "--topics",
        flow.topics().include().pattern(), "--name", flow.name(), "--on-recreate", flow.onRecreate().spelled()));
    return out.toArray(String[]::new);
  }

  /** Deletes the source topic and creates it again with {@code partitions}, once the deletion is done and {@code absent} passed. */
  private static void recreate(ClusterConfig c, String topic, int partitions, Duration absent) throws Exception {
    try (Admin admin = Admin.create(Clients.admin(c))) {
      admin.deleteTopics(List.of(topic)).all().get();
      await().atMost(Duration.ofSeconds(30)).until(() -> !admin.listTopics().names().get().contains(topic));
      if (!absent.isZero()) {
        await().during(absent).atMost(absent.plusSeconds(10)).until(() -> !admin.listTopics().names().get().contains(topic));
      }
    }
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> Workload.createTopic(c, topic, partitions, Map.of()));
  }

  private static int partitions(String topic) throws Exception {
    try (Admin target = Admin.create(Clients.admin(clusters.clusterB()))) {
      return target.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
    }
  }

}
