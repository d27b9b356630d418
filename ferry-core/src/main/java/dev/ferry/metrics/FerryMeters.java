package dev.ferry.metrics;

import dev.ferry.config.FlowConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * Every metric Ferry publishes, named in one place. Names are Micrometer's dotted names; the Prometheus registry writes
 * them with underscores, the base unit as a suffix and {@code _total} on counters ({@code ferry.replication.latency} with
 * unit seconds is {@code ferry_replication_latency_seconds}). Tags come from one fixed set: flow, source, target (cluster
 * aliases), topic, partition, group, shard, reason. Meters go to Micrometer's global registry: without a registry
 * added to it (no {@code --metrics-port}) they cost next to nothing and publish nowhere.
 */
public final class FerryMeters {
  private FerryMeters() {}

  public static final String FLOW = "flow";
  public static final String SOURCE = "source";
  public static final String TARGET = "target";
  public static final String TOPIC = "topic";
  public static final String PARTITION = "partition";
  public static final String GROUP = "group";
  public static final String SHARD = "shard";
  public static final String REASON = "reason";

  // per partition (per topic when per-partition labels are off), from the flow's status
  public static final String LAG_RECORDS = "ferry.replication.lag.records";
  public static final String LAG_SECONDS = "ferry.replication.lag.seconds";
  public static final String LATENCY = "ferry.replication.latency";
  public static final String GAP_RECORDS = "ferry.replication.gap";
  // per flow, this process
  public static final String RECORDS = "ferry.replicated.records";
  public static final String BYTES = "ferry.replicated.bytes";
  public static final String EXPIRED = "ferry.expired.records";
  public static final String FILTERED = "ferry.filtered.records";
  public static final String TRANSACTIONS = "ferry.transactions.committed";
  public static final String COMMIT = "ferry.transaction.commit";
  public static final String OPEN_RECORDS = "ferry.transaction.open";
  public static final String SHARD_RESTARTS = "ferry.shard.restarts";
  public static final String SHARDS_OWNED = "ferry.shards.owned";
  public static final String SHARD_FAULTS = "ferry.shard.faults";
  public static final String FLOW_UP = "ferry.flow.up";
  // per flow, from the flow's status (the same in every process of the flow)
  public static final String SHARDS = "ferry.shards";
  public static final String SHARDS_UNOWNED = "ferry.shards.unowned";
  public static final String PROCESSES = "ferry.processes";
  public static final String TOPIC_PROBLEMS = "ferry.topic.problems";
  public static final String CONFIG_DRIFT = "ferry.config.drift";
  public static final String CONFIG_RULES = "ferry.config.rules.broken";
  public static final String RECREATED = "ferry.topics.recreated";
  public static final String ORPHANS = "ferry.topics.orphan";
  public static final String STATUS_AGE = "ferry.status.age";
  public static final String STATUS_FAILURES = "ferry.status.failures";
  // per group
  public static final String AT_RISK = "ferry.group.at.risk";
  public static final String CHECKPOINT_AGE = "ferry.group.checkpoint.age";
  public static final String GROUP_ACTIVE = "ferry.group.active.on.target";
  public static final String GROUP_SYNCED = "ferry.group.synced";
  // the Kafka clients' own figures (KafkaClientMeters)
  public static final String KAFKA = "ferry.kafka";

  public static final String UNIT_RECORDS = "records";
  public static final String UNIT_SECONDS = "seconds";

  /** Where Ferry's meters go. */
  public static MeterRegistry registry() {
    return Metrics.globalRegistry;
  }

  /** The tags of a flow: its name and the aliases of its clusters. */
  public static Tags flowTags(FlowConfig flow) {
    return Tags.of(FLOW, flow.name(), SOURCE, flow.source().alias(), TARGET, flow.target().alias());
  }

  /** How long a shard's commits take: flush, the progress, the offset map and the commit itself. */
  public static Timer commitTimer(FlowConfig flow) {
    return Timer.builder(COMMIT).tags(flowTags(flow))
        .description("Time a replication transaction's commit takes (flush, offset map, progress, end of transaction)")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60))
        .register(registry());
  }
}
