package dev.ferry.failback;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import dev.ferry.config.TopicSelection;
import dev.ferry.offsets.MapUpdate;
import dev.ferry.offsets.OffsetRun;
import dev.ferry.offsets.PartitionOffsetMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

class GroupsBackTest {
  private static final TopicPartition A0 = new TopicPartition("fb", 0);
  private final FlowConfig prefix = FlowConfig.of(new ClusterConfig("A", "a:1"), new ClusterConfig("B", "b:1"), TopicSelection.of("fb", null));
  private final FlowConfig identity = prefix.toBuilder().naming(new Naming(Naming.Mode.IDENTITY, ".")).build();

  /** A map of one run: source offsets from..from+count-1 at target offsets to... */
  private static PartitionOffsetMap map(long from, long to, int count) {
    PartitionOffsetMap m = new PartitionOffsetMap();
    m.apply(1, new MapUpdate(from + count, List.of(new OffsetRun(from, to, count))));
    return m;
  }

  @Test
  void underIdentityNamingAPositionInAsDataGoesBackThroughTheForwardMapAndOneInTheOutageThroughTheReverseMap() {
    // forward: A 0..499 at B 0..499 (marker at 500); outage on B from 501; reverse: B 501.. at A 550.. (after 50 divergent)
    GroupsBack back = new GroupsBack(identity, Map.of(A0, map(0, 0, 500)),
        List.of(new FailbackPlan.DeltaRow(A0, Uuid.randomUuid(), A0, 500, 651, 0, 0)));
    Map<String, String> waiting = new HashMap<>();
    List<GroupsBack.Move> moves = back.translate(Map.of("in-a", Map.of(A0, 400L), "at-end", Map.of(A0, 501L), "in-outage", Map.of(A0, 551L)),
        Map.of(A0, map(501, 550, 150)), Map.of(A0, 651L), waiting);
    assertThat(waiting).isEmpty();
    assertThat(moves).extracting(GroupsBack.Move::group, GroupsBack.Move::onA, GroupsBack.Move::positionOnA).containsExactlyInAnyOrder(
        org.assertj.core.groups.Tuple.tuple("in-a", A0, 400L),
        // read everything from A and no outage record: next on A are the records that never reached B
        org.assertj.core.groups.Tuple.tuple("at-end", A0, 500L),
        org.assertj.core.groups.Tuple.tuple("in-outage", A0, 600L));
  }

  @Test
  void aPositionInOutageRecordsNotCopiedBackYetWaits() {
    GroupsBack back = new GroupsBack(identity, Map.of(A0, map(0, 0, 500)),
        List.of(new FailbackPlan.DeltaRow(A0, Uuid.randomUuid(), A0, 500, 651, 0, 0)));
    Map<String, String> waiting = new HashMap<>();
    assertThat(back.translate(Map.of("g", Map.of(A0, 551L)), Map.of(), Map.of(), waiting)).isEmpty();
    assertThat(waiting).containsKey("g fb-0");
    assertThat(back.translate(Map.of("g", Map.of(A0, 640L)), Map.of(A0, map(501, 550, 100)), Map.of(A0, 601L), waiting)).as("copied up to 600 only")
        .isEmpty();
  }

  @Test
  void aPartitionWhoseOutageCopiedNothingAndOneTheForwardFlowNeverWroteStillMove() {
    TopicPartition a1 = new TopicPartition("fb", 1);
    GroupsBack back = new GroupsBack(identity, Map.of(A0, map(0, 0, 500)),
        List.of(new FailbackPlan.DeltaRow(A0, Uuid.randomUuid(), A0, 500, 501, 0, 0), new FailbackPlan.DeltaRow(a1, Uuid.randomUuid(), a1, 0, 40, 0, 0)));
    Map<String, String> waiting = new HashMap<>();
    // partition 0: only the forward flow's last marker after its data, read by the reverse flow; partition 1: all outage
    List<GroupsBack.Move> moves = back.translate(Map.of("g", Map.of(A0, 501L, a1, 10L)), Map.of(a1, map(0, 700, 40)), Map.of(A0, 501L, a1, 40L),
        waiting);
    assertThat(waiting).isEmpty();
    assertThat(moves).extracting(GroupsBack.Move::onA, GroupsBack.Move::positionOnA).containsExactlyInAnyOrder(
        org.assertj.core.groups.Tuple.tuple(A0, 500L), org.assertj.core.groups.Tuple.tuple(a1, 710L));
  }

  @Test
  void underPrefixNamingTheCopyOfAsTopicGoesBackToItAndBsOwnTopicToBDot() {
    TopicPartition copyOnB = new TopicPartition("A.fb", 0);
    TopicPartition ownOnB = new TopicPartition("fb", 0);
    GroupsBack back = new GroupsBack(prefix, Map.of(A0, map(0, 0, 500)),
        List.of(new FailbackPlan.DeltaRow(ownOnB, Uuid.randomUuid(), new TopicPartition("B.fb", 0), 0, 100, 0, 0)));
    Map<String, String> waiting = new HashMap<>();
    List<GroupsBack.Move> moves = back.translate(Map.of("g", Map.of(copyOnB, 300L, ownOnB, 40L)), Map.of(ownOnB, map(0, 0, 100)), Map.of(),
        waiting);
    assertThat(waiting).isEmpty();
    assertThat(moves).extracting(GroupsBack.Move::onA, GroupsBack.Move::positionOnA).containsExactlyInAnyOrder(
        org.assertj.core.groups.Tuple.tuple(A0, 300L), org.assertj.core.groups.Tuple.tuple(new TopicPartition("B.fb", 0), 40L));
  }
}
