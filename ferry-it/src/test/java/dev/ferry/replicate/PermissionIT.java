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
    Map<String, String> users = new java.util.HashMap<>(Map.of("ferry", "ferry-secret"));
    MISSING.keySet().forEach(u -> users.put(u, u + "-secret"));
    target = LocalKafka.createSecured("B", dir.resolve("B"), users);
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
      // each of these users has every permission the operations guide lists on the target but one
      for (String user : MISSING.keySet()) {
        if (!user.equals("no-create")) {
          allowTo(user, acls, ResourceType.TOPIC, "A.", PatternType.PREFIXED, AclOperation.CREATE);
        }
        allowTo(user, acls, ResourceType.TOPIC, "A.", PatternType.PREFIXED, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER,
            AclOperation.WRITE, AclOperation.READ);
        if (!user.equals("no-internal-topics")) {
          allowTo(user, acls, ResourceType.TOPIC, "__ferry.", PatternType.PREFIXED, AclOperation.ALL);
        }
        if (!user.equals("no-groups")) {
          allowTo(user, acls, ResourceType.GROUP, "ferry.", PatternType.PREFIXED, AclOperation.ALL);
        }
        if (!user.equals("no-transactional-ids")) {
          allowTo(user, acls, ResourceType.TRANSACTIONAL_ID, "ferry.", PatternType.PREFIXED, AclOperation.ALL);
        }
      }
      a.createAcls(acls).all().get();
    }
  }

  /** A user without one permission, and what the one-line error must name. */
  private static final Map<String, String> MISSING = Map.of("no-create", "A.lacking-no-create", "no-internal-topics", "__ferry.",
      "no-groups", "ferry.", "no-transactional-ids", "transactional.id ferry.");

  private static void allow(List<AclBinding> acls, ResourceType type, String name, PatternType pattern, AclOperation... ops) {
    allowTo("ferry", acls, type, name, pattern, ops);
  }

  private static void allowTo(String user, List<AclBinding> acls, ResourceType type, String name, PatternType pattern, AclOperation... ops) {
    for (AclOperation op : ops) {
      acls.add(new AclBinding(new ResourcePattern(type, name, pattern), new AccessControlEntry("User:" + user, "*", op, AclPermissionType.ALLOW)));
    }
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"no-create", "no-internal-topics", "no-groups", "no-transactional-ids"})
  void eachMissingPermissionIsAOneLineErrorNamingWhatItIsFor(String user) {
    ClusterConfig a = new ClusterConfig("A", source.bootstrap());
    ClusterConfig b = new ClusterConfig("B", target.bootstrap(), target.clientProperties(user));
    String topic = "lacking-" + user;
    Workload.createTopic(a, topic, 1, Map.of());
    Workload.plain(a, topic, 1, 10, 0);
    FlowConfig flow = FlowConfig.builder(a, b, TopicSelection.of(topic, null)).name("perm-" + user).topicRefreshInterval(Duration.ofMillis(500)).build();
    String error;
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> r.failure().isPresent() || !r.status().topicProblems().isEmpty());
      error = r.failure().map(Throwable::getMessage).orElseGet(() -> r.status().topicProblems().values().iterator().next().message());
    } catch (dev.ferry.FerryException e) {
      error = e.getMessage();
    }
    assertThat(error).as(user).contains(MISSING.get(user)).contains("on B (" + target.bootstrap() + ")").doesNotContain("\n");
    assertThat(error.toLowerCase(java.util.Locale.ROOT)).contains("authoriz");
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
