package dev.ferry.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verification;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.flow.Replicator;
import dev.ferry.local.LocalKafka;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Faults on real clusters while Ferry replicates a backlog: brokers killed and restarted, clusters unreachable for
 * longer than the clients' timeouts, the network to the target cut. Each ends with an exact read_committed check of the
 * numbered records and Ferry still running; {@link #printTable()} prints the figures.
 *
 * <p>Ferry reaches the target through a {@link TcpProxy} (the target broker advertises the proxy), so the network can be
 * cut. In the build, outages last 30 s and the clients' timeouts are scaled down (request 3 s, delivery and blocking 6 s)
 * so the same failure modes show in seconds; {@code -Pfaults-long} runs 5-minute outages with the default timeouts.
 */
class FaultIT {
  private static final int RECORDS = 200_000;
  private static final Duration OUTAGE = Duration.parse(System.getProperty("ferry.fault.outage", "PT30S"));
  private static final boolean SCALED = Boolean.parseBoolean(System.getProperty("ferry.fault.scaled", "true"));
  private static final Map<String, String> SCALED_TIMEOUTS = Map.of("request.timeout.ms", "3000", "default.api.timeout.ms", "6000",
      "delivery.timeout.ms", "6000", "max.block.ms", "6000");
  private static final List<String> ROWS = new ArrayList<>();

  private static Path dir;
  private static TcpProxy proxy;
  private static LocalKafka a;
  private static LocalKafka b;

  @BeforeAll
  static void startClusters() throws IOException {
    dir = Files.createTempDirectory("ferry-faults");
    proxy = new TcpProxy(() -> Integer.parseInt(b.bootstrap().substring(b.bootstrap().lastIndexOf(':') + 1)));
    a = LocalKafka.create("A", dir.resolve("A"), Map.of());
    b = LocalKafka.create("B", dir.resolve("B"), Map.of("advertised.listeners", "PLAINTEXT://127.0.0.1:" + proxy.port()));
    a.start();
    b.start();
  }

  @AfterAll
  static void printTable() throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add(String.format("%-44s %9s %6s %10s %11s %16s", "scenario", "records", "lost", "duplicated", "Ferry alive", "time to recover"));
    lines.addAll(ROWS);
    lines.add("(outages " + OUTAGE.toSeconds() + " s, client timeouts " + (SCALED ? "scaled down: request 3 s, delivery and blocking 6 s)"
        : "Ferry's defaults)"));
    lines.forEach(System.out::println);
    Path out = Path.of("target", "fault-table.txt");
    Files.createDirectories(out.getParent());
    Files.write(out, lines);
    for (AutoCloseable c : new AutoCloseable[] {proxy, a, b}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // closing anyway
      }
    }
  }

  @Test
  void sourceBrokerKilledMidStreamAndRestarted() {
    replicateThrough("source broker kill -9, restart after 5 s", "kill-source", Duration.ofSeconds(5), a::kill, a::start);
  }

  @Test
  void targetBrokerKilledWithATransactionOpenAndRestarted() {
    replicateThrough("target broker kill -9 (transaction open), restart after 5 s", "kill-target", Duration.ofSeconds(5), b::kill, b::start);
  }

  @Test
  void targetUnreachableForLongerThanTheClientTimeouts() {
    replicateThrough("target down " + OUTAGE.toSeconds() + " s", "down-target", OUTAGE, b::stop, b::start);
  }

  @Test
  void sourceUnreachableForLongerThanTheClientTimeouts() {
    replicateThrough("source down " + OUTAGE.toSeconds() + " s", "down-source", OUTAGE, a::stop, a::start);
  }

  @Test
  void networkToTheTargetCutAndHealed() {
    replicateThrough("network to target cut " + OUTAGE.toSeconds() + " s (TCP proxy)", "cut-target", OUTAGE, proxy::cut, proxy::heal);
  }

  /**
   * Replicates a backlog of {@link #RECORDS} numbered records; once a fifth is across, {@code fault} runs and lasts
   * {@code outage} (Ferry must stay alive throughout), then {@code heal}. Ferry must catch up, alive, with every record
   * on the target exactly once.
   */
  private static void replicateThrough(String scenario, String topic, Duration outage, Runnable fault, Runnable heal) {
    ClusterConfig source = new ClusterConfig("A", a.bootstrap(), SCALED ? SCALED_TIMEOUTS : Map.of());
    ClusterConfig target = new ClusterConfig("B", "127.0.0.1:" + proxy.port(), SCALED ? SCALED_TIMEOUTS : Map.of());
    Workload.createTopic(source, topic, 4, Map.of());
    Workload.plain(source, topic, 4, RECORDS, 0);
    FlowConfig flow = FlowConfig.builder(source, target, TopicSelection.of(topic, null)).name(topic).shards(2)
        .topicRefreshInterval(Duration.ofMillis(500)).build();
    boolean alive;
    Duration recovery;
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> r.status().replication().replicatedRecords() >= RECORDS / 5);
      fault.run();
      await().during(outage).atMost(outage.plusSeconds(30)).until(() -> r.failure().isEmpty());
      long healed = System.nanoTime();
      heal.run();
      await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().untilAsserted(() -> r.awaitCaughtUp(Duration.ofSeconds(10)));
      recovery = Duration.ofNanos(System.nanoTime() - healed);
      alive = r.failure().isEmpty();
    }
    Verification v = Verifier.verify(flow, topic, Duration.ofSeconds(60));
    ROWS.add(String.format("%-44s %9d %6d %10d %11s %15.1fs", scenario, v.sourceRecords(), v.missing(), v.duplicated() + v.unexpected(),
        alive ? "yes" : "NO", recovery.toMillis() / 1000.0));
    assertThat(alive).isTrue();
    assertThat(v.exact()).as(scenario + ": " + v).isTrue();
    assertThat(v.targetRecords()).isEqualTo(RECORDS);
  }
}
