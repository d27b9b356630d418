package dev.ferry.cli;

import dev.ferry.FerryException;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.flow.Replicator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ferry run}: replicates (and checkpoints consumer groups) until SIGTERM, then stops with everything committed. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Replicate topics and checkpoint consumer groups until stopped (SIGTERM or Ctrl-C), then stop cleanly "
        + "with everything committed. Give flows in a YAML file (--config) or one flow on the command line (--source, --target, --topics)."})
final class RunCommand implements Callable<Integer> {
  @Mixin FlowOptions flows;

  @Option(names = "--resume-after-failover", description = "Replicate again into a target that a flow failed over to (refused without it: "
      + "consumers and producers work there now). Records the source received since are copied into the target's topics.")
  boolean resumeAfterFailover;

  @Override
  public Integer call() throws InterruptedException {
    FerryConfig cfg = flows.config();
    List<Supplier<Replicator>> starts = new ArrayList<>();
    for (FlowConfig flow : cfg.flows()) {
      starts.add(() -> Replicator.start(flow, Replicator.Startup.RETRY,
          resumeAfterFailover ? Replicator.AfterFailover.RESUME : Replicator.AfterFailover.REFUSE));
    }
    return runUntilStopped(starts);
  }

  /**
   * Starts the flows and runs them until SIGTERM (exit 0 after a clean stop) or until one fails (its error thrown); every
   * flow is closed either way.
   */
  static int runUntilStopped(List<Supplier<Replicator>> flows) throws InterruptedException {
    List<Replicator> running = new java.util.concurrent.CopyOnWriteArrayList<>();
    Thread hook = new Thread(() -> running.forEach(Replicator::close), "ferry-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      for (Supplier<Replicator> start : flows) {
        running.add(start.get());
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
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // already shutting down
      }
    }
  }
}
