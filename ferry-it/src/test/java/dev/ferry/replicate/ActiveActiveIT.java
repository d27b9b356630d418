package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.flow.Replicator;
import dev.ferry.provenance.Provenance;
import dev.ferry.provenance.ProvenanceCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Identity naming in both directions at once: provenance stops every loop and echo. */
class ActiveActiveIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters();

  private static FlowConfig identity(ClusterConfig from, ClusterConfig to) {
    return FlowConfig.builder(from, to, TopicSelection.of("orders", null))
        .naming(new Naming(Naming.Mode.IDENTITY, "."))
        .topicRefreshInterval(Duration.ofMillis(500)).build();
  }

  @Test
  void aRecordProducedOnEitherSideAppearsExactlyOnceOnEachCluster() {
    ClusterConfig a = clusters.clusterA();
    ClusterConfig b = clusters.clusterB();
    Workload.createTopic(a, "orders", 3, Map.of());
    Workload.createTopic(b, "orders", 3, Map.of());
    Workload.plain(a, "orders", 3, 600, 0);
    Workload.plain(b, "orders", 3, 400, 10_000);
    FlowConfig abFlow = identity(a, b);
    FlowConfig baFlow = identity(b, a);
    try (Replicator ab = Replicator.start(abFlow, Replicator.Startup.FAIL_FAST);
        Replicator ba = Replicator.start(baFlow, Replicator.Startup.FAIL_FAST)) {
      // twice each way: anything echoed by the first round would be there for the second to catch up on
      for (int i = 0; i < 2; i++) {
        ab.awaitCaughtUp(Duration.ofSeconds(60));
        ba.awaitCaughtUp(Duration.ofSeconds(60));
      }
      Workload.plain(a, "orders", 3, 100, 20_000);
      for (int i = 0; i < 2; i++) {
        ab.awaitCaughtUp(Duration.ofSeconds(60));
        ba.awaitCaughtUp(Duration.ofSeconds(60));
      }
      // a commit is acknowledged before its markers are written: the other flow may see the last copies a moment later
      await().atMost(Duration.ofSeconds(60)).until(() -> ab.status().replication().filteredRecords() >= 400
          && ba.status().replication().filteredRecords() >= 700);
      ab.awaitCaughtUp(Duration.ofSeconds(60));
      ba.awaitCaughtUp(Duration.ofSeconds(60));
      assertThat(ab.status().replication().filteredRecords()).as("records of B sent back to B, each once").isEqualTo(400);
      assertThat(ba.status().replication().filteredRecords()).as("records of A sent back to A, each once").isEqualTo(700);
      assertThat(ab.failure()).isEmpty();
      assertThat(ba.failure()).isEmpty();
    }
    assertExactlyOnce(a, "A", 700, "B", 400);
    assertExactlyOnce(b, "B", 400, "A", 700);
    // the copies are interleaved with local (foreign) writes on each side: the maps must step over those
    OffsetMapCheck.assertMapMatchesProvenance(abFlow, "orders");
    OffsetMapCheck.assertMapMatchesProvenance(baFlow, "orders");
  }

  private static void assertExactlyOnce(ClusterConfig c, String local, int localCount, String remote, int remoteCount) {
    List<String> values = new ArrayList<>();
    int[] fromRemote = {0};
    Verifier.readAll(c, "orders", Duration.ofSeconds(30), (tp, r) -> {
      values.add(new String(r.value(), StandardCharsets.UTF_8));
      Provenance p = ProvenanceCodec.read(r.headers());
      if (p != null) {
        assertThat(p.path()).as("path of a copied record on %s", local).containsExactly(remote);
        fromRemote[0]++;
      }
    });
    Set<String> unique = new HashSet<>(values);
    assertThat(values).as("records on %s", local).hasSize(localCount + remoteCount);
    assertThat(unique).as("distinct records on %s", local).hasSize(localCount + remoteCount);
    assertThat(fromRemote[0]).isEqualTo(remoteCount);
  }
}
