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
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.HashMap;
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
  private final List<Series> series = new ArrayList<>();
  private final Series lag;
  private final Series lagSeconds;
  private final Series latency;
  private final Series gaps;
  private final Series atRisk;
  private final Series checkpointAge;
  private final Series active;
  private final Series synced;
  private final Series open;
  private final Thread thread;
  private volatile boolean closed;
  private volatile long startedAtMs = System.currentTimeMillis();

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
    this.local = recent(local);
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
    gauge(FerryMeters.STATUS_AGE, FerryMeters.UNIT_SECONDS,
        "Age of the last status read from the clusters (lag, groups, shards); since the start while none succeeded", () -> {
          Snapshot s = latest.get();
          return (System.currentTimeMillis() - (s == null ? startedAtMs : s.readAtMs())) / 1000.0;
        });
    meters.add(FunctionCounter.builder(FerryMeters.STATUS_FAILURES, failures, LongAdder::sum).tags(tags)
        .description("Status reads that failed (a cluster did not answer)").register(registry));
    thread = new Thread(this::loop, "ferry-" + flow.name() + "-status");
    thread.setDaemon(true);
  }

  /** Starts the periodic reads; the first one at once. */
  public LiveStatus start() {
    startedAtMs = System.currentTimeMillis();
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
      try {
        refresh();
      } catch (Throwable e) { // the thread must outlive anything one read does: the status would stop moving
        LOG.atError().addKeyValue("flow", flow.name()).log("status read failed unexpectedly: {}", e.toString());
      }
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

  /** Reads the status once and publishes it (or counts the failure; logged when the reason changes). */
  void refresh() {
    try {
      FlowReport.Report r = reader.get();
      if (closed) {
        return;
      }
      latest.set(new Snapshot(r, System.currentTimeMillis()));
      if (lastError.getAndSet(null) != null) {
        LOG.atInfo().addKeyValue("flow", flow.name()).log("status read from the clusters again");
      }
      publish(r);
    } catch (RuntimeException e) {
      failures.increment();
      String why = e instanceof FerryException ? e.getMessage() : e.toString();
      if (!why.equals(lastError.getAndSet(why))) {
        LOG.atWarn().addKeyValue("flow", flow.name()).log("status read failed (metrics and /status keep the last read): {}", why);
      }
    }
    if (!closed) {
      Map<Tags, Double> rows = new HashMap<>();
      local.get().replication().shardOpenRecords().forEach((shard, n) -> rows.put(tags.and(FerryMeters.SHARD, String.valueOf(shard)), n.doubleValue()));
      open.set(rows);
    }
  }

  private void publish(FlowReport.Report r) {
    // per key: lag (summed), lag seconds (largest), latency (largest), gaps (summed); NaN: unknown
    Map<Tags, double[]> byKey = new HashMap<>();
    for (FlowReport.PartitionRow p : r.partitions()) {
      Tags t = tags.and(FerryMeters.TOPIC, p.source().topic());
      if (config.perPartition()) {
        t = t.and(FerryMeters.PARTITION, String.valueOf(p.source().partition()));
      }
      double[] v = byKey.computeIfAbsent(t, k -> new double[] {0, 0, Double.NaN, 0});
      v[0] = p.lagRecords().isPresent() && !Double.isNaN(v[0]) ? v[0] + p.lagRecords().getAsLong() : Double.NaN;
      v[1] = p.lagSeconds().isPresent() && !Double.isNaN(v[1]) ? Math.max(v[1], p.lagSeconds().getAsDouble()) : Double.NaN;
      OptionalLong ms = p.latencyMs();
      if (ms.isPresent()) {
        v[2] = Double.isNaN(v[2]) ? ms.getAsLong() / 1000.0 : Math.max(v[2], ms.getAsLong() / 1000.0);
      }
      v[3] += p.gaps().records();
    }
    lag.set(column(byKey, 0));
    lagSeconds.set(column(byKey, 1));
    Map<Tags, Double> lat = column(byKey, 2);
    lat.values().removeIf(d -> Double.isNaN(d)); // a partition that replicated nothing lately has no latency
    latency.set(lat);
    gaps.set(column(byKey, 3));
    Map<Tags, Double> risk = new HashMap<>();
    Map<Tags, Double> age = new HashMap<>();
    Map<Tags, Double> act = new HashMap<>();
    Map<Tags, Double> syn = new HashMap<>();
    for (FlowReport.GroupRow g : r.groups()) {
      Tags t = tags.and(FerryMeters.GROUP, g.group());
      risk.put(t, (double) g.atRisk());
      age.put(t, g.checkpointAgeMs() / 1000.0);
      act.put(t, g.membersOnTarget() > 0 ? 1.0 : 0.0);
      syn.put(t, g.membersOnTarget() == 0 && flow.syncGroupOffsets() ? 1.0 : 0.0);
    }
    atRisk.set(risk);
    checkpointAge.set(age);
    active.set(act);
    synced.set(syn);
  }

  private static Map<Tags, Double> column(Map<Tags, double[]> byKey, int i) {
    Map<Tags, Double> out = new HashMap<>();
    byKey.forEach((t, v) -> out.put(t, v[i]));
    return out;
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

  /**
   * The process's figures, taken at most once a second: a scrape reads some twenty meters of them, and each snapshot
   * copies the flow's positions and problems.
   */
  private static Supplier<FlowStatus> recent(Supplier<FlowStatus> local) {
    record Taken(FlowStatus status, long atNanos) {}
    AtomicReference<Taken> last = new AtomicReference<>();
    return () -> {
      Taken t = last.get();
      long now = System.nanoTime();
      if (t == null || now - t.atNanos() > 1_000_000_000L) {
        t = new Taken(local.get(), now);
        last.set(t);
      }
      return t.status();
    };
  }

  private Series multi(String name, String unit, String help) {
    Series g = new Series(name, unit, help);
    series.add(g);
    return g;
  }

  /**
   * Gauges of one name whose label sets come and go (partitions, groups, shards): a label set keeps its gauge while
   * it is present, its value updated in place, so a scrape never finds it missing between two reads.
   */
  private final class Series {
    private final String name;
    private final String unit;
    private final String help;
    /** Each label set's value as the bits of a double, read by scrapes on other threads. */
    private final Map<Tags, java.util.concurrent.atomic.AtomicLong> values = new HashMap<>();
    private final Map<Tags, Gauge> gauges = new HashMap<>();

    Series(String name, String unit, String help) {
      this.name = name;
      this.unit = unit;
      this.help = help;
    }

    synchronized void set(Map<Tags, Double> now) {
      for (Map.Entry<Tags, Double> e : now.entrySet()) {
        java.util.concurrent.atomic.AtomicLong holder = values.get(e.getKey());
        if (holder == null) {
          java.util.concurrent.atomic.AtomicLong h = new java.util.concurrent.atomic.AtomicLong(Double.doubleToRawLongBits(e.getValue()));
          values.put(e.getKey(), h);
          Gauge.Builder<java.util.concurrent.atomic.AtomicLong> b = Gauge.builder(name, h, x -> Double.longBitsToDouble(x.get())).tags(e.getKey())
              .description(help).strongReference(true);
          if (unit != null) {
            b.baseUnit(unit);
          }
          gauges.put(e.getKey(), b.register(registry));
        } else {
          holder.set(Double.doubleToRawLongBits(e.getValue()));
        }
      }
      for (java.util.Iterator<Map.Entry<Tags, Gauge>> it = gauges.entrySet().iterator(); it.hasNext();) {
        Map.Entry<Tags, Gauge> e = it.next();
        if (!now.containsKey(e.getKey())) {
          registry.remove(e.getValue());
          values.remove(e.getKey());
          it.remove();
        }
      }
    }

    synchronized void clear() {
      set(Map.of());
    }
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
      thread.join(5_000);
      if (thread.isAlive()) {
        thread.interrupt(); // a read still waiting for a cluster: its result is dropped (closed)
        thread.join(5_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    series.forEach(Series::clear);
    meters.forEach(registry::remove);
  }
}
