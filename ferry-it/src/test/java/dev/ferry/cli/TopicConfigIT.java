package dev.ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Workload;
import dev.ferry.flow.Replicator;
import dev.ferry.kafka.Clients;
import dev.ferry.replicate.TargetValues;
import dev.ferry.replicate.TwoClusters;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Topic configs follow the source within a topic refresh while Ferry runs, and {@code ferry audit} reports (exit 5)
 * and, with {@code --fix}, repairs what drifted on the target while it did not; target-owned configs are checked by
 * rules, never copied.
 */
class TopicConfigIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters();

  @Test
  void configsFollowTheSourceAndAuditReportsAndFixesDrift() throws Exception {
    ClusterConfig a = clusters.clusterA();
    Workload.createTopic(a, "cfg", 2, Map.of("retention.ms", "86400000"));
    FlowConfig flow = FlowConfig.builder(a, clusters.clusterB(), TopicSelection.of("cfg", null)).name("cfg").shards(1)
        .topicRefreshInterval(Duration.ofSeconds(1)).build();
    try (Admin source = Admin.create(Clients.admin(a)); Admin target = Admin.create(Clients.admin(clusters.clusterB()))) {
      try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
        assertThat(config(target, "A.cfg").get("retention.ms").value()).isEqualTo("86400000");
        alter(source, "cfg", Map.of("retention.ms", "172800000", "cleanup.policy", "compact"));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
          Config c = config(target, "A.cfg");
          assertThat(c.get("retention.ms").value()).isEqualTo("172800000");
          assertThat(c.get("cleanup.policy").value()).isEqualTo("compact");
        });
      }
      // changed by hand on the target while no Ferry runs: a source-owned config and a target-owned one
      alter(target, "A.cfg", Map.of("retention.ms", "60000", "min.insync.replicas", "2"));
      Cli.Result audit = Cli.ferry(args("audit"));
      assertThat(audit.code()).as(audit.out() + audit.err()).isEqualTo(ExitCodes.DRIFT);
      assertThat(audit.out()).contains("config retention.ms: source 172800000, target 60000",
          "rule: A.cfg: min.insync.replicas=2 is above its replication factor 1: every write with acks=all fails", "RESULT: drift (exit 5)");
      assertThat(audit.out()).doesNotContain("config min.insync.replicas");
      Cli.Result status = Cli.ferry(args("status"));
      assertThat(status.out()).as(status.out() + status.err())
          .contains("config rule broken: A.cfg: min.insync.replicas=2 is above its replication factor 1");

      Cli.Result fix = Cli.ferry(args("audit", "--fix"));
      assertThat(fix.out()).as(fix.out() + fix.err()).contains("fixed: A.cfg retention.ms: 60000 -> 172800000 (as on the source)");
      assertThat(fix.code()).as("a target-owned rule is the operator's to fix").isEqualTo(ExitCodes.DRIFT);
      assertThat(config(target, "A.cfg").get("retention.ms").value()).isEqualTo("172800000");
      assertThat(config(target, "A.cfg").get("min.insync.replicas").value()).isEqualTo("2");

      alter(target, "A.cfg", Map.of("min.insync.replicas", "1"));
      Cli.Result clean = Cli.ferry(args("audit", "--format", "json"));
      assertThat(clean.code()).as(clean.out() + clean.err()).isEqualTo(ExitCodes.OK);
      assertThat(clean.out()).contains("\"targetTopic\" : \"A.cfg\"", "\"changes\" : [ ]");
    }
  }

  @Test
  void aSourceTopicDeletedLeavesItsCopyWhichStatusAndAuditShowAsAnOrphan() throws Exception {
    ClusterConfig a = clusters.clusterA();
    Workload.createTopic(a, "gone", 1, Map.of());
    Workload.plain(a, "gone", 1, 50, 0);
    FlowConfig flow = FlowConfig.builder(a, clusters.clusterB(), TopicSelection.of("gone", null)).name("orph").shards(1)
        .topicRefreshInterval(Duration.ofSeconds(1)).build();
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST); Admin source = Admin.create(Clients.admin(a))) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
      source.deleteTopics(List.of("gone")).all().get();
      await().atMost(Duration.ofSeconds(30)).until(() -> !source.listTopics().names().get().contains("gone"));
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
          .until(() -> TargetValues.counts(flow.target(), "A.gone").size() == 50);
      Cli.Result status = Cli.ferry(withFlow("gone", "orph", "status"));
      assertThat(status.out()).as(status.out() + status.err())
          .contains("orphan: target topic A.gone was replicated by the flow, but its source topic is gone (kept)");
    }
    Cli.Result audit = Cli.ferry(withFlow("gone", "orph", "audit"));
    assertThat(audit.code()).as(audit.out() + audit.err()).isEqualTo(ExitCodes.DRIFT);
    assertThat(audit.out()).contains("orphan: target topic A.gone was replicated by the flow, but its source topic is gone");
  }

  private static String[] args(String... verb) {
    return withFlow("cfg", "cfg", verb);
  }

  private static String[] withFlow(String topics, String name, String... verb) {
    List<String> out = new java.util.ArrayList<>(List.of(verb));
    out.addAll(List.of("--source", "A=" + clusters.clusterA().bootstrap(), "--target", "B=" + clusters.clusterB().bootstrap(), "--topics", topics,
        "--name", name));
    return out.toArray(String[]::new);
  }

  private static void alter(Admin admin, String topic, Map<String, String> configs) throws Exception {
    ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    admin.incrementalAlterConfigs(Map.of(r, configs.entrySet().stream()
        .map(e -> new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET)).toList())).all().get();
  }

  private static Config config(Admin admin, String topic) throws Exception {
    ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    return admin.describeConfigs(List.of(r)).all().get().get(r);
  }
}
