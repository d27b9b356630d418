package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.kafka.ProgressStore.Progress;
import dev.ferry.kafka.SourceGaps;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class ShardAssignmentTest {
  private static final TopicPartition S0 = new TopicPartition("s", 0);
  private static final TopicPartition S1 = new TopicPartition("s", 1);
  private static final TopicPartition S2 = new TopicPartition("s", 2);
  private static final Map<TopicPartition, TopicPartition> READY = Map.of(S0, new TopicPartition("A.s", 0), S1, new TopicPartition("A.s", 1),
      S2, new TopicPartition("A.s", 2));
  private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
  private final ShardAssignment assignment = new ShardAssignment(4);

  @Test
  void newPartitionsStartAtTheirProgressOrAtTheBeginning() {
    consumer.updateBeginningOffsets(Map.of(S1, 40L));
    List<ShardPartition> added = assignment.sync(consumer, READY, 0, 0, tp -> !tp.equals(S2), tp -> false,
        targets -> Map.of(new TopicPartition("A.s", 0), new Progress(17, SourceGaps.NONE)),
        parts -> parts.keySet().stream().collect(java.util.stream.Collectors.toMap(tp -> tp, tp -> new dev.ferry.offsets.PartitionOffsetMap())), t -> dev.ferry.kafka.Incarnation.UNKNOWN);

    assertThat(added).extracting(p -> p.source).containsExactlyInAnyOrder(S0, S1);
    assertThat(consumer.assignment()).isEqualTo(Set.of(S0, S1));
    assertThat(consumer.position(S0)).isEqualTo(17);
    assertThat(assignment.get(S1).committedNext).as("no progress: the beginning").isEqualTo(40);
    assertThat(assignment.outdated(READY, 0, 0)).isFalse();
    assertThat(assignment.outdated(READY, 1, 0)).as("a new problem").isTrue();
    assertThat(assignment.outdated(READY, 0, 1)).as("a lane move").isTrue();
  }

  @Test
  void aPartitionWithAProblemLeavesOnceItHasDrained() {
    consumer.updateBeginningOffsets(Map.of(S0, 0L, S1, 0L, S2, 0L));
    assignment.sync(consumer, READY, 0, 0, tp -> true, tp -> false, targets -> Map.of(),
        parts -> parts.keySet().stream().collect(java.util.stream.Collectors.toMap(tp -> tp, tp -> new dev.ferry.offsets.PartitionOffsetMap())), t -> dev.ferry.kafka.Incarnation.UNKNOWN);
    ShardPartition p = assignment.get(S2);
    p.stopAt(5);
    assignment.sync(consumer, READY, 1, 0, tp -> true, S2::equals, targets -> Map.of(),
        parts -> parts.keySet().stream().collect(java.util.stream.Collectors.toMap(tp -> tp, tp -> new dev.ferry.offsets.PartitionOffsetMap())), t -> dev.ferry.kafka.Incarnation.UNKNOWN);
    assertThat(assignment.sources()).as("still draining up to offset 5").contains(S2);

    p.consumedUpTo(5);
    p.committed();
    assignment.sync(consumer, READY, 1, 0, tp -> true, S2::equals, targets -> Map.of(),
        parts -> parts.keySet().stream().collect(java.util.stream.Collectors.toMap(tp -> tp, tp -> new dev.ferry.offsets.PartitionOffsetMap())), t -> dev.ferry.kafka.Incarnation.UNKNOWN);
    assertThat(assignment.sources()).containsExactlyInAnyOrder(S0, S1);
    assertThat(consumer.assignment()).isEqualTo(Set.of(S0, S1));
  }

  @Test
  void aPartitionOfATopicCreatedAgainIsTakenOffAndAddedAgainAndOneOfADeletedTopicLeavesTheConsumer() {
    consumer.updateBeginningOffsets(Map.of(S0, 0L, S1, 0L, S2, 0L));
    dev.ferry.kafka.Incarnation first = new dev.ferry.kafka.Incarnation(org.apache.kafka.common.Uuid.randomUuid(), org.apache.kafka.common.Uuid.randomUuid());
    dev.ferry.kafka.Incarnation second = new dev.ferry.kafka.Incarnation(org.apache.kafka.common.Uuid.randomUuid(), first.target());
    java.util.function.Function<Map<TopicPartition, Long>, Map<TopicPartition, dev.ferry.offsets.PartitionOffsetMap>> maps =
        parts -> parts.keySet().stream().collect(java.util.stream.Collectors.toMap(tp -> tp, tp -> new dev.ferry.offsets.PartitionOffsetMap()));
    assignment.sync(consumer, READY, 0, 0, tp -> true, tp -> false, targets -> Map.of(), maps, t -> first);
    ShardPartition before = assignment.get(S0);

    List<ShardPartition> added = assignment.sync(consumer, new HashMap<>(READY), 0, 0, tp -> true, tp -> false, targets -> Map.of(), maps, t -> second);
    assertThat(added).extracting(p -> p.source).containsExactlyInAnyOrder(S0, S1, S2);
    assertThat(assignment.get(S0)).isNotSameAs(before);
    assertThat(assignment.get(S0).incarnation).isEqualTo(second);

    // the topic is deleted: the refresh publishes nothing of it, and the consumer stops reading it
    assignment.sync(consumer, Map.of(), 0, 0, tp -> true, tp -> false, targets -> Map.of(), maps, t -> dev.ferry.kafka.Incarnation.UNKNOWN);
    assertThat(assignment.sources()).isEmpty();
    assertThat(consumer.assignment()).isEmpty();
  }

  @Test
  void aPartitionWithoutProgressStartsWhereTheStartPositionsSayAndProgressStillWins() {
    consumer.updateBeginningOffsets(Map.of(S0, 0L, S1, 0L, S2, 0L));
    StartPositions starts = (tp, ids) -> tp.equals(S2) ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(500);
    assignment.sync(consumer, READY, 0, 0, tp -> true, tp -> false, targets -> Map.of(new TopicPartition("A.s", 0), new Progress(17, SourceGaps.NONE)),
        parts -> parts.keySet().stream().collect(java.util.stream.Collectors.toMap(tp -> tp, tp -> new dev.ferry.offsets.PartitionOffsetMap())),
        t -> dev.ferry.kafka.Incarnation.UNKNOWN, starts);
    assertThat(consumer.position(S0)).as("its progress").isEqualTo(17);
    assertThat(consumer.position(S1)).as("the start position given").isEqualTo(500);
    assertThat(assignment.get(S1).committedNext).isEqualTo(500);
    assertThat(consumer.position(S2)).as("none given: the beginning").isZero();
  }
}
