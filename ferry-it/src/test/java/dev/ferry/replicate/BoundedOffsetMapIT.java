package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.client.Checkpoint;
import dev.ferry.client.FerryNames;
import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.flow.Replicator;
import dev.ferry.groups.ResumeCheck;
import dev.ferry.kafka.Clients;
import dev.ferry.offsets.OffsetMapReader;
import dev.ferry.offsets.PartitionOffsetMap;
import dev.ferry.provenance.Provenance;
import dev.ferry.provenance.ProvenanceCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The offset map stays bounded however many transactions a partition sees (its exact window plus anchors, in a
 * compacted topic), yet every position translates exactly: recent ones from the map, older ones settled from the
 * provenance headers of the target's records, for a group far behind as for one near the head, before and after a
 * restart that loads the map from its snapshot.
 */
class BoundedOffsetMapIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters();

  @Test
  void aMapPastItsExactWindowStillTranslatesEveryPositionExactly() throws Exception {
    ClusterConfig a = clusters.clusterA();
    Workload.createTopic(a, "busy", 2, Map.of());
    FlowConfig flow = FlowConfig.builder(a, clusters.clusterB(), TopicSelection.of("busy", null)).name("busy").shards(1)
        .commitInterval(Duration.ofMillis(10)).checkpointInterval(Duration.ofMillis(500)).topicRefreshInterval(Duration.ofMillis(500)).build();
    AtomicBoolean stop = new AtomicBoolean();
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      // a trickle of records: each transaction of 10 ms holds a few, so the partitions see thousands of transactions
      Thread producer = trickle(a, "busy", stop);
      try {
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2)).until(() -> OffsetMapReader.read(flow, Duration.ofSeconds(30))
            .values().stream().filter(m -> m.anchorCount() > 0).count() == 2);
      } finally {
        stop.set(true);
        producer.join();
      }
      r.awaitCaughtUp(Duration.ofSeconds(60));
    }
    Map<TopicPartition, PartitionOffsetMap> maps = OffsetMapReader.read(flow, Duration.ofSeconds(30));
    assertThat(maps.values()).allSatisfy(m -> {
      assertThat(m.runCount()).isEqualTo(PartitionOffsetMap.EXACT_RUNS);
      assertThat(m.anchorCount()).isBetween(1, PartitionOffsetMap.MAX_ANCHORS);
    });
    assertThat(OffsetMapCheck.assertMapMatchesProvenance(flow, "busy")).as("records older than the exact window").isPositive();
    try (Admin b = Admin.create(Clients.admin(clusters.clusterB()))) {
      ConfigResource map = new ConfigResource(ConfigResource.Type.TOPIC, FerryNames.offsetMapTopic(flow.name()));
      Config c = b.describeConfigs(List.of(map)).all().get().get(map);
      assertThat(c.get("cleanup.policy").value()).isEqualTo("compact");
    }

    // a group far behind (in the anchored part) and one near the head, translated by a restarted Ferry
    Map<TopicPartition, Long> ends = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = ResumeCheck.groupConsumer(a, "old")) {
      List<TopicPartition> parts = List.of(new TopicPartition("busy", 0), new TopicPartition("busy", 1));
      c.endOffsets(parts).forEach(ends::put);
      Map<TopicPartition, OffsetAndMetadata> old = new HashMap<>();
      parts.forEach(tp -> old.put(tp, new OffsetAndMetadata(37)));
      c.commitSync(old);
    }
    try (KafkaConsumer<byte[], byte[]> c = ResumeCheck.groupConsumer(a, "recent")) {
      Map<TopicPartition, OffsetAndMetadata> recent = new HashMap<>();
      ends.forEach((tp, end) -> recent.put(tp, new OffsetAndMetadata(end - 5)));
      c.commitSync(recent);
    }
    Map<String, Long> truth = targetOfEverySourceRecord(flow);
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> r.status().lastCheckpoint().filter(cp -> cp.checkpoints().size() == 4).isPresent());
      for (Checkpoint cp : r.status().lastCheckpoint().get().checkpoints()) {
        assertThat(cp.targetOffset()).as("%s at %s@%d", cp.group(), cp.source(), cp.sourceOffset())
            .isEqualTo(truth.get(cp.source() + "@" + cp.sourceOffset()));
      }
      // the restarted lanes continue the map from its snapshot: more transactions, still exact
      Workload.plain(a, "busy", 2, 400, 1_000_000);
      r.awaitCaughtUp(Duration.ofSeconds(60));
    }
    OffsetMapCheck.assertMapMatchesProvenance(flow, "busy");
    assertThat(Verifier.verify(flow, "busy", Duration.ofSeconds(60)).exact()).isTrue();
  }

  /** Target offset of every replicated source record, by "topic-partition@offset", from the provenance headers. */
  private static Map<String, Long> targetOfEverySourceRecord(FlowConfig flow) {
    Map<String, Long> out = new HashMap<>();
    Verifier.readAll(flow.target(), "A.busy", Duration.ofSeconds(60), (tp, r) -> {
      Provenance p = ProvenanceCodec.read(r.headers());
      out.put("busy-" + p.sourcePartition() + "@" + p.sourceOffset(), r.offset());
    });
    return out;
  }

  private static Thread trickle(ClusterConfig c, String topic, AtomicBoolean stop) {
    Thread t = new Thread(() -> {
      Properties p = new Properties();
      p.put("bootstrap.servers", c.bootstrap());
      p.put("key.serializer", ByteArraySerializer.class.getName());
      p.put("value.serializer", ByteArraySerializer.class.getName());
      p.put("linger.ms", "1");
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
        for (int i = 0; !stop.get(); i++) {
          producer.send(new ProducerRecord<>(topic, i % 2, null, ("r" + i).getBytes(StandardCharsets.UTF_8)));
          if (i % 20 == 0) {
            producer.flush();
            try {
              Thread.sleep(2); // a trickle, not a flood: the point is many transactions
            } catch (InterruptedException e) {
              return;
            }
          }
        }
      }
    }, "trickle");
    t.start();
    return t;
  }
}
