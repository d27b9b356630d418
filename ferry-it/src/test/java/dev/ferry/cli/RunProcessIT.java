package dev.ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verification;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.kafka.Clients;
import dev.ferry.replicate.TwoClusters;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code ferry run} as a separate process: kill -9 in the middle of a transaction, SIGTERM, unreachable clusters. */
class RunProcessIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters();

  /** A {@code ferry} process of its own, its output kept beside the clusters. */
  private static FerryProcess startFerry(String... args) {
    return FerryProcess.start(clusters.directory(), args);
  }

  private static String[] run(String topics, String... extra) {
    return runCommittingEvery("100ms", topics, extra);
  }

  private static String[] runCommittingEvery(String commitInterval, String topics, String... extra) {
    List<String> args = new java.util.ArrayList<>(List.of("run", "--source", "A=" + clusters.clusterA().bootstrap(), "--target", "B=" + clusters.clusterB().bootstrap(),
        "--topics", topics, "--commit-interval", commitInterval));
    args.addAll(List.of(extra));
    return args.toArray(String[]::new);
  }

  private static FlowConfig flow(String topics) {
    return FlowConfig.of(clusters.clusterA(), clusters.clusterB(), TopicSelection.of(topics, null));
  }

  /** High watermark above the last stable offset on some partition: a transaction is open there. */
  private static boolean transactionOpen(String topic, int partitions) throws Exception {
    try (Admin admin = Admin.create(Clients.admin(clusters.clusterB()))) {
      Map<TopicPartition, OffsetSpec> req = new HashMap<>();
      for (int p = 0; p < partitions; p++) {
        req.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      var uncommitted = admin.listOffsets(req, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get();
      var committed = admin.listOffsets(req, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
      return req.keySet().stream().anyMatch(tp -> uncommitted.get(tp).offset() > committed.get(tp).offset());
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) {
        return false; // Ferry has not created the target topic yet
      }
      throw e;
    }
  }

  private static long targetCount(String topic) {
    long[] n = {0};
    Verifier.readAll(clusters.clusterB(), topic, Duration.ofSeconds(30), (tp, r) -> n[0]++);
    return n[0];
  }

  @Test
  void killNineInTheMiddleOfATransactionThenRestartReplicatesExactlyOnce() throws Exception {
    Workload.createTopic(clusters.clusterA(), "k9", 3, Map.of());
    Workload.plain(clusters.clusterA(), "k9", 3, 150_000, 0);
    // transactions of 20 s: the one Ferry holds when it is killed is certainly still open
    try (FerryProcess ferry = startFerry(runCommittingEvery("20s", "k9"))) {
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
          .until(() -> transactionOpen("A.k9", 3) || !ferry.isAlive());
      assertThat(ferry.isAlive()).as(ferry.output()).isTrue();
      ferry.kill9();
      assertThat(transactionOpen("A.k9", 3)).as("the transaction Ferry had open when it died is still open").isTrue();
    }
    // the restart must fence and abort it, and replicate everything exactly once
    try (FerryProcess ferry = startFerry(run("k9"))) {
      Workload.plain(clusters.clusterA(), "k9", 3, 1_000, 150_000);
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
          .until(() -> targetCount("A.k9") >= 151_000 || !ferry.isAlive());
      Verification v = Verifier.verify(flow("k9"), "k9", Duration.ofSeconds(60));
      assertThat(v.sourceRecords()).isEqualTo(151_000);
      assertThat(v.exact()).as("%s\n%s", v, ferry.output()).isTrue();
    }
  }

  @Test
  void sigtermStopsCleanlyWithEverythingCommitted() throws Exception {
    Workload.createTopic(clusters.clusterA(), "term", 2, Map.of());
    Workload.plain(clusters.clusterA(), "term", 2, 20_000, 0);
    try (FerryProcess ferry = startFerry(run("term"))) {
      await().atMost(Duration.ofSeconds(60)).until(() -> targetCount("A.term") > 0 || !ferry.isAlive());
      Workload.plain(clusters.clusterA(), "term", 2, 20_000, 20_000);
      int code = ferry.terminate();
      assertThat(code).as(ferry.output()).isIn(0, 143);
      assertThat(ferry.output()).contains("stopped;").doesNotContain("Exception");
    }
    assertThat(transactionOpen("A.term", 2)).as("a transaction left open").isFalse();
    // what was committed is exact, and it ends where the committed progress says
    try (Admin admin = Admin.create(Clients.admin(clusters.clusterB()))) {
      var progress = admin.listConsumerGroupOffsets("ferry.A-to-B.progress").partitionsToOffsetAndMetadata().get();
      long committed = progress.entrySet().stream().filter(e -> e.getKey().topic().equals("A.term")).mapToLong(e -> e.getValue().offset()).sum();
      Verification v = Verifier.verify(flow("term"), "term", Duration.ofSeconds(30));
      assertThat(v.targetRecords()).isEqualTo(committed);
      assertThat(v.duplicated() + v.unexpected() + v.mismatched() + v.outOfOrder()).isZero();
    }
  }

  @Test
  void runRetriesAnUnreachableClusterWithBackoffAndSaysWhich() throws Exception {
    try (FerryProcess ferry = startFerry("run", "--source", "X=127.0.0.1:1", "--target", "B=" + clusters.clusterB().bootstrap(), "--topics", ".*")) {
      String retry = "cannot reach source cluster X (127.0.0.1:1): no answer from its bootstrap servers; retrying in ";
      await().atMost(Duration.ofSeconds(90)).until(() -> waits(ferry.output(), retry).size() >= 2 || !ferry.isAlive());
      assertThat(ferry.isAlive()).as(ferry.output()).isTrue();
      List<Double> waits = waits(ferry.output(), retry);
      assertThat(waits.get(0)).as("first wait about 1 s").isBetween(0.7, 1.3);
      assertThat(waits.get(1)).as("the wait grows").isGreaterThan(waits.get(0));
    }
  }

  /** The waits (seconds) announced after {@code prefix} in the output, in order. */
  private static List<Double> waits(String output, String prefix) {
    List<Double> out = new java.util.ArrayList<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(prefix) + "([0-9.]+) s").matcher(output);
    while (m.find()) {
      out.add(Double.parseDouble(m.group(1)));
    }
    return out;
  }
}
