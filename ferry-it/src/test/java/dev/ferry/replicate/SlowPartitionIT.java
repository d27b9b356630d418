package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.flow.Replicator;
import dev.ferry.local.LocalKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * No head-of-line blocking: a target partition that does not take writes and a hot partition share one shard (one
 * transaction) with ordinary partitions, and the ordinary partitions' replication lag stays under a few seconds.
 */
class SlowPartitionIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters();

  @Test
  void aTargetPartitionThatTakesNoWritesMovesToTheSlowLaneAndTheOthersKeepUp() throws Exception {
    ClusterConfig a = clusters.clusterA();
    ClusterConfig b = clusters.clusterB();
    Workload.createTopic(a, "lanes", 6, Map.of());
    Workload.createTopic(a, "lanes-hot", 1, Map.of());
    FlowConfig flow = FlowConfig.builder(a, b, TopicSelection.of("lanes.*", null)).name("lanes").shards(1)
        .commitInterval(Duration.ofMillis(50)).topicRefreshInterval(Duration.ofMillis(500)).build();
    List<TopicPartition> watched = new ArrayList<>();
    for (int p = 0; p < 6; p++) {
      watched.add(new TopicPartition("lanes", p));
    }
    watched.add(new TopicPartition("lanes-hot", 0));
    TopicPartition stuck = new TopicPartition("lanes-stuck", 0);
    Map<TopicPartition, ConcurrentSkipListMap<Long, Long>> sent = new ConcurrentHashMap<>();
    byte[] value = new byte[1024];
    LocalKafka b2 = null;
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST); KafkaProducer<byte[], byte[]> producer = producer(a)) {
      // everything the flow needs on the target (its topics, coordinators) lives on broker 1
      Workload.plain(a, "lanes", 6, 60, 0);
      r.awaitCaughtUp(Duration.ofSeconds(60));
      // one target partition on a second broker, which then stops: the partition has no leader and takes no writes
      // (the target topic first: once the source topic exists the flow creates its own within a refresh interval)
      b2 = clusters.b().addBroker();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", clusters.b().bootstrap()))) {
        admin.createTopics(List.of(new NewTopic("A.lanes-stuck", Map.of(0, List.of(b2.nodeId()))))).all().get();
      }
      Workload.createTopic(a, "lanes-stuck", 1, Map.of());
      send(producer, stuck, value, sent);
      producer.flush();
      await().atMost(Duration.ofSeconds(30)).until(() -> r.status().replication().committedPositions().getOrDefault(stuck, 0L) == 1L);
      b2.stop();

      long start = System.nanoTime();
      long warmUpEnd = start + Duration.ofSeconds(2).toNanos();
      long end = start + Duration.ofSeconds(20).toNanos();
      long maxLagMs = 0;
      int rounds = 0;
      while (System.nanoTime() < end) {
        // every 50 ms: one record to each ordinary partition and to the stuck one, ten to the hot one
        for (TopicPartition tp : watched) {
          for (int i = 0; i < (tp.topic().equals("lanes-hot") ? 10 : 1); i++) {
            send(producer, tp, value, sent);
          }
        }
        send(producer, stuck, value, sent);
        rounds++;
        Thread.sleep(50); // the pace of the workload, not a wait for a condition
        if (System.nanoTime() > warmUpEnd) {
          maxLagMs = Math.max(maxLagMs, maxLagMs(r, watched, sent));
        }
      }
      System.out.printf("slow-lane test: %d rounds, max replication lag of the partitions sharing the shard: %d ms%n", rounds, maxLagMs);
      // the partitions sharing the shard with the one that takes no writes catch up while it is still stuck
      producer.flush();
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        Map<TopicPartition, Long> at = r.status().replication().committedPositions();
        return watched.stream().allMatch(tp -> at.getOrDefault(tp, 0L) > sent.get(tp).lastKey());
      });
      assertThat(r.status().replication().slowLanePartitions()).containsExactly(stuck);
      assertThat(r.status().replication().committedPositions().get(stuck)).isEqualTo(1L);

      // the broker comes back: the slow lane's writes go through, and once they are quick it hands the partition back
      b2.start();
      await().atMost(Duration.ofSeconds(90)).untilAsserted(() ->
          assertThat(Verifier.verify(flow, "lanes-stuck", Duration.ofSeconds(10)).exact()).isTrue());
      assertThat(Verifier.verify(flow, "lanes", Duration.ofSeconds(10)).exact()).isTrue();
      assertThat(Verifier.verify(flow, "lanes-hot", Duration.ofSeconds(10)).exact()).isTrue();
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        send(producer, stuck, value, sent);
        assertThat(r.status().replication().slowLanePartitions()).isEmpty();
      });
      producer.flush();
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(Verifier.verify(flow, "lanes-stuck", Duration.ofSeconds(10)).exact()).isTrue());
    } finally {
      if (b2 != null) {
        b2.close();
      }
    }
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, TopicPartition tp, byte[] value,
      Map<TopicPartition, ConcurrentSkipListMap<Long, Long>> sent) {
    long at = System.nanoTime();
    producer.send(new ProducerRecord<>(tp.topic(), tp.partition(), null, value), (md, e) -> {
      if (e == null) {
        sent.computeIfAbsent(tp, k -> new ConcurrentSkipListMap<>()).put(md.offset(), at);
      }
    });
  }

  /** The age of the oldest record not yet replicated, over the watched partitions. */
  private static long maxLagMs(Replicator r, List<TopicPartition> watched, Map<TopicPartition, ConcurrentSkipListMap<Long, Long>> sent) {
    Map<TopicPartition, Long> replicated = r.status().replication().committedPositions();
    long now = System.nanoTime();
    long max = 0;
    for (TopicPartition tp : watched) {
      ConcurrentSkipListMap<Long, Long> times = sent.get(tp);
      if (times == null) {
        continue;
      }
      Map.Entry<Long, Long> oldest = times.ceilingEntry(replicated.getOrDefault(tp, 0L));
      if (oldest != null) {
        max = Math.max(max, (now - oldest.getValue()) / 1_000_000);
      }
    }
    return max;
  }

  private static KafkaProducer<byte[], byte[]> producer(ClusterConfig cluster) {
    Properties p = new Properties();
    p.put("bootstrap.servers", cluster.bootstrap());
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    p.put("linger.ms", "5");
    p.put("acks", "all");
    p.put("max.in.flight.requests.per.connection", "1"); // KAFKA-15591
    return new KafkaProducer<>(p);
  }
}
