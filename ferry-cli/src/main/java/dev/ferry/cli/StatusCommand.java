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

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    for (FlowConfig f : flow == null ? flows.config().flows() : java.util.List.of(flows.flow(flow))) {
      FlowReport.Report r = FlowReport.read(f);
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
    out.flush();
    return ExitCodes.OK;
  }

  private static String orUnknown(java.util.OptionalLong v) {
    return v.isPresent() ? Long.toString(v.getAsLong()) : "?";
  }
}
