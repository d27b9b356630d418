package dev.ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Workload;
import dev.ferry.flow.Replicator;
import dev.ferry.kafka.Clients;
import dev.ferry.replicate.TwoClusters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With {@code sync-acls}, the source's READ/DESCRIBE ACLs of replicated topics and checkpointed groups follow on the
 * target under the target names (nothing that lets anyone write, nothing for topics or groups the flow leaves alone),
 * an ACL the source drops is removed from the target, one granted on the target by hand stays; {@code ferry audit}
 * reports both kinds of ACL drift (exit 5) and {@code --fix} repairs them. Both clusters run the standard authorizer.
 */
class AclSyncIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters(Map.of("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
      "super.users", "User:ANONYMOUS"));

  @Test
  void readAclsFollowTheSourceUnderTargetNamesAndAuditReportsAndFixesAclDrift() throws Exception {
    ClusterConfig a = clusters.clusterA();
    Workload.createTopic(a, "acl", 2, Map.of());
    Workload.createTopic(a, "private", 1, Map.of());
    FlowConfig flow = FlowConfig.builder(a, clusters.clusterB(), TopicSelection.of("acl", null)).name("acl").shards(1)
        .topicRefreshInterval(Duration.ofSeconds(1)).syncAcls(true).build();
    try (Admin source = Admin.create(Clients.admin(a)); Admin target = Admin.create(Clients.admin(clusters.clusterB()))) {
      source.createAcls(List.of(
          topic("acl", PatternType.LITERAL, "User:alice", AclOperation.READ, AclPermissionType.ALLOW),
          topic("acl", PatternType.LITERAL, "User:bob", AclOperation.ALL, AclPermissionType.ALLOW),
          topic("acl", PatternType.LITERAL, "User:carol", AclOperation.WRITE, AclPermissionType.ALLOW),
          topic("acl", PatternType.LITERAL, "User:mallory", AclOperation.READ, AclPermissionType.DENY),
          topic("acl", PatternType.LITERAL, "User:*", AclOperation.DESCRIBE, AclPermissionType.DENY),
          topic("ac", PatternType.PREFIXED, "User:erin", AclOperation.DESCRIBE, AclPermissionType.ALLOW),
          topic("private", PatternType.LITERAL, "User:dave", AclOperation.READ, AclPermissionType.ALLOW),
          topic("*", PatternType.LITERAL, "User:frank", AclOperation.READ, AclPermissionType.ALLOW),
          group("app", "User:alice", AclOperation.READ),
          group("console-consumer-1", "User:alice", AclOperation.READ))).all().get();
      Set<String> copies = Set.of(
          "User:alice READ ALLOW TOPIC LITERAL A.acl",
          "User:bob READ ALLOW TOPIC LITERAL A.acl",
          "User:mallory READ DENY TOPIC LITERAL A.acl",
          "User:erin DESCRIBE ALLOW TOPIC PREFIXED A.ac",
          "User:alice READ ALLOW GROUP LITERAL app");

      try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> acls(target).equals(copies));

        // granted on the target by hand: not the sync's to remove; dropped on the source: removed from the target
        target.createAcls(List.of(topic("A.acl", PatternType.LITERAL, "User:zoe", AclOperation.READ, AclPermissionType.ALLOW))).all().get();
        source.deleteAcls(List.of(topic("acl", PatternType.LITERAL, "User:alice", AclOperation.READ, AclPermissionType.ALLOW).toFilter())).all().get();
        Set<String> after = new java.util.HashSet<>(copies);
        after.remove("User:alice READ ALLOW TOPIC LITERAL A.acl");
        after.add("User:zoe READ ALLOW TOPIC LITERAL A.acl");
        await().atMost(Duration.ofSeconds(30)).until(() -> acls(target).equals(after));
      }

      // while no Ferry runs: a copy removed on the target, an ACL dropped on the source
      target.deleteAcls(List.of(topic("A.acl", PatternType.LITERAL, "User:bob", AclOperation.READ, AclPermissionType.ALLOW).toFilter())).all().get();
      source.deleteAcls(List.of(topic("ac", PatternType.PREFIXED, "User:erin", AclOperation.DESCRIBE, AclPermissionType.ALLOW).toFilter())).all().get();
      Cli.Result audit = Cli.ferry(args("audit"));
      assertThat(audit.code()).as(audit.out() + audit.err()).isEqualTo(ExitCodes.DRIFT);
      assertThat(audit.out()).contains("acl: missing on target: User:bob READ ALLOW on topic A.acl (literal), host *",
          "acl: on target, gone from the source: User:erin DESCRIBE ALLOW on topic A.ac (prefixed), host *").doesNotContain("zoe");

      Cli.Result fix = Cli.ferry(args("audit", "--fix"));
      assertThat(fix.code()).as(fix.out() + fix.err()).isEqualTo(ExitCodes.OK);
      assertThat(fix.out()).contains("fixed: ACL added: User:bob READ ALLOW on topic A.acl (literal), host *",
          "fixed: ACL removed (gone from the source): User:erin DESCRIBE ALLOW on topic A.ac (prefixed), host *", "RESULT: no drift");
      assertThat(acls(target)).containsExactlyInAnyOrder("User:bob READ ALLOW TOPIC LITERAL A.acl", "User:mallory READ DENY TOPIC LITERAL A.acl",
          "User:alice READ ALLOW GROUP LITERAL app", "User:zoe READ ALLOW TOPIC LITERAL A.acl");
    }
  }

  private static AclBinding topic(String name, PatternType type, String principal, AclOperation op, AclPermissionType permission) {
    return new AclBinding(new ResourcePattern(ResourceType.TOPIC, name, type), new AccessControlEntry(principal, "*", op, permission));
  }

  private static AclBinding group(String name, String principal, AclOperation op) {
    return new AclBinding(new ResourcePattern(ResourceType.GROUP, name, PatternType.LITERAL),
        new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW));
  }

  /** The target's topic and group ACLs, one string each. */
  private static Set<String> acls(Admin admin) throws Exception {
    List<AclBinding> all = new ArrayList<>();
    for (ResourceType t : List.of(ResourceType.TOPIC, ResourceType.GROUP)) {
      all.addAll(admin.describeAcls(new AclBindingFilter(new ResourcePatternFilter(t, null, PatternType.ANY), AccessControlEntryFilter.ANY))
          .values().get());
    }
    return all.stream().map(b -> b.entry().principal() + " " + b.entry().operation() + " " + b.entry().permissionType() + " "
        + b.pattern().resourceType() + " " + b.pattern().patternType() + " " + b.pattern().name()).collect(Collectors.toSet());
  }

  private static String[] args(String... verb) {
    List<String> out = new ArrayList<>(List.of(verb));
    out.addAll(List.of("--source", "A=" + clusters.clusterA().bootstrap(), "--target", "B=" + clusters.clusterB().bootstrap(), "--topics", "acl",
        "--name", "acl", "--sync-acls"));
    return out.toArray(String[]::new);
  }
}
