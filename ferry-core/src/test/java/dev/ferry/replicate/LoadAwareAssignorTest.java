package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupAssignment;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupSubscription;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The membership group's assignment on its own: shards as partitions of the shard topic, load sent with subscriptions. */
class LoadAwareAssignorTest {
  private static final String TOPIC = "__ferry.A-to-B.shards";
  private static final Node NODE = new Node(1, "127.0.0.1", 1);

  private static Cluster cluster(int shards) {
    List<PartitionInfo> parts = new ArrayList<>();
    for (int p = 0; p < shards; p++) {
      parts.add(new PartitionInfo(TOPIC, p, NODE, new Node[] {NODE}, new Node[] {NODE}));
    }
    return new Cluster("c", List.of(NODE), parts, Set.of(), Set.of());
  }

  /** The subscription of a member that owns {@code owned} and measured {@code load} on them. */
  private static Subscription member(List<Integer> owned, Map<Integer, Double> load, int generation) {
    LoadAwareAssignor.MeasuredLoad measured = new LoadAwareAssignor.MeasuredLoad();
    measured.set(load);
    LoadAwareAssignor a = new LoadAwareAssignor();
    a.configure(Map.of(LoadAwareAssignor.LOAD_CONFIG, measured));
    ByteBuffer data = a.subscriptionUserData(Set.of(TOPIC));
    return new Subscription(List.of(TOPIC), data, owned.stream().map(s -> new TopicPartition(TOPIC, s)).toList(), generation, Optional.empty());
  }

  private static Map<String, List<Integer>> shards(GroupAssignment a) {
    Map<String, List<Integer>> out = new HashMap<>();
    a.groupAssignment().forEach((m, as) -> out.put(m, as.partitions().stream().map(TopicPartition::partition).sorted().toList()));
    return out;
  }

  @Test
  void aFirstAssignmentGivesEveryShardToOneMemberEvenly() {
    Map<String, Subscription> subs = Map.of("a", member(List.of(), Map.of(), -1), "b", member(List.of(), Map.of(), -1));
    Map<String, List<Integer>> out = shards(new LoadAwareAssignor().assign(cluster(4), new GroupSubscription(subs)));
    assertThat(out.get("a")).hasSize(2);
    assertThat(out.get("b")).hasSize(2);
    List<Integer> all = new ArrayList<>(out.get("a"));
    all.addAll(out.get("b"));
    assertThat(all).containsExactlyInAnyOrder(0, 1, 2, 3);
  }

  @Test
  void aShardMovingToAnotherMemberIsFirstOnlyRevokedNeverAssignedTwice() {
    // "a" owns every shard; both hot shards (0 and 1) are on it, so one of them should move to the new member "b"
    Subscription a = member(List.of(0, 1, 2, 3), Map.of(0, 1e6, 1, 1e6, 2, 10.0, 3, 10.0), 5);
    Subscription b = member(List.of(), Map.of(), -1);
    Map<String, List<Integer>> out = shards(new LoadAwareAssignor().assign(cluster(4), new GroupSubscription(Map.of("a", a, "b", b))));
    assertThat(out.get("b")).as("cooperative: what a still owns is not given to b in the same round").isEmpty();
    List<Integer> kept = out.get("a");
    assertThat(kept).as("a gives up some shards").hasSizeLessThan(4);
    assertThat(kept.contains(0) ^ kept.contains(1)).as("a keeps exactly one of the hot shards: %s", kept).isTrue();
  }

  @Test
  void aStaleClaimOfAnOlderGenerationLoses() {
    Subscription fresh = member(List.of(0), Map.of(0, 5.0), 7);
    Subscription stale = member(List.of(0), Map.of(0, 5.0), 3);
    Map<String, List<Integer>> out = shards(new LoadAwareAssignor().assign(cluster(2), new GroupSubscription(Map.of("fresh", fresh,
        "stale", stale))));
    assertThat(out.get("stale")).doesNotContain(0);
  }

  @Test
  void loadFiguresOfAnotherVersionAreIgnored() {
    assertThat(LoadAwareAssignor.decode(ByteBuffer.wrap(new byte[] {9, 0, 0, 0, 1}))).isEmpty();
    assertThat(LoadAwareAssignor.decode(null)).isEmpty();
  }

  @Test
  void aLoadChangeIsWorthARebalanceOnlyWhenLargeAndMarked() {
    LoadAwareAssignor.MeasuredLoad load = new LoadAwareAssignor.MeasuredLoad();
    load.set(Map.of(0, 100_000.0));
    assertThat(load.changedSinceReported(64 * 1024)).as("nothing reported yet").isTrue();
    load.forSubscription();
    load.set(Map.of(0, 110_000.0));
    assertThat(load.changedSinceReported(64 * 1024)).as("10%").isFalse();
    load.set(Map.of(0, 200_000.0));
    assertThat(load.changedSinceReported(64 * 1024)).isTrue();
    load.set(Map.of(0, 1_000.0));
    load.forSubscription();
    load.set(Map.of(0, 3_000.0));
    assertThat(load.changedSinceReported(64 * 1024)).as("too little to be worth moving shards").isFalse();
  }
}
