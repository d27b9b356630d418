package dev.ferry.groups;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Workload;
import dev.ferry.flow.Replicator;
import dev.ferry.kafka.Clients;
import dev.ferry.replicate.TwoClusters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** One checkpoint round over 1,000 source groups: listed once, fetched in one batch, translated, written, synced. */
class CheckpointRoundIT {
  @Test
  void aRoundOverAThousandGroupsCheckpointsAndSyncsEveryOne() throws Exception {
    try (TwoClusters clusters = TwoClusters.start()) {
      Workload.createTopic(clusters.clusterA(), "many", 3, Map.of());
      Workload.plain(clusters.clusterA(), "many", 3, 3_000, 0);
      try (Admin source = Admin.create(Clients.admin(clusters.clusterA()))) {
        List<KafkaFuture<Void>> commits = new ArrayList<>();
        for (int g = 0; g < 1_000; g++) {
          Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
          for (int p = 0; p < 3; p++) {
            offsets.put(new TopicPartition("many", p), new OffsetAndMetadata(g % 1_000));
          }
          commits.add(source.alterConsumerGroupOffsets("group-" + g, offsets).all());
        }
        KafkaFuture.allOf(commits.toArray(KafkaFuture[]::new)).get();
      }
      FlowConfig flow = FlowConfig.builder(clusters.clusterA(), clusters.clusterB(), TopicSelection.of("many", null))
          .checkpointInterval(Duration.ofMinutes(30)).build(); // the test runs the rounds itself
      try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST);
          Admin source = Admin.create(Clients.admin(clusters.clusterA()));
          Admin target = Admin.create(Clients.admin(clusters.clusterB()));
          Checkpointer checkpointer = new Checkpointer(flow, source, target)) {
        r.awaitCaughtUp(Duration.ofSeconds(60));
        CheckpointRound first = checkpointer.round(true);
        CheckpointRound second = checkpointer.round(true);
        CheckpointRound third = checkpointer.round(true);
        System.out.printf("checkpoint rounds over %d groups: %d ms (syncs %d groups), %d ms (syncs %d), %d ms (syncs %d)%n",
            first.groups(), first.took().toMillis(), first.synced().size(), second.took().toMillis(), second.synced().size(),
            third.took().toMillis(), third.synced().size());
        assertThat(first.groups()).isEqualTo(1_000);
        assertThat(first.checkpoints()).hasSize(3_000);
        assertThat(first.synced()).hasSize(Checkpointer.MAX_SYNCS_PER_ROUND);
        assertThat(second.synced()).hasSize(1_000 - Checkpointer.MAX_SYNCS_PER_ROUND);
        assertThat(third.synced()).as("nothing moved: nothing to sync").isEmpty();
        assertThat(third.checkpoints()).as("every group is still checkpointed every round").hasSize(3_000);
        assertThat(target.listConsumerGroupOffsets("group-999").partitionsToOffsetAndMetadata().get().get(new TopicPartition("A.many", 2)).offset())
            .isEqualTo(999);

      }
    }
  }

}
