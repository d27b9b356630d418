package dev.ferry.cli;

import dev.ferry.config.FlowConfig;
import dev.ferry.topics.Resync;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry resync}: the clean re-sync of one replicated topic. */
@Command(name = "resync", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Re-sync one replicated topic from scratch: delete its target topic (and with it the flow's progress and every "
        + "group's offsets on it); Ferry creates it again from the source topic and replicates that from its start, at once in "
        + "running `ferry run` processes of the flow (the other topics go on), else at their next start. Refused while a consumer "
        + "group reads the target topic, unless --force. Exit 0 done, 4 refused (nothing changed).")
final class ResyncCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin FlowOptions flows;

  @Option(names = "--flow", paramLabel = "NAME", description = "The flow (needed when the config has several).")
  String flow;

  @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "The source topic to re-sync.")
  String topic;

  @Option(names = "--dry-run", description = "Print what would be deleted; change nothing.")
  boolean dryRun;

  @Option(names = "--force", description = "Re-sync even while consumer groups read the target topic.")
  boolean force;

  @Override
  public Integer call() {
    FlowConfig f = flows.flow(flow);
    Resync resync = new Resync(f, topic);
    PrintWriter out = spec.commandLine().getOut();
    Resync.Plan plan = resync.plan();
    String prefix = dryRun ? "[dry run] " : "";
    out.printf("%sRe-sync of %s (flow %s): %s -> %s%n", prefix, plan.sourceTopic(), f.name(), f.source().describe(), f.target().describe());
    if (!plan.targetExists()) {
      out.println("target topic " + plan.targetTopic() + " does not exist: nothing to delete; Ferry creates it from " + plan.sourceTopic()
          + " and replicates it from its start");
      out.flush();
      return ExitCodes.OK;
    }
    out.printf("%s %s: %d partitions, %d offsets (records and transaction markers)%n", dryRun ? "would delete" : "deletes", plan.targetTopic(),
        plan.partitions(), plan.offsets());
    out.println("  with it: the flow's progress for its partitions"
        + (plan.groupsWithOffsets().isEmpty() ? "" : ", and the offsets on it of groups " + plan.groupsWithOffsets()
            + " (given again from the checkpoints once replicated, where the groups are inactive)"));
    plan.activeGroups().forEach((g, n) -> out.printf("  read now by group %s (%d member(s))%s%n", g, n, force ? "" : ": refused"));
    if (dryRun) {
      out.println(plan.activeGroups().isEmpty() || force ? "RESULT: would re-sync" : "RESULT: would be refused (exit 4) unless --force");
      out.flush();
      return plan.activeGroups().isEmpty() || force ? ExitCodes.OK : ExitCodes.REFUSED;
    }
    out.flush();
    resync.run(force);
    out.println("RESULT: deleted " + plan.targetTopic() + "; Ferry creates it again from " + plan.sourceTopic() + " and replicates it from its"
        + " start (now, where `ferry run` of the flow is up, else at its next start)");
    out.flush();
    return ExitCodes.OK;
  }
}
