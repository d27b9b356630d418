package dev.ferry.groups;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Checkpoint rounds: over 1,000 source groups (listed once, fetched in one batch, translated, written, synced), and with
 * one group whose offsets an open transaction is committing (checkpointed at what is committed, the others unaffected).
 */
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
        // committed is not yet readable: the commit markers reach the map partitions after the commit returns
        await().atMost(Duration.ofSeconds(60)).until(() -> checkpointer.maps(Duration.ofSeconds(30)).values().stream()
            .filter(m -> m.sourceNext().orElse(0) == 1_000).count() == 3);
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


  @Test
  @SuppressWarnings("removal") // a group the application does not join: the only way to name it to sendOffsetsToTransaction
  void aGroupWithAnOpenTransactionalOffsetCommitIsCheckpointedAtItsCommittedOffsetWithoutHoldingUpTheOthers() throws Exception {
    try (TwoClusters clusters = TwoClusters.start()) {
      ClusterConfig a = clusters.clusterA();
      Workload.createTopic(a, "held", 1, Map.of());
      Workload.plain(a, "held", 1, 100, 0);
      TopicPartition held = new TopicPartition("held", 0);
      try (Admin source = Admin.create(Clients.admin(a))) {
        source.alterConsumerGroupOffsets("fine", Map.of(held, new OffsetAndMetadata(40))).all().get();
        source.alterConsumerGroupOffsets("stuck", Map.of(held, new OffsetAndMetadata(30))).all().get();
      }
      // an application's transaction that commits offsets of group stuck and hangs: its offsets are unstable until it ends
      Properties p = new Properties();
      p.put("bootstrap.servers", a.bootstrap());
      p.put("transactional.id", "stuck-app");
      p.put("transaction.timeout.ms", "300000");
      p.put("key.serializer", ByteArraySerializer.class.getName());
      p.put("value.serializer", ByteArraySerializer.class.getName());
      FlowConfig flow = FlowConfig.builder(a, clusters.clusterB(), TopicSelection.of("held", null))
          .checkpointInterval(Duration.ofMinutes(30)).build(); // the test runs the round itself
      try (KafkaProducer<byte[], byte[]> app = new KafkaProducer<>(p);
          Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST);
          Admin source = Admin.create(Clients.admin(a));
          Admin target = Admin.create(Clients.admin(clusters.clusterB()));
          Checkpointer checkpointer = new Checkpointer(flow, source, target)) {
        app.initTransactions();
        app.beginTransaction();
        app.sendOffsetsToTransaction(Map.of(held, new OffsetAndMetadata(50)), new ConsumerGroupMetadata("stuck"));
        r.awaitCaughtUp(Duration.ofSeconds(60));

        // a round translates with the offset map it has read within its budget: on a loaded machine the first may not have it yet
        CheckpointRound round = await().atMost(Duration.ofSeconds(60)).until(() -> checkpointer.round(false), rr -> rr.checkpoints().size() == 2);
        assertThat(round.checkpoints()).extracting(c -> c.group() + "@" + c.sourceOffset() + "->" + c.targetOffset())
            .as("the open transaction's offset is not committed yet: the group stands at its committed one")
            .containsExactlyInAnyOrder("fine@40->40", "stuck@30->30");
        assertThat(round.unreadable()).isEmpty();
        app.commitTransaction(); // its offsets become the group's once the coordinator has written the commit marker
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(checkpointer.round(false).checkpoints())
            .extracting(c -> c.group() + "@" + c.sourceOffset()).containsExactlyInAnyOrder("fine@40", "stuck@50"));
      }
    }
  }
}
