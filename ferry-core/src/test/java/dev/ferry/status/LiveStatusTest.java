package dev.ferry.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.FerryException;
import dev.ferry.Problem;
import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.MetricsConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.flow.FlowStatus;
import dev.ferry.kafka.SourceGaps;
import dev.ferry.replicate.ReplicationStatus;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The flow's status as meters: per partition or per topic, problems by reason, failed reads counted, meters gone at close. */
class LiveStatusTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final FlowConfig flow = FlowConfig.builder(new ClusterConfig("A", "a:9092"), new ClusterConfig("B", "b:9092"),
      TopicSelection.of("t", null)).name("f").build();
  private final AtomicReference<FlowReport.Report> next = new AtomicReference<>();

  LiveStatusTest() {
    Metrics.addRegistry(registry);
  }

  @AfterEach
  void removeRegistry() {
    Metrics.removeRegistry(registry);
    registry.close();
  }

  private static FlowReport.PartitionRow row(int partition, long lag, double lagSeconds, long latencyMs) {
    return new FlowReport.PartitionRow(new TopicPartition("t", partition), new TopicPartition("A.t", partition), 100, OptionalLong.of(100 + lag),
        OptionalLong.of(lag), OptionalDouble.of(lagSeconds), SourceGaps.NONE, OptionalLong.of(latencyMs));
  }

  private FlowReport.Report report(List<FlowReport.PartitionRow> rows) {
    return new FlowReport.Report(flow, true, rows, List.of(new FlowReport.GroupRow("app", 2, 3_000, 42, 0)), List.of(),
        List.of(new FlowReport.ShardRow(0, Optional.empty(), 0, 0, OptionalLong.empty(), 0)), List.of(), List.of(), List.of("B.gone"), List.of(),
        Optional.empty(), 2);
  }

  private LiveStatus live(boolean perPartition) {
    FlowStatus local = new FlowStatus(ReplicationStatus.none(), Map.of("u", new Problem(Problem.Reason.CLEANUP_POLICY_MISMATCH, "mismatch")),
        Optional.empty());
    return new LiveStatus(flow, new MetricsConfig(OptionalInt.of(0), "127.0.0.1", perPartition, Duration.ofSeconds(1)), () -> local, () -> true,
        () -> {
          FlowReport.Report r = next.get();
          if (r == null) {
            throw new FerryException(FerryException.Reason.FAILED, "target does not answer");
          }
          return r;
        });
  }

  private double gauge(String name, String... tags) {
    return registry.get(name).tags(tags).gauge().value();
  }

  @Test
  void eachPartitionIsASeriesAndTheFlowsFiguresComeFromTheReport() {
    next.set(report(List.of(row(0, 5, 1.5, 100), row(1, 7, 3.0, 250))));
    try (LiveStatus s = live(true)) {
      s.refresh();
      assertThat(gauge("ferry.replication.lag.records", "topic", "t", "partition", "1")).isEqualTo(7);
      assertThat(gauge("ferry.replication.latency", "topic", "t", "partition", "0")).isEqualTo(0.1);
      assertThat(gauge("ferry.group.at.risk", "group", "app", "flow", "f", "source", "A", "target", "B")).isEqualTo(42);
      assertThat(gauge("ferry.group.checkpoint.age", "group", "app")).isEqualTo(3.0);
      assertThat(gauge("ferry.group.synced", "group", "app")).isEqualTo(1);
      assertThat(gauge("ferry.shards.unowned")).isEqualTo(1);
      assertThat(gauge("ferry.config.drift")).isEqualTo(2);
      assertThat(gauge("ferry.topics.orphan")).isEqualTo(1);
      assertThat(gauge("ferry.topic.problems", "reason", "cleanup_policy_mismatch")).isEqualTo(1);
      assertThat(gauge("ferry.topic.problems", "reason", "record_too_large")).isZero();
    }
  }

  @Test
  void withoutPartitionLabelsATopicSumsItsLagAndKeepsTheLargestAgeAndLatency() {
    next.set(report(List.of(row(0, 5, 1.5, 100), row(1, 7, 3.0, 250))));
    try (LiveStatus s = live(false)) {
      s.refresh();
      assertThat(registry.get("ferry.replication.lag.records").gauges()).hasSize(1);
      assertThat(registry.get("ferry.replication.lag.records").gauge().getId().getTag("partition")).isNull();
      assertThat(gauge("ferry.replication.lag.records", "topic", "t")).isEqualTo(12);
      assertThat(gauge("ferry.replication.lag.seconds", "topic", "t")).isEqualTo(3.0);
      assertThat(gauge("ferry.replication.latency", "topic", "t")).isEqualTo(0.25);
    }
  }

  @Test
  void aFailedReadIsCountedAndTheLastGoodOneStays() {
    try (LiveStatus s = live(true)) {
      s.refresh();
      assertThat(s.latest()).isEmpty();
      assertThat(s.lastError()).hasValue("target does not answer");
      assertThat(gauge("ferry.shards.unowned")).isNaN();
      next.set(report(List.of(row(0, 5, 1.5, 100))));
      s.refresh();
      next.set(null);
      s.refresh();
      assertThat(registry.get("ferry.status.failures").functionCounter().count()).isEqualTo(2);
      assertThat(s.latest()).isPresent();
      assertThat(gauge("ferry.replication.lag.records", "topic", "t", "partition", "0")).isEqualTo(5);
    }
  }

  @Test
  void closingRemovesTheFlowsMeters() {
    next.set(report(List.of(row(0, 5, 1.5, 100))));
    LiveStatus s = live(true);
    s.refresh();
    s.close();
    assertThat(registry.find("ferry.replication.lag.records").gauges()).isEmpty();
    assertThat(registry.find("ferry.topic.problems").gauges()).isEmpty();
    assertThat(registry.find("ferry.replicated.records").functionCounters()).isEmpty();
  }
}
