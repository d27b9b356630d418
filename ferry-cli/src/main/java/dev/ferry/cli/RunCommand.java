package dev.ferry.cli;

import dev.ferry.FerryException;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.MetricsConfig;
import dev.ferry.flow.FlowStatus;
import dev.ferry.flow.Replicator;
import dev.ferry.replicate.ReplicationStatus;
import dev.ferry.status.LiveStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ferry run}: replicates (and checkpoints consumer groups) until SIGTERM, then stops with everything committed. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Replicate topics and checkpoint consumer groups until stopped (SIGTERM or Ctrl-C), then stop cleanly "
        + "with everything committed. Give flows in a YAML file (--config) or one flow on the command line (--source, --target, --topics)."})
final class RunCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;
  @Mixin FlowOptions flows;

  @Option(names = "--resume-after-failover", description = "Replicate again into a target that a flow failed over to (refused without it: "
      + "consumers and producers work there now). Records the source received since are copied into the target's topics.")
  boolean resumeAfterFailover;

  @Option(names = "--metrics-port", paramLabel = "PORT", description = "Serve Prometheus metrics (/metrics), probes (/healthz, /readyz), "
      + "the status as JSON (/status) and a status page (/) on this port (default: metrics.port of the config, else none).")
  Integer metricsPort;

  /** A flow to start, by its config and how to start it. */
  record Start(FlowConfig flow, Supplier<Replicator> start) {}

  @Override
  public Integer call() throws InterruptedException {
    FerryConfig cfg = flows.config();
    List<Start> starts = new ArrayList<>();
    for (FlowConfig flow : cfg.flows()) {
      starts.add(new Start(flow, () -> Replicator.start(flow, Replicator.Startup.RETRY,
          resumeAfterFailover ? Replicator.AfterFailover.RESUME : Replicator.AfterFailover.REFUSE)));
    }
    MetricsConfig metrics = cfg.metrics();
    if (metricsPort != null) {
      if (metricsPort < 0 || metricsPort > 65535) {
        throw new FerryException(FerryException.Reason.BAD_INPUT, "--metrics-port: " + metricsPort + " is not a port (0..65535)");
      }
      metrics = metrics.withPort(metricsPort);
    }
    return runUntilStopped(starts, metrics, spec.commandLine().getOut());
  }

  /**
   * Starts the flows and runs them until SIGTERM (exit 0 after a clean stop) or until one fails (its error thrown); every
   * flow is closed either way. With metrics on, the HTTP server answers from before the first flow starts (alive, not
   * ready) until every flow stopped. A large backlog at start shows its progress on {@code out}.
   */
  static int runUntilStopped(List<Start> flows, MetricsConfig metrics, java.io.PrintWriter out) throws InterruptedException {
    List<Replicator> running = new CopyOnWriteArrayList<>();
    List<Served> served = new ArrayList<>();
    StatusServer server = null;
    Thread hook = new Thread(() -> running.forEach(Replicator::close), "ferry-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      if (metrics.enabled()) {
        // the server's registry first: meters registered before it joins would miss what they counted
        List<StatusServer.Flow> view = new CopyOnWriteArrayList<>();
        server = StatusServer.start(metrics, () -> view);
        for (Start s : flows) {
          served.add(new Served(s.flow(), metrics));
        }
        view.addAll(served);
        served.forEach(Served::start);
      }
      for (int i = 0; i < flows.size(); i++) {
        Replicator r = flows.get(i).start().get();
        running.add(r);
        CatchUpProgress.follow(r, out);
        if (!served.isEmpty()) {
          served.get(i).replicator = r;
        }
      }
      while (running.stream().allMatch(r -> r.failure().isEmpty())) {
        for (Replicator r : running) {
          if (r.awaitEnd(Duration.ofMillis(500)) && r.failure().isEmpty()) {
            return ExitCodes.OK; // closed by the shutdown hook
          }
        }
      }
      FerryException failure = running.stream().flatMap(r -> r.failure().stream()).findFirst().orElseThrow();
      throw failure;
    } finally {
      running.forEach(Replicator::close);
      served.forEach(Served::close);
      if (server != null) {
        server.close();
      }
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // already shutting down
      }
    }
  }

  /** A flow of this process with its live status, as the HTTP server sees it. */
  private static final class Served implements StatusServer.Flow {
    private final LiveStatus status;
    volatile Replicator replicator;

    Served(FlowConfig flow, MetricsConfig metrics) {
      this.status = new LiveStatus(flow, metrics, this::local, () -> dead().isEmpty());
    }

    void start() {
      status.start();
    }

    private FlowStatus local() {
      Replicator r = replicator;
      return r == null ? new FlowStatus(ReplicationStatus.none(), Map.of(), Optional.empty()) : r.status();
    }

    @Override
    public LiveStatus status() {
      return status;
    }

    @Override
    public Optional<String> dead() {
      Replicator r = replicator;
      return r == null ? Optional.empty() : r.failure().map(e -> "failed: " + e.getMessage());
    }

    @Override
    public Optional<String> notReady() {
      Replicator r = replicator;
      if (r == null) {
        return Optional.of("starting (waiting for its clusters)");
      }
      if (r.failure().isPresent()) {
        return dead();
      }
      ReplicationStatus s = r.status().replication();
      if (!s.joined()) {
        return Optional.of("not yet a member of its group");
      }
      if (!s.shardFaults().isEmpty()) {
        return Optional.of("shards that cannot go on: " + s.shardFaults());
      }
      return Optional.empty();
    }

    void close() {
      status.close();
    }
  }
}
