package dev.ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verification;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.replicate.TwoClusters;
import dev.ferry.status.FlowReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Several ferry processes (separate JVMs) share one flow through Kafka group membership, fenced by transactions. */
class ScaleOutIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters();

  /** A {@code ferry} process of its own, its output kept beside the clusters. */
  private static FerryProcess startFerry(String... args) {
    return FerryProcess.start(clusters.directory(), args);
  }

  private static String[] run(String name) {
    return new String[] {"run", "--name", name, "--source", "A=" + clusters.clusterA().bootstrap(), "--target", "B=" + clusters.clusterB().bootstrap(), "--topics", name,
        "--shards", "8", "--commit-interval", "100ms"};
  }

  private static FlowConfig flow(String name) {
    return FlowConfig.builder(clusters.clusterA(), clusters.clusterB(), TopicSelection.of(name, null)).name(name).shards(8).build();
  }

  /** Shards owned by each process of the flow, as the membership group reports them. */
  private static List<List<Integer>> owners(String name) {
    List<List<Integer>> out = new ArrayList<>();
    FlowReport.read(flow(name)).members().forEach(m -> out.add(m.shards()));
    return out;
  }

  private static void awaitExact(String name, long records) {
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      Verification v = Verifier.verify(flow(name), name, Duration.ofSeconds(30));
      assertThat(v.sourceRecords()).isEqualTo(records);
      assertThat(v.exact()).as("%s", v).isTrue();
    });
  }

  @Test
  void twoProcessesShareTheShardsAndCopyExactlyOnce() throws Exception {
    Workload.createTopic(clusters.clusterA(), "steady", 8, Map.of());
    Workload.plain(clusters.clusterA(), "steady", 8, 20_000, 0);
    try (FerryProcess p1 = startFerry(run("steady")); FerryProcess p2 = startFerry(run("steady"))) {
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        List<List<Integer>> o = owners("steady");
        return o.size() == 2 && o.stream().noneMatch(List::isEmpty) && o.stream().mapToInt(List::size).sum() == 8;
      });
      Workload.plain(clusters.clusterA(), "steady", 8, 20_000, 20_000);
      awaitExact("steady", 40_000);
    }
  }

  @Test
  void killNineOfOneProcessMidStreamLosesAndDuplicatesNothing() throws Exception {
    Workload.createTopic(clusters.clusterA(), "crash", 8, Map.of());
    Workload.plain(clusters.clusterA(), "crash", 8, 60_000, 0);
    try (FerryProcess p1 = startFerry(run("crash")); FerryProcess p2 = startFerry(run("crash"))) {
      await().atMost(Duration.ofSeconds(60)).until(() -> owners("crash").stream().filter(o -> !o.isEmpty()).count() == 2);
      p2.kill9();
      Workload.plain(clusters.clusterA(), "crash", 8, 20_000, 60_000);
      // after the session timeout the survivor owns every shard and fences the dead one's transactions
      await().atMost(Duration.ofSeconds(60)).until(() -> owners("crash").stream().anyMatch(o -> o.size() == 8));
      awaitExact("crash", 80_000);
      assertThat(p1.isAlive()).isTrue();
    }
  }

  @Test
  void aFrozenProcessThatWakesUpCannotCommitAnything() throws Exception {
    Workload.createTopic(clusters.clusterA(), "zombie", 8, Map.of());
    Workload.plain(clusters.clusterA(), "zombie", 8, 40_000, 0);
    try (FerryProcess p1 = startFerry(run("zombie")); FerryProcess p2 = startFerry(run("zombie"))) {
      await().atMost(Duration.ofSeconds(60)).until(() -> owners("zombie").stream().filter(o -> !o.isEmpty()).count() == 2);
      signal("STOP", p2.pid());
      try {
        Workload.plain(clusters.clusterA(), "zombie", 8, 20_000, 40_000);
        await().atMost(Duration.ofSeconds(60)).until(() -> {
          List<List<Integer>> o = owners("zombie");
          return o.stream().anyMatch(s -> s.size() == 8);
        });
        Workload.plain(clusters.clusterA(), "zombie", 8, 10_000, 60_000);
      } finally {
        signal("CONT", p2.pid());
      }
      Workload.plain(clusters.clusterA(), "zombie", 8, 10_000, 70_000);
      awaitExact("zombie", 80_000);
      assertThat(p2.output()).contains("lost shards");
    }
  }

  @Test
  void aProcessAddedMidStreamTakesShardsWithoutLossOrDuplicates() throws Exception {
    Workload.createTopic(clusters.clusterA(), "grow", 8, Map.of());
    Workload.plain(clusters.clusterA(), "grow", 8, 40_000, 0);
    try (FerryProcess p1 = startFerry(run("grow"))) {
      await().atMost(Duration.ofSeconds(60)).until(() -> owners("grow").stream().anyMatch(o -> o.size() == 8));
      try (FerryProcess p2 = startFerry(run("grow"))) {
        Workload.plain(clusters.clusterA(), "grow", 8, 20_000, 40_000);
        await().atMost(Duration.ofSeconds(60)).until(() -> owners("grow").stream().filter(o -> !o.isEmpty()).count() == 2);
        Workload.plain(clusters.clusterA(), "grow", 8, 20_000, 60_000);
        awaitExact("grow", 80_000);
      }
    }
  }

  @Test
  void twoHotPartitionsEndUpOnDifferentProcesses() throws Exception {
    String name = "hot";
    Workload.createTopic(clusters.clusterA(), name, 8, Map.of());
    int hotA = dev.ferry.replicate.Shards.of(name, 0, 8);
    int hotB = dev.ferry.replicate.Shards.of(name, 1, 8);
    String[] args = withBalanceInterval(run(name));
    AtomicBoolean producing = new AtomicBoolean(true);
    AtomicLong acked = new AtomicLong();
    // partitions 0 and 1 get ten times the traffic of the others
    Thread load = new Thread(() -> {
      Properties pp = new Properties();
      pp.put("bootstrap.servers", clusters.clusterA().bootstrap());
      pp.put("key.serializer", ByteArraySerializer.class.getName());
      pp.put("value.serializer", ByteArraySerializer.class.getName());
      pp.put("max.in.flight.requests.per.connection", "1"); // KAFKA-15591
      pp.put("linger.ms", "5");
      byte[] value = new byte[1024];
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) {
        while (producing.get()) {
          for (int p = 0; p < 8; p++) {
            for (int i = 0; i < (p < 2 ? 10 : 1); i++) {
              producer.send(new ProducerRecord<>(name, p, null, value), (md, e) -> {
                if (e == null) {
                  acked.incrementAndGet();
                }
              });
            }
          }
          Thread.sleep(20); // the pace of the workload
        }
        producer.flush();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "hot-load");
    load.start();
    try (FerryProcess p1 = startFerry(args)) {
      // the single process owns every shard and reports their throughput: the hot shards (ten times the traffic) carry the most
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        List<FlowReport.ShardRow> rows = FlowReport.read(flow(name)).shards();
        double coldMax = rows.stream().filter(r -> r.shard() != hotA && r.shard() != hotB).mapToDouble(FlowReport.ShardRow::bytesPerSecond).max().orElse(0);
        assertThat(rows.get(hotA).bytesPerSecond()).isGreaterThan(coldMax).isGreaterThan(0);
        assertThat(rows.get(hotB).bytesPerSecond()).isGreaterThan(coldMax);
      });
      try (FerryProcess p2 = startFerry(args)) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(() -> {
          List<List<Integer>> o = owners(name);
          return o.size() == 2 && o.stream().noneMatch(List::isEmpty) && o.stream().mapToInt(List::size).sum() == 8
              && o.stream().noneMatch(shards -> shards.contains(hotA) && shards.contains(hotB));
        });
        System.out.println("load-aware shard owners: " + owners(name) + " (hot shards " + hotA + ", " + hotB + ")");
        producing.set(false);
        load.join();
        awaitExact(name, acked.get());
        List<List<Integer>> o = owners(name);
        assertThat(o).noneMatch(shards -> shards.contains(hotA) && shards.contains(hotB));
      }
    } finally {
      producing.set(false);
      load.join();
    }
  }

  private static String[] withBalanceInterval(String[] args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--balance-interval", "2s"));
    return all.toArray(String[]::new);
  }

  /** Sends a signal to one process, by its pid. */
  private static void signal(String name, long pid) throws Exception {
    Process p = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
    assertThat(p.waitFor()).isZero();
  }
}
