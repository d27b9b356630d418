package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.flow.Replicator;
import dev.ferry.local.LocalKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A target where Ferry's user may not write one topic: that topic stops with a clear error, the others go on. */
class PermissionIT {
  private static LocalKafka source;
  private static LocalKafka target;

  @BeforeAll
  static void startClusters() throws Exception {
    Path dir = Files.createTempDirectory("ferry-acl");
    source = LocalKafka.create("A", dir.resolve("A"), Map.of());
    target = LocalKafka.createSecured("B", dir.resolve("B"), Map.of("ferry", "ferry-secret"));
    source.start();
    target.start();
    Properties admin = new Properties();
    admin.put("bootstrap.servers", target.bootstrap());
    admin.putAll(target.clientProperties(LocalKafka.ADMIN));
    try (Admin a = Admin.create(admin)) {
      List<AclBinding> acls = new ArrayList<>();
      allow(acls, ResourceType.TOPIC, "A.", PatternType.PREFIXED, AclOperation.CREATE, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER,
          AclOperation.READ);
      allow(acls, ResourceType.TOPIC, "A.open", PatternType.LITERAL, AclOperation.WRITE);
      allow(acls, ResourceType.TOPIC, "__ferry.", PatternType.PREFIXED, AclOperation.ALL);
      allow(acls, ResourceType.GROUP, "ferry.", PatternType.PREFIXED, AclOperation.ALL);
      allow(acls, ResourceType.TRANSACTIONAL_ID, "ferry.", PatternType.PREFIXED, AclOperation.ALL);
      a.createAcls(acls).all().get();
    }
  }

  private static void allow(List<AclBinding> acls, ResourceType type, String name, PatternType pattern, AclOperation... ops) {
    for (AclOperation op : ops) {
      acls.add(new AclBinding(new ResourcePattern(type, name, pattern), new AccessControlEntry("User:ferry", "*", op, AclPermissionType.ALLOW)));
    }
  }

  @AfterAll
  static void stopClusters() {
    if (source != null) {
      source.close();
    }
    if (target != null) {
      target.close();
    }
  }

  @Test
  void aTopicFerryMayNotWriteStopsWithAnErrorNamingItWhileOthersReplicate() {
    ClusterConfig a = new ClusterConfig("A", source.bootstrap());
    ClusterConfig b = new ClusterConfig("B", target.bootstrap(), target.clientProperties("ferry"));
    Workload.createTopic(a, "open", 1, Map.of());
    Workload.createTopic(a, "closed", 1, Map.of());
    Workload.plain(a, "open", 1, 200, 0);
    Workload.plain(a, "closed", 1, 200, 0);
    FlowConfig flow = FlowConfig.builder(a, b, TopicSelection.of("open|closed", null)).topicRefreshInterval(Duration.ofMillis(500)).build();
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      TopicPartition closed = new TopicPartition("closed", 0);
      await().atMost(Duration.ofSeconds(60)).until(() -> r.status().replication().partitionProblems().containsKey(closed));
      r.awaitCaughtUp(Duration.ofSeconds(60));
      assertThat(r.status().replication().partitionProblems().get(closed).message())
          .isEqualTo("not authorized to write A.closed-0 on B (" + target.bootstrap() + "); replication of closed-0 stopped");
      assertThat(r.status().replication().committedPositions().get(closed)).isZero();
      assertThat(Verifier.verify(flow, "open", Duration.ofSeconds(30)).exact()).isTrue();
      assertThat(r.failure()).isEmpty();
    }
  }
}
