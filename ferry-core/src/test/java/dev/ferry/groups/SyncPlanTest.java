package dev.ferry.groups;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class SyncPlanTest {
  private static final TopicPartition P0 = new TopicPartition("A.t", 0);
  private static final TopicPartition P1 = new TopicPartition("A.t", 1);

  @Test
  void aGroupMovesForwardOnlyWhereItsTranslationIsAheadOrItHasNoOffset() {
    Map<String, Map<TopicPartition, Long>> moves = SyncPlan.moves(List.of("g"), Map.of("g", Map.of(P0, 10L, P1, 5L)),
        Map.of("g", Map.of(P1, new OffsetAndMetadata(7))), false, 10);
    assertThat(moves).containsOnlyKeys("g");
    assertThat(moves.get("g")).containsExactly(Map.entry(P0, 10L));
  }

  @Test
  void aRewindNeedsForceRewind() {
    Map<String, Map<TopicPartition, Long>> wanted = Map.of("g", Map.of(P0, 5L));
    Map<String, Map<TopicPartition, OffsetAndMetadata>> current = Map.of("g", Map.of(P0, new OffsetAndMetadata(9)));
    assertThat(SyncPlan.moves(List.of("g"), wanted, current, false, 10)).isEmpty();
    assertThat(SyncPlan.moves(List.of("g"), wanted, current, true, 10)).containsEntry("g", Map.of(P0, 5L));
  }

  @Test
  void aGroupAlreadyThereIsNotMoved() {
    assertThat(SyncPlan.moves(List.of("g"), Map.of("g", Map.of(P0, 5L)), Map.of("g", Map.of(P0, new OffsetAndMetadata(5))), true, 10))
        .isEmpty();
  }

  @Test
  void onlyTheGroupsFurthestBehindMoveWhenThereAreMoreThanTheRoundTakes() {
    Map<String, Map<TopicPartition, Long>> wanted = Map.of("near", Map.of(P0, 10L), "far", Map.of(P0, 1_000L), "middle", Map.of(P0, 100L));
    Map<String, Map<TopicPartition, OffsetAndMetadata>> current = Map.of("near", Map.of(P0, new OffsetAndMetadata(9)),
        "far", Map.of(P0, new OffsetAndMetadata(0)), "middle", Map.of(P0, new OffsetAndMetadata(0)));
    assertThat(SyncPlan.moves(List.of("near", "far", "middle"), wanted, current, false, 2)).containsOnlyKeys("far", "middle");
  }

  @Test
  void groupsNotOfferedAreNeverMoved() {
    assertThat(SyncPlan.moves(List.of(), Map.of("active", Map.of(P0, 10L)), Map.of(), false, 10)).isEmpty();
  }
}
