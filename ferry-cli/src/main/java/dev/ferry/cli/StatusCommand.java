package dev.ferry.cli;

import dev.ferry.config.FlowConfig;
import dev.ferry.status.FlowReport;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry status}: replication lag per partition, checkpoints and records at risk per group, shard owners. */
@Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Show each flow's replication lag per partition (records and seconds) and its current replication latency, each group's checkpoint age and records "
        + "at risk (what a failover now would lose), and which processes own which shards with each shard's throughput. Reads the clusters; needs no running Ferry.")
final class StatusCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin FlowOptions flows;

  @Option(names = "--flow", paramLabel = "NAME", description = "Only this flow.")
  String flow;

  @Option(names = "--format", paramLabel = "table|json", description = "Output format (default: table; json: the same as a running ferry serves at /status).")
  String format = "table";

  @Option(names = "--watch", paramLabel = "SECONDS", description = "Read and show the status again every SECONDS seconds, until Ctrl-C.")
  Integer watch;

  @Override
  public Integer call() throws InterruptedException {
    Json.requireFormat(format);
    if (watch != null && (watch < 1 || watch > 3600)) {
      throw new dev.ferry.FerryException(dev.ferry.FerryException.Reason.BAD_INPUT, "--watch: " + watch + " is out of range 1..3600 seconds");
    }
    PrintWriter out = spec.commandLine().getOut();
    java.util.List<FlowConfig> selected = flow == null ? flows.config().flows() : java.util.List.of(flows.flow(flow));
    boolean terminal = Progress.terminal();
    while (true) {
      java.util.List<FlowReport.Report> reports = new java.util.ArrayList<>();
      try {
        for (FlowConfig f : selected) {
          reports.add(FlowReport.read(f));
        }
      } catch (dev.ferry.FerryException e) {
        if (watch == null) {
          throw e;
        }
        spec.commandLine().getErr().println("ferry: " + e.getMessage() + " (trying again in " + watch + " s)");
        Thread.sleep(watch * 1000L);
        continue; // --watch outlives a cluster that does not answer for a while
      }
      long readAt = System.currentTimeMillis();
      if (watch != null && terminal) {
        out.print("\033[H\033[2J"); // clear the screen, as watch(1) does
      }
      if (format.equals("json")) {
        out.println(Json.write(reports.stream().map(r -> StatusJson.of(r, readAt, java.util.Optional.empty())).toList()));
      } else {
        if (watch != null) {
          out.printf("%s, every %d s (Ctrl-C to stop)%n", java.time.Instant.ofEpochMilli(readAt), watch);
        }
        reports.forEach(r -> table(out, r));
      }
      out.flush();
      if (watch == null) {
        return ExitCodes.OK;
      }
      Thread.sleep(watch * 1000L);
    }
  }

  private static void table(PrintWriter out, FlowReport.Report r) {
    FlowConfig f = r.flow();
    out.printf("flow %s: %s -> %s%s%n", f.name(), f.source().describe(), f.target().describe(),
        r.sourceReachable() ? "" : " (source does not answer: lag unknown)");
    out.printf("  %-30s %-32s %14s %14s %10s %10s %11s  %s%n", "source partition", "target partition", "replicated to", "source end", "lag",
        "lag s", "latency ms", "expired unreplicated");
    for (FlowReport.PartitionRow p : r.partitions()) {
      out.printf("  %-30s %-32s %14d %14s %10s %10s %11s  %s%n", p.source(), p.target(), p.replicatedUpTo(),
          orUnknown(p.sourceEnd()), orUnknown(p.lagRecords()),
          p.lagSeconds().isPresent() ? String.format("%.1f", p.lagSeconds().getAsDouble()) : "?",
          p.latencyMs().isPresent() ? Long.toString(p.latencyMs().getAsLong()) : "-", p.gaps());
    }
    r.recreated().forEach(line -> out.println("  recreated: " + line));
    r.recreations().forEach(line -> out.println("  history: " + line));
    r.orphans().forEach(o -> out.println("  orphan: target topic " + o + " was replicated by the flow, but its source topic is gone (kept)"));
    r.configRules().forEach(v -> out.println("  config rule broken: " + v));
    r.topicsUnchecked().ifPresent(why -> out.println("  topics not checked for orphans and config rules: " + why));
    out.printf("  %-30s %10s %16s %10s  %s%n", "group", "partitions", "checkpoint age", "at risk", "on target");
    for (FlowReport.GroupRow g : r.groups()) {
      out.printf("  %-30s %10d %15.1fs %10d  %s%n", g.group(), g.partitions(), g.checkpointAgeMs() / 1000.0, g.atRisk(),
          g.membersOnTarget() == 0 ? "inactive" : "active, " + g.membersOnTarget() + " member(s): not synced");
    }
    out.printf("  processes: %d%n", r.members().size());
    for (FlowReport.MemberRow m : r.members()) {
      out.printf("    %s on %s owns shards %s%n", m.clientId(), m.host(), m.shards());
    }
    out.printf("  %-6s %-36s %12s %10s %10s  %s%n", "shard", "owner", "records/s", "MB/s", "slow lane", "reported");
    for (FlowReport.ShardRow sh : r.shards()) {
      out.printf("  %-6d %-36s %12.0f %10.2f %10d  %s%n", sh.shard(), sh.owner().orElse("(none)"), sh.recordsPerSecond(),
          sh.bytesPerSecond() / 1e6, sh.slowPartitions(), sh.statsAgeMs().isPresent() ? String.format("%.0fs ago", sh.statsAgeMs().getAsLong() / 1000.0) : "never");
    }
  }

  private static String orUnknown(java.util.OptionalLong v) {
    return v.isPresent() ? Long.toString(v.getAsLong()) : "?";
  }
}
