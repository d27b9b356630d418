package dev.ferry.cli;

import dev.ferry.FerryException;
import dev.ferry.config.FlowConfig;
import dev.ferry.failback.FailbackPlan;
import dev.ferry.failback.GroupsBackJob;
import dev.ferry.failback.ReverseFlow;
import dev.ferry.flow.Replicator;
import dev.ferry.kafka.ClusterHealth;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry failback}: moving a failed-over flow's work back to its source cluster, step by step. */
@Command(name = "failback", mixinStandardHelpOptions = true,
    description = "Fail a flow back to its source cluster after a failover, step by step. Takes the forward flow's options.",
    subcommands = {FailbackCommand.Plan.class, FailbackCommand.Start.class})
final class FailbackCommand {

  @Command(name = "start", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Start the reverse replication (the flow's source and target swapped, as flow <name>-failback) that copies back only "
          + "what was written on the target after the flow's last write into it (never a record that came from the source), and run it "
          + "until stopped (SIGTERM or Ctrl-C), like run; started again, it goes on where it stopped. Meanwhile every consumer group with "
          + "no members on the source is kept at its exact position there (stop a group on the target, start it on the source: it goes "
          + "on where it stopped). Refused (exit 4, nothing started) "
          + "when the plan is: the flow did not fail over, or the source is not healthy.")
  static final class Start implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin FlowOptions flows;

    @Option(names = "--flow", paramLabel = "NAME", description = "The flow (needed when the config has several).")
    String flow;

    @Override
    public Integer call() throws InterruptedException {
      FlowConfig forward = flows.flow(flow);
      FailbackPlan.Plan p = new FailbackPlan(forward).plan();
      if (p.refused().isPresent()) {
        throw new FerryException(FerryException.Reason.REFUSED, "failback start refused: " + p.refused().get());
      }
      FlowConfig reverse = ReverseFlow.of(forward);
      PrintWriter out = spec.commandLine().getOut();
      out.printf("failback of flow %s: replicating %s -> %s as flow %s, from where the flow's writes ended: %d offsets to copy back, "
          + "%s divergent records on %s kept%n", forward.name(), p.dr(), p.primary(), reverse.name(), p.deltaOffsets(), p.divergentRecords(), p.primary());
      out.flush();
      GroupsBackJob[] groups = new GroupsBackJob[1];
      try {
        return RunCommand.runUntilStopped(List.of(() -> {
          Replicator r = Replicator.start(reverse, Replicator.Startup.RETRY, Replicator.AfterFailover.REFUSE, ReverseFlow.starts(p.delta()));
          try {
            groups[0] = GroupsBackJob.start(forward, p);
          } catch (RuntimeException e) {
            r.close();
            throw e;
          }
          return r;
        }));
      } finally {
        if (groups[0] != null) {
          groups[0].close();
        }
      }
    }
  }

  @Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Check that the source cluster (the primary) is ready to take traffic back, and show what failing back would do: the "
          + "outage delta per partition (records written on the target after the flow's last write), the divergence (records on the "
          + "source that never reached the target), and the consumer groups that move back. Changes nothing. Exit 0 ready, 4 refused "
          + "(the flow did not fail over, or the source is not healthy: the reason per check).")
  static final class Plan implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin FlowOptions flows;

    @Option(names = "--flow", paramLabel = "NAME", description = "The flow (needed when the config has several).")
    String flow;

    @Option(names = "--format", paramLabel = "table|json", description = "Output format (default: table).")
    String format = "table";

    @Override
    public Integer call() {
      Json.requireFormat(format);
      FailbackPlan.Plan p = new FailbackPlan(flows.flow(flow)).plan();
      PrintWriter out = spec.commandLine().getOut();
      if (format.equals("json")) {
        out.println(Json.write(p));
      } else {
        print(out, p);
      }
      out.flush();
      return p.refused().isPresent() ? ExitCodes.REFUSED : ExitCodes.OK;
    }

    private static void print(PrintWriter out, FailbackPlan.Plan p) {
      out.printf("Failback plan for flow %s: back from %s to %s%s%n", p.flow(), p.dr(), p.primary(),
          p.failedOverAt().map(at -> " (failed over at " + at + ")").orElse(" (no failover recorded)"));
      out.printf("Health of %s:%n", p.primary());
      for (ClusterHealth.Check c : p.health()) {
        out.printf("  %-4s  %-18s %s%n", c.ok() ? "ok" : "FAIL", c.name(), c.detail());
      }
      out.printf("Outage delta on %s (written after the flow's last write), to copy back:%n", p.dr());
      out.printf("  %-30s %-30s %12s %12s %10s %10s%n", "partition there", "goes to", "from offset", "to offset", "offsets", "bytes");
      for (FailbackPlan.DeltaRow d : p.delta()) {
        out.printf("  %-30s %-30s %12d %12d %10d %10s%n", d.onB(), d.onA(), d.start(), d.end(), d.offsets(), ClusterHealth.bytes(d.bytes()));
      }
      out.printf("  total: %d offsets, about %s%n", p.deltaOffsets(), ClusterHealth.bytes(p.deltaBytes()));
      if (p.divergence().isEmpty()) {
        out.printf("Divergence: none (every record on %s reached %s before the outage)%n", p.primary(), p.dr());
      } else {
        out.printf("Divergence: records on %s that never reached %s (kept; the flow copies them there after the failback):%n", p.primary(), p.dr());
        for (FailbackPlan.DivergenceRow d : p.divergence()) {
          out.printf("  %-30s offsets %d..%d, %s%n", d.onA(), d.from(), d.to() - 1, d.records() < 0 ? (d.to() - d.from()) + " offsets (not counted)"
              : d.records() + " records");
        }
      }
      out.println("Groups that move back (positions there):");
      for (FailbackPlan.GroupRow g : p.groups()) {
        StringBuilder at = new StringBuilder();
        g.positions().forEach((tp, o) -> at.append(' ').append(tp).append('@').append(o));
        out.printf("  %-30s %s:%s%n", g.group(), g.membersOnB() == 0 ? "inactive" : "active, " + g.membersOnB() + " member(s)", at);
      }
      if (p.groups().isEmpty()) {
        out.println("  (none)");
      }
      p.warnings().forEach(w -> out.println("WARNING: " + w));
      out.println(p.refused().map(r -> "RESULT: refused (exit 4): " + r).orElse("RESULT: ready; ferry failback start is next"));
    }
  }
}
