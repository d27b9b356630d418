package dev.ferry.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class CheckpointCodecTest {
  private final Checkpoint checkpoint =
      new Checkpoint("app-ü", new TopicPartition("orders", 3), new TopicPartition("A.orders", 3), 120, 97, 4, 1_700_000_000_000L);

  @Test
  void aCheckpointSurvivesItsRecord() {
    byte[] key = CheckpointCodec.key(checkpoint.group(), checkpoint.source());
    byte[] value = CheckpointCodec.value(checkpoint);
    assertThat(CheckpointCodec.decode(key, value, checkpoint.timestamp())).isEqualTo(checkpoint);
    assertThat(CheckpointCodec.groupOf(key)).isEqualTo("app-ü");
  }

  @Test
  void theKeyIsVersionOneThenGroupTopicAndPartition() {
    byte[] key = CheckpointCodec.key("g", new TopicPartition("t", 258));
    assertThat(key).containsExactly(1, 0, 1, 'g', 0, 1, 't', 0, 0, 1, 2);
  }

  @Test
  void aRecordOfAnotherVersionIsRefused() {
    byte[] value = CheckpointCodec.value(checkpoint);
    value[0] = 2;
    assertThatThrownBy(() -> CheckpointCodec.decode(CheckpointCodec.key("g", checkpoint.source()), value, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theTopicIsTheFlowsCheckpointTopic() {
    assertThat(CheckpointCodec.topic("A-to-B")).isEqualTo("__ferry.A-to-B.checkpoints").isEqualTo(FerryNames.checkpointTopic("A-to-B"));
  }

  @Test
  void aGroupsCheckpointsGoToOnePartitionChosenByItsNameAndSpreadOverAll() {
    assertThat(CheckpointCodec.partition("billing", 1)).isZero();
    assertThat(CheckpointCodec.partition("billing", 16)).isEqualTo(CheckpointCodec.partition("billing", 16)).isBetween(0, 15);
    java.util.Set<Integer> used = new java.util.HashSet<>();
    for (int i = 0; i < 200; i++) {
      used.add(CheckpointCodec.partition("group-" + i, 16));
    }
    assertThat(used).hasSize(16);
  }
}
