package dev.ferry.status;

import dev.ferry.FerryException;
import dev.ferry.Problem;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.MetricsConfig;
import dev.ferry.flow.FlowStatus;
import dev.ferry.metrics.FerryMeters;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status of one flow running in this process, kept current for the metrics and the HTTP status: reads the flow's
 * {@link FlowReport} from the clusters every status interval (on its own thread) and publishes it, with this process's
 * own figures (records and bytes replicated, commits, open transactions, shards owned), as Ferry's meters. Closing it
 * stops the reads and removes its meters.
 */
public final class LiveStatus implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LiveStatus.class);

  /** The last report read, and when (epoch ms). */
  public record Snapshot(FlowReport.Report report, long readAtMs) {}

  private final FlowConfig flow;
  private final MetricsConfig config;
  private final Supplier<FlowStatus> local;
  private final BooleanSupplier up;
  private final Supplier<FlowReport.Report> reader;
  private final MeterRegistry registry = FerryMeters.registry();
  private final Tags tags;
  private final AtomicReference<Snapshot> latest = new AtomicReference<>();
  private final AtomicReference<String> lastError = new AtomicReference<>();
  private final LongAdder failures = new LongAdder();
  private final List<Meter> meters = new ArrayList<>();
  private final List<MultiGauge> multiGauges = new ArrayList<>();
  private final MultiGauge lag;
  private final MultiGauge lagSeconds;
  private final MultiGauge latency;
  private final MultiGauge gaps;
  private final MultiGauge atRisk;
  private final MultiGauge checkpointAge;
  private final MultiGauge active;
  private final MultiGauge synced;
  private final MultiGauge open;
  private final Thread thread;
  private volatile boolean closed;

  /**
   * @param local this process's figures of the flow
   * @param up whether the flow runs in this process (false once it failed)
   */
  public LiveStatus(FlowConfig flow, MetricsConfig config, Supplier<FlowStatus> local, BooleanSupplier up) {
    this(flow, config, local, up, () -> FlowReport.read(flow));
  }

  LiveStatus(FlowConfig flow, MetricsConfig config, Supplier<FlowStatus> local, BooleanSupplier up, Supplier<FlowReport.Report> reader) {
    this.flow = flow;
    this.config = config;
    this.local = local;
    this.up = up;
    this.reader = reader;
    this.tags = FerryMeters.flowTags(flow);
    lag = multi(FerryMeters.LAG_RECORDS, FerryMeters.UNIT_RECORDS, "Source records not yet replicated");
    lagSeconds = multi(FerryMeters.LAG_SECONDS, FerryMeters.UNIT_SECONDS, "Age of the oldest source record not yet replicated (0 when caught up)");
    latency = multi(FerryMeters.LATENCY, FerryMeters.UNIT_SECONDS,
        "Longest time a record replicated in the last report window took from its source timestamp to its commit on the target");
    gaps = multi(FerryMeters.GAP_RECORDS, FerryMeters.UNIT_RECORDS, "Source records that expired (retention) before they could be replicated");
    atRisk = multi(FerryMeters.AT_RISK, FerryMeters.UNIT_RECORDS, "Records a group consumed on the source that are not replicated: what a failover now would lose");
    checkpointAge = multi(FerryMeters.CHECKPOINT_AGE, FerryMeters.UNIT_SECONDS, "Age of the group's newest checkpoint");
    active = multi(FerryMeters.GROUP_ACTIVE, null, "1 when the group has members on the target (Ferry does not sync it then)");
    synced = multi(FerryMeters.GROUP_SYNCED, null, "1 when the group's translated offsets are committed on the target (inactive there, sync on)");
    open = multi(FerryMeters.OPEN_RECORDS, FerryMeters.UNIT_RECORDS, "Records in the open transactions of each shard this process runs");
    counter(FerryMeters.RECORDS, "Records this process wrote to the target in committed transactions", s -> s.replication().replicatedRecords());
    counter(FerryMeters.BYTES, "Key and value bytes this process replicated", s -> s.replication().shardBytes().values().stream().mapToLong(Long::longValue).sum());
    counter(FerryMeters.FILTERED, "Records not copied because their provenance already holds the target (loop protection)",
        s -> s.replication().filteredRecords());
    counter(FerryMeters.TRANSACTIONS, "Replication transactions this process committed", s -> s.replication().committedTransactions());
    counter(FerryMeters.SHARD_RESTARTS, "Times a shard lane of this process started new clients (fenced, or its producer failed)",
        s -> s.replication().shardRestarts());
    counter(FerryMeters.EXPIRED, "Source records this process found expired before they could be replicated",
        s -> s.replication().expiredBeforeReplication());
    gauge(FerryMeters.SHARDS_OWNED, null, "Shards of the flow this process runs", () -> local.get().replication().ownedShards().size());
    gauge(FerryMeters.SHARD_FAULTS, null, "Shards of this process that cannot go on for now (see ferry status)", () -> local.get().replication().shardFaults().size());
    gauge(FerryMeters.FLOW_UP, null, "1 while the flow runs in this process, 0 once it failed", () -> up.getAsBoolean() ? 1 : 0);
    for (Problem.Reason r : Problem.Reason.values()) {
      meters.add(Gauge.builder(FerryMeters.TOPIC_PROBLEMS, () -> problems().getOrDefault(r, 0)).tags(tags.and(FerryMeters.REASON, r.name().toLowerCase()))
          .description("Source topics and partitions not replicated now, by reason").strongReference(true).register(registry));
    }
    gauge(FerryMeters.SHARDS, null, "Shards of the flow", () -> report().map(rep -> rep.shards().size()).orElse(flow.shards()));
    gauge(FerryMeters.SHARDS_UNOWNED, null, "Shards of the flow no process owns", () -> fromReport(rep -> rep.shards().stream().filter(s -> s.owner().isEmpty()).count()));
    gauge(FerryMeters.PROCESSES, null, "Processes of the flow in its membership group", () -> fromReport(rep -> rep.members().size()));
    gauge(FerryMeters.CONFIG_DRIFT, null, "Topic pairs that differ from what the flow wants (as ferry audit counts them)", () -> fromReport(FlowReport.Report::drifted));
    gauge(FerryMeters.CONFIG_RULES, null, "Rules the target topics' own configs break", () -> fromReport(rep -> rep.configRules().size()));
    gauge(FerryMeters.RECREATED, null, "Source topics deleted and created again that the flow has not taken up", () -> fromReport(rep -> rep.recreated().size()));
    gauge(FerryMeters.ORPHANS, null, "Target topics whose source topic is gone", () -> fromReport(rep -> rep.orphans().size()));
    gauge(FerryMeters.STATUS_AGE, FerryMeters.UNIT_SECONDS, "Age of the last status read from the clusters (lag, groups, shards)", () -> {
      Snapshot s = latest.get();
      return s == null ? Double.NaN : (System.currentTimeMillis() - s.readAtMs()) / 1000.0;
    });
    meters.add(FunctionCounter.builder(FerryMeters.STATUS_FAILURES, failures, LongAdder::sum).tags(tags)
        .description("Status reads that failed (a cluster did not answer)").register(registry));
    thread = new Thread(this::loop, "ferry-" + flow.name() + "-status");
    thread.setDaemon(true);
  }

  /** Starts the periodic reads; the first one at once. */
  public LiveStatus start() {
    thread.start();
    return this;
  }

  public FlowConfig flow() {
    return flow;
  }

  /** The last status read, if one succeeded yet. */
  public Optional<Snapshot> latest() {
    return Optional.ofNullable(latest.get());
  }

  /** Why the last read failed, if it did. */
  public Optional<String> lastError() {
    return Optional.ofNullable(lastError.get());
  }

  /** This process's figures of the flow now. */
  public FlowStatus local() {
    return local.get();
  }

  public boolean up() {
    return up.getAsBoolean();
  }

  private void loop() {
    while (!closed) {
      refresh();
      synchronized (this) {
        try {
          if (!closed) {
            wait(config.statusInterval().toMillis());
          }
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /** Reads the status once and publishes it (or counts the failure). */
  void refresh() {
    try {
      FlowReport.Report r = reader.get();
      latest.set(new Snapshot(r, System.currentTimeMillis()));
      lastError.set(null);
      publish(r);
    } catch (FerryException e) {
      failures.increment();
      lastError.set(e.getMessage());
      LOG.atDebug().addKeyValue("flow", flow.name()).log("status read failed: {}", e.getMessage());
    } catch (RuntimeException e) {
      failures.increment();
      lastError.set(e.toString());
      LOG.atWarn().addKeyValue("flow", flow.name()).log("status read failed: {}", e.toString());
    }
    open.register(local.get().replication().shardOpenRecords().entrySet().stream()
        .<MultiGauge.Row<?>>map(e -> MultiGauge.Row.of(tags.and(FerryMeters.SHARD, String.valueOf(e.getKey())), e.getValue())).toList(), true);
  }

  private void publish(FlowReport.Report r) {
    Map<Tags, double[]> byKey = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
    for (FlowReport.PartitionRow p : r.partitions()) {
      Tags t = tags.and(FerryMeters.TOPIC, p.source().topic());
      if (config.perPartition()) {
        t = t.and(FerryMeters.PARTITION, String.valueOf(p.source().partition()));
      }
      // lag (summed), lag seconds (largest), latency (largest), gaps (summed); NaN: unknown
      double[] v = byKey.computeIfAbsent(t, k -> new double[] {0, 0, Double.NaN, 0});
      v[0] = p.lagRecords().isPresent() && !Double.isNaN(v[0]) ? v[0] + p.lagRecords().getAsLong() : Double.NaN;
      v[1] = p.lagSeconds().isPresent() && !Double.isNaN(v[1]) ? Math.max(v[1], p.lagSeconds().getAsDouble()) : Double.NaN;
      OptionalLong ms = p.latencyMs();
      if (ms.isPresent()) {
        v[2] = Double.isNaN(v[2]) ? ms.getAsLong() / 1000.0 : Math.max(v[2], ms.getAsLong() / 1000.0);
      }
      v[3] += p.gaps().records();
    }
    lag.register(rows(byKey, 0), true);
    lagSeconds.register(rows(byKey, 1), true);
    latency.register(byKey.entrySet().stream().filter(e -> !Double.isNaN(e.getValue()[2]))
        .<MultiGauge.Row<?>>map(e -> MultiGauge.Row.of(e.getKey(), e.getValue()[2])).toList(), true);
    gaps.register(rows(byKey, 3), true);
    List<MultiGauge.Row<?>> risk = new ArrayList<>();
    List<MultiGauge.Row<?>> age = new ArrayList<>();
    List<MultiGauge.Row<?>> act = new ArrayList<>();
    List<MultiGauge.Row<?>> syn = new ArrayList<>();
    for (FlowReport.GroupRow g : r.groups()) {
      Tags t = tags.and(FerryMeters.GROUP, g.group());
      risk.add(MultiGauge.Row.of(t, g.atRisk()));
      age.add(MultiGauge.Row.of(t, g.checkpointAgeMs() / 1000.0));
      act.add(MultiGauge.Row.of(t, g.membersOnTarget() > 0 ? 1 : 0));
      syn.add(MultiGauge.Row.of(t, g.membersOnTarget() == 0 && flow.syncGroupOffsets() ? 1 : 0));
    }
    atRisk.register(risk, true);
    checkpointAge.register(age, true);
    active.register(act, true);
    synced.register(syn, true);
  }

  private static List<MultiGauge.Row<?>> rows(Map<Tags, double[]> byKey, int i) {
    return byKey.entrySet().stream().<MultiGauge.Row<?>>map(e -> MultiGauge.Row.of(e.getKey(), e.getValue()[i])).toList();
  }

  /** Problems of this process's view: topics the topic refresh cannot replicate, partitions whose replication stopped. */
  private Map<Problem.Reason, Integer> problems() {
    FlowStatus s = local.get();
    Map<Problem.Reason, Integer> out = new EnumMap<>(Problem.Reason.class);
    s.topicProblems().values().forEach(p -> out.merge(p.reason(), 1, Integer::sum));
    s.replication().partitionProblems().values().forEach(p -> out.merge(p.reason(), 1, Integer::sum));
    return out;
  }

  private Optional<FlowReport.Report> report() {
    return latest().map(Snapshot::report);
  }

  private double fromReport(ToDoubleFunction<FlowReport.Report> f) {
    return report().map(f::applyAsDouble).orElse(Double.NaN);
  }

  private MultiGauge multi(String name, String unit, String help) {
    MultiGauge.Builder b = MultiGauge.builder(name).description(help);
    if (unit != null) {
      b.baseUnit(unit);
    }
    MultiGauge g = b.register(registry);
    multiGauges.add(g);
    return g;
  }

  private void counter(String name, String help, ToDoubleFunction<FlowStatus> f) {
    meters.add(FunctionCounter.builder(name, local, s -> f.applyAsDouble(s.get())).tags(tags).description(help).register(registry));
  }

  private void gauge(String name, String unit, String help, Supplier<Number> f) {
    Gauge.Builder<Supplier<Number>> b = Gauge.builder(name, f).tags(tags).description(help).strongReference(true);
    if (unit != null) {
      b.baseUnit(unit);
    }
    meters.add(b.register(registry));
  }

  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      notifyAll();
    }
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    multiGauges.forEach(g -> g.register(List.of(), true));
    meters.forEach(registry::remove);
  }
}
