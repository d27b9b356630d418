package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.client.FerryNames;
import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verification;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.flow.Replicator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A shard's transactional.id fenced by someone else while it replicates ({@code Admin.fenceProducers} here; a stale
 * process initialising the same transactional.id does the same): the coordinator aborts the shard's open transaction,
 * and the shard, which still owns the shard by group membership, starts new clients from its committed progress.
 * Nothing is lost or written twice.
 */
class FencedShardIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters();

  @Test
  void aShardFencedAgainAndAgainWhileItReplicatesTakesItBackAndEndsExactlyOnce() throws Exception {
    ClusterConfig a = clusters.clusterA();
    Workload.createTopic(a, "fenced", 4, Map.of());
    FlowConfig flow = FlowConfig.builder(a, clusters.clusterB(), TopicSelection.of("fenced", null)).name("fenced").shards(2)
        .commitInterval(Duration.ofMillis(100)).topicRefreshInterval(Duration.ofMillis(500)).build();
    int rounds = 6;
    int perRound = 2_000;
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST);
        Admin target = Admin.create(Map.of("bootstrap.servers", clusters.b().bootstrap()))) {
      for (int i = 0; i < rounds; i++) {
        Workload.plain(a, "fenced", 4, perRound / 2, i * perRound);
        r.awaitCaughtUp(Duration.ofSeconds(60)); // both shards run (again) and commit, so the fence finds a live producer
        target.fenceProducers(List.of(FerryNames.transactionalId("fenced", i % 2))).all().get();
        Workload.plain(a, "fenced", 4, perRound / 2, i * perRound + perRound / 2);
      }
      r.awaitCaughtUp(Duration.ofSeconds(90));
      assertThat(r.failure()).as("the flow keeps running").isEmpty();
      assertThat(r.status().replication().shardRestarts()).as("every fence made its shard start new clients").isGreaterThanOrEqualTo(rounds);
      Verification v = Verifier.verify(flow, "fenced", Duration.ofSeconds(30));
      assertThat(v.sourceRecords()).isEqualTo((long) rounds * perRound);
      assertThat(v.exact()).as("%s", v).isTrue();
    }
    OffsetMapCheck.assertMapMatchesProvenance(flow, "fenced");
  }
}
