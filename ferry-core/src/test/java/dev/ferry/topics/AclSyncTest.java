package dev.ferry.topics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import dev.ferry.config.TopicSelection;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

class AclSyncTest {
  private final FlowConfig flow = FlowConfig.builder(new ClusterConfig("A", "a:9092"), new ClusterConfig("B", "b:9092"),
      TopicSelection.of("orders|payments", null)).build();
  private final AclSync sync = new AclSync(flow);

  @Test
  void readAndDescribeOfReplicatedTopicsAreCopiedUnderTheTargetNameAndAllBecomesRead() {
    assertThat(sync.wanted(List.of(topic("orders", "User:a", AclOperation.READ, AclPermissionType.ALLOW),
        topic("orders", "User:b", AclOperation.DESCRIBE, AclPermissionType.ALLOW),
        topic("payments", "User:c", AclOperation.ALL, AclPermissionType.ALLOW))))
        .containsExactlyInAnyOrder(topic("A.orders", "User:a", AclOperation.READ, AclPermissionType.ALLOW),
            topic("A.orders", "User:b", AclOperation.DESCRIBE, AclPermissionType.ALLOW),
            topic("A.payments", "User:c", AclOperation.READ, AclPermissionType.ALLOW));
  }

  @Test
  void nothingThatWritesNorTopicsTheFlowLeavesAloneNorWildcardsAreCopied() {
    assertThat(sync.wanted(List.of(topic("orders", "User:a", AclOperation.WRITE, AclPermissionType.ALLOW),
        topic("orders", "User:a", AclOperation.ALTER_CONFIGS, AclPermissionType.ALLOW),
        topic("audit-log", "User:a", AclOperation.READ, AclPermissionType.ALLOW),
        topic("*", "User:a", AclOperation.READ, AclPermissionType.ALLOW),
        topic("orders", "User:*", AclOperation.READ, AclPermissionType.DENY),
        group("console-consumer-7", "User:a"), group("ferry.A-to-B.members", "User:a")))).isEmpty();
  }

  @Test
  void denyOfOnePrincipalPrefixedTopicsAndSelectedGroupsAreCopied() {
    AclBinding prefixed = new AclBinding(new ResourcePattern(ResourceType.TOPIC, "ord", PatternType.PREFIXED),
        new AccessControlEntry("User:a", "10.0.0.1", AclOperation.READ, AclPermissionType.ALLOW));
    assertThat(sync.wanted(List.of(topic("orders", "User:m", AclOperation.ALL, AclPermissionType.DENY), prefixed, group("billing", "User:a"))))
        .containsExactlyInAnyOrder(topic("A.orders", "User:m", AclOperation.READ, AclPermissionType.DENY),
            topic("A.orders", "User:m", AclOperation.DESCRIBE, AclPermissionType.DENY),
            new AclBinding(new ResourcePattern(ResourceType.TOPIC, "A.ord", PatternType.PREFIXED),
                new AccessControlEntry("User:a", "10.0.0.1", AclOperation.READ, AclPermissionType.ALLOW)),
            group("billing", "User:a"));
  }

  @Test
  void identityNamingKeepsTheNamesAndCopiesNoTopicPrefixWhichWouldReachTheTargetsOwnTopics() {
    FlowConfig identity = flow.toBuilder().naming(new Naming(Naming.Mode.IDENTITY, ".")).build();
    AclBinding prefixed = new AclBinding(new ResourcePattern(ResourceType.TOPIC, "ord", PatternType.PREFIXED),
        new AccessControlEntry("User:a", "*", AclOperation.READ, AclPermissionType.ALLOW));
    assertThat(new AclSync(identity).wanted(List.of(topic("orders", "User:a", AclOperation.READ, AclPermissionType.ALLOW), prefixed)))
        .containsExactly(topic("orders", "User:a", AclOperation.READ, AclPermissionType.ALLOW));
  }

  @Test
  void aGroupPrefixThatReachesFerrysOwnGroupsIsNotCopied() {
    for (String prefix : List.of("fe", "ferry.", "ferry.A-to-B")) {
      AclBinding b = new AclBinding(new ResourcePattern(ResourceType.GROUP, prefix, PatternType.PREFIXED),
          new AccessControlEntry("User:a", "*", AclOperation.READ, AclPermissionType.ALLOW));
      assertThat(sync.wanted(List.of(b))).as(prefix).isEmpty();
    }
  }

  @Test
  void theSyncOwnsOnlyTheCopiesItMadeNeverAnAclTheTargetHadAlready() {
    AclBinding handGranted = topic("A.orders", "User:a", AclOperation.READ, AclPermissionType.ALLOW);
    AclBinding made = topic("A.payments", "User:a", AclOperation.READ, AclPermissionType.ALLOW);
    AclBinding dropped = topic("A.orders", "User:b", AclOperation.READ, AclPermissionType.ALLOW);
    Set<AclBinding> wanted = Set.of(handGranted, made);
    AclSync.Diff d = AclSync.diff(wanted, Set.of(dropped), Set.of(handGranted, dropped));
    assertThat(d.missing()).containsExactly(made);
    assertThat(AclSync.owned(wanted, Set.of(dropped), d)).containsExactly(made);
    // the source drops the hand-granted one later: the target keeps it
    assertThat(AclSync.diff(Set.of(made), Set.of(made), Set.of(handGranted, made)).stale()).isEmpty();
  }

  @Test
  void onlyCopiesMadeEarlierAreStaleAndHandGrantsOnTheTargetAreLeftAlone() {
    AclBinding kept = topic("A.orders", "User:a", AclOperation.READ, AclPermissionType.ALLOW);
    AclBinding dropped = topic("A.orders", "User:b", AclOperation.READ, AclPermissionType.ALLOW);
    AclBinding byHand = topic("A.orders", "User:z", AclOperation.READ, AclPermissionType.ALLOW);
    AclBinding missing = topic("A.payments", "User:a", AclOperation.READ, AclPermissionType.ALLOW);
    AclSync.Diff d = AclSync.diff(Set.of(kept, missing), Set.of(kept, dropped), Set.of(kept, dropped, byHand));
    assertThat(d.missing()).containsExactly(missing);
    assertThat(d.stale()).containsExactly(dropped);
  }

  @Test
  void theRecordOfCopiesReadsBackWhateverThePrincipalHolds() {
    Set<AclBinding> in = Set.of(topic("A.orders", "User:CN=app one,O=x y", AclOperation.READ, AclPermissionType.ALLOW), group("g 1;2", "User:a"));
    assertThat(AclSync.decode(AclSync.encode(in))).isEqualTo(in);
    assertThat(AclSync.decode("v9\nTOPIC LITERAL x User%3Aa * READ ALLOW")).as("a later format is not guessed at").isEmpty();
  }

  private static AclBinding topic(String name, String principal, AclOperation op, AclPermissionType permission) {
    return new AclBinding(new ResourcePattern(ResourceType.TOPIC, name, PatternType.LITERAL), new AccessControlEntry(principal, "*", op, permission));
  }

  private static AclBinding group(String name, String principal) {
    return new AclBinding(new ResourcePattern(ResourceType.GROUP, name, PatternType.LITERAL),
        new AccessControlEntry(principal, "*", AclOperation.READ, AclPermissionType.ALLOW));
  }
}
