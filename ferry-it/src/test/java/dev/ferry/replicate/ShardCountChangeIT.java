package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.FerryException;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verification;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.flow.Replicator;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shard count of a flow changes between runs without losing or repeating anything. */
class ShardCountChangeIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters();

  private static FlowConfig flow(int shards) {
    return FlowConfig.builder(clusters.clusterA(), clusters.clusterB(), TopicSelection.of("reshard", null)).name("reshard")
        .shards(shards).topicRefreshInterval(Duration.ofMillis(500)).build();
  }

  private static void replicate(int shards, int from) {
    Workload.plain(clusters.clusterA(), "reshard", 8, 2_000, from);
    try (Replicator r = Replicator.start(flow(shards), Replicator.Startup.FAIL_FAST)) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
    }
    Verification v = Verifier.verify(flow(shards), "reshard", Duration.ofSeconds(10));
    assertThat(v.sourceRecords()).isEqualTo(from + 2_000L);
    assertThat(v.exact()).as("%s", v).isTrue();
    OffsetMapCheck.assertMapMatchesProvenance(flow(shards), "reshard");
  }

  @Test
  void moreThenFewerShardsKeepProgressAndTheOffsetMap() {
    Workload.createTopic(clusters.clusterA(), "reshard", 8, Map.of());
    replicate(4, 0);
    replicate(8, 2_000);
    replicate(2, 4_000);
  }

  @Test
  void aChangeWhileProcessesOfTheFlowRunIsRefused() {
    Workload.createTopic(clusters.clusterA(), "reshard-live", 2, Map.of());
    FlowConfig two = FlowConfig.builder(clusters.clusterA(), clusters.clusterB(), TopicSelection.of("reshard-live", null)).name("reshard-live")
        .shards(2).build();
    try (Replicator running = Replicator.start(two, Replicator.Startup.FAIL_FAST)) {
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> running.status().replication().ownedShards().size() == 2);
      assertThatThrownBy(() -> Replicator.start(two.toBuilder().shards(3).build(), Replicator.Startup.FAIL_FAST).close())
          .isInstanceOf(FerryException.class)
          .hasMessage("shards: flow reshard-live runs with 2 shards on B (" + clusters.b().bootstrap() + ") and 1 process(es) of it are running;"
              + " stop them all, then start with 3 shards (progress is kept)")
          .extracting(e -> ((FerryException) e).reason()).isEqualTo(FerryException.Reason.BAD_INPUT);
    }
  }
}
