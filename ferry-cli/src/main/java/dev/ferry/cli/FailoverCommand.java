package dev.ferry.cli;

import dev.ferry.config.FlowConfig;
import dev.ferry.failover.Failover;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry failover}: move a flow's consumer groups to the target, exactly. */
@Command(name = "failover", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Fail a flow's consumer groups over to the target: check the target is healthy, stop the flow's replication "
        + "(every process commits and releases its shards, then all shards are fenced), take a final checkpoint from the source "
        + "if it still answers (else use the last checkpoints) and commit the exact translated offsets to every selected group "
        + "that has no members on the target. Exit 0 done, 1 some commits failed, 3 done with data at risk, 4 refused.")
final class FailoverCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin FlowOptions flows;

  @Option(names = "--flow", paramLabel = "NAME", description = "The flow to fail over (needed when the config has several).")
  String flow;

  @Option(names = "--dry-run", description = "Check and print what would be done; change nothing.")
  boolean dryRun;

  @Option(names = "--force-rewind", description = "Also move a group's target offset backwards when the translation is behind it.")
  boolean forceRewind;

  @Override
  public Integer call() {
    FlowConfig f = flows.flow(flow);
    Failover.Report report = new Failover(f, flows.config != null ? flows.groupFilter() : java.util.Optional.empty(), dryRun, forceRewind).run();
    PrintWriter out = spec.commandLine().getOut();
    out.printf("%sFailover of flow %s: %s -> %s%n", dryRun ? "[dry run] " : "", f.name(), f.source().describe(), f.target().describe());
    if (report.refused().isPresent()) {
      out.println("REFUSED: " + report.refused().get() + ". Nothing was changed.");
      out.flush();
      return ExitCodes.REFUSED;
    }
    out.println("replication: " + report.replication());
    out.println("offsets from: " + report.checkpointSource());
    out.println();
    out.printf("%-24s %-32s %16s %10s  %s%n", "group", "target partition", "target offset", "lost", "status");
    for (Failover.Row r : report.rows()) {
      out.printf("%-24s %-32s %16d %10d  %s%n", r.group(), r.target(), r.targetOffset(), r.lost(), r.outcome());
    }
    out.println();
    report.activeGroups().forEach((g, why) -> out.println("left alone: " + why));
    report.failedGroups().forEach((g, why) -> out.println("failed: group " + g + ": " + why));
    // every condition that holds is said; the exit code is the most urgent one (1, then 4, then 3)
    String done = dryRun ? "would be done" : "done";
    int code = ExitCodes.OK;
    if (report.lost() > 0) {
      out.println("RESULT: " + done + " with data at risk: " + report.lost()
          + " records consumed on the source were never replicated (lost by this failover).");
      code = ExitCodes.DATA_AT_RISK;
    }
    if (!report.activeGroups().isEmpty()) {
      out.println("RESULT: groups active on the target were refused (exit 4); the others are " + (dryRun ? "ready" : "done") + ".");
      code = ExitCodes.REFUSED;
    }
    if (!report.failedGroups().isEmpty()) {
      out.println("RESULT: the offsets of " + report.failedGroups().size() + " group(s) could not be committed (exit 1); run the failover"
          + " again once the cause is fixed (it is safe to repeat).");
      code = ExitCodes.FAILURE;
    }
    if (code == ExitCodes.OK) {
      out.println("RESULT: " + done + ": every group resumes on the target at the exact translation of its source position, 0 records lost.");
    }
    out.flush();
    return code;
  }
}
