package dev.ferry.cli;

import dev.ferry.FerryException;
import dev.ferry.config.FlowConfig;
import dev.ferry.failback.FailbackPlan;
import dev.ferry.failback.FailbackStart;
import dev.ferry.failback.GroupsBackJob;
import dev.ferry.flow.Replicator;
import dev.ferry.kafka.ClusterHealth;
import dev.ferry.failback.FailbackFinish;
import dev.ferry.failback.FailbackStatus;
import dev.ferry.replicate.ReplicationStatus;
import java.io.PrintWriter;
import java.time.Duration;
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
    subcommands = {FailbackCommand.Plan.class, FailbackCommand.Start.class, FailbackCommand.Status.class, FailbackCommand.Finish.class})
final class FailbackCommand {

  @Command(name = "start", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Start the reverse replication (the flow's source and target swapped, as flow <name>-failback) that copies back only "
          + "what was written on the target after the flow's last write into it (never a record that came from the source), and run it "
          + "until stopped (SIGTERM or Ctrl-C), like run; started again, it goes on where it stopped. Meanwhile every consumer group with "
          + "no members on the source is kept at its exact position there (stop a group on the target, start it on the source: it goes "
          + "on where it stopped). Refused (exit 4, nothing started) "
          + "when the plan is: the flow did not fail over, or the source is not healthy; or when the failback finished. Exits 0 when ferry "
          + "failback finish stops it.")
  static final class Start implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin FlowOptions flows;

    @Option(names = "--flow", paramLabel = "NAME", description = "The flow (needed when the config has several).")
    String flow;

    @Override
    public Integer call() throws InterruptedException {
      FlowConfig forward = flows.flow(flow);
      FailbackStart start = FailbackStart.prepare(forward);
      FailbackPlan.Plan p = start.plan();
      PrintWriter out = spec.commandLine().getOut();
      out.printf("failback of flow %s: replicating %s -> %s as flow %s, from where the flow's writes ended: %d offsets to copy back, "
          + "%s divergent records on %s kept%n", forward.name(), p.dr(), p.primary(), start.reverse().name(), p.deltaOffsets(), p.divergentRecords(),
          p.primary());
      out.flush();
      GroupsBackJob[] groups = new GroupsBackJob[1];
      Replicator[] running = new Replicator[1];
      try {
        int exit = RunCommand.runUntilStopped(List.of(new RunCommand.Start(start.reverse(), () -> {
          Replicator r = start.replicate(Replicator.Startup.RETRY);
          running[0] = r;
          try {
            groups[0] = start.moveGroups();
          } catch (RuntimeException e) {
            r.close();
            throw e;
          }
          return r;
        })), dev.ferry.config.MetricsConfig.OFF, out);
        report(out, running[0]);
        return exit;
      } catch (FerryException e) {
        if (e.reason() == FerryException.Reason.REFUSED && running[0] == null && start.stoppedByFinish()) {
          throw new FerryException(FerryException.Reason.REFUSED, "failback start refused: ferry failback finish has stopped the reverse replication of"
              + " flow " + forward.name() + " and not completed: run ferry failback finish again");
        }
        if (e.reason() == FerryException.Reason.REFUSED && start.stoppedByFinish()) {
          report(out, running[0]);
          out.println(start.finished() ? "failback of flow " + forward.name() + " finished (ferry failback finish stopped the reverse replication)"
              : "ferry failback finish stopped the reverse replication of flow " + forward.name() + " and finishes the failback (ferry failback"
                  + " status shows when it did; if that finish was interrupted, run it again)");
          out.flush();
          return ExitCodes.OK;
        }
        throw e;
      } finally {
        if (groups[0] != null) {
          groups[0].close();
        }
      }
    }

    private static void report(PrintWriter out, Replicator r) {
      if (r != null) {
        ReplicationStatus s = r.status().replication();
        out.printf("this process read %d records, copied %d, skipped %d that came from the flow's source%n", s.replicatedRecords() + s.filteredRecords(),
            s.replicatedRecords(), s.filteredRecords());
        out.flush();
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
      FailbackOutput.divergence(out, p.primary(), p.dr(), p.divergence());
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

  @Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Show where a failback stands (changes nothing): the reverse replication's lag per partition (offsets and seconds), the "
          + "outage delta copied back so far, each consumer group's place (active on the target, waiting, positioned on the source at its "
          + "exact offset, or active on the source), and the divergence.")
  static final class Status implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin FlowOptions flows;

    @Option(names = "--flow", paramLabel = "NAME", description = "The flow (needed when the config has several).")
    String flow;

    @Option(names = "--format", paramLabel = "table|json", description = "Output format (default: table).")
    String format = "table";

    @Override
    public Integer call() {
      Json.requireFormat(format);
      FailbackStatus.Status s = new FailbackStatus(flows.flow(flow)).read();
      PrintWriter out = spec.commandLine().getOut();
      if (format.equals("json")) {
        out.println(Json.write(s));
      } else {
        FailbackOutput.status(out, s);
      }
      out.flush();
      return ExitCodes.OK;
    }
  }

  @Command(name = "finish", mixinStandardHelpOptions = true, sortOptions = false,
      description = "The producer cutover gate, once consumer groups moved and producers on the target stopped: checks that nothing more "
          + "arrives on the target's topics (refused after --timeout otherwise, exit 4, nothing changed), copies back what is left (the "
          + "reverse replication's lag to zero), stops and fences the reverse replication, commits every group with no members on the "
          + "source at its exact position there, and re-arms the flow: the next ferry run goes on from where it stopped before the outage. "
          + "Prints each group's offsets on the source with records lost and read again. Exit 0 done, 3 done with data at risk (listed), "
          + "4 refused (no failback started, producers still writing, the source not healthy).")
  static final class Finish implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin FlowOptions flows;

    @Option(names = "--flow", paramLabel = "NAME", description = "The flow (needed when the config has several).")
    String flow;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
        description = "How long to wait for producers on the target to stop before refusing (default: 5m).")
    Duration timeout = Duration.ofMinutes(5);

    @Option(names = "--quiet", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
        description = "How long the target's topics must receive nothing to count as no longer written (default: 5s).")
    Duration quiet = Duration.ofSeconds(5);

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      if (quiet.isZero() || quiet.isNegative()) {
        throw new FerryException(FerryException.Reason.BAD_INPUT, "--quiet: must be more than 0");
      }
      FailbackFinish.Report r;
      try (Progress progress = new Progress(out, "copying back", "offsets")) {
        r = new FailbackFinish(flows.flow(flow), timeout, quiet, d -> progress.update(d.total() - d.remaining(), d.total(), d.remainingBytes()), line -> {
          out.println(line);
          out.flush();
        }).run();
      }
      if (r.refused().isPresent()) {
        throw new FerryException(FerryException.Reason.REFUSED, "failback finish refused: " + r.refused().get());
      }
      FailbackOutput.finish(out, r);
      out.flush();
      return r.atRisk().isEmpty() ? ExitCodes.OK : ExitCodes.DATA_AT_RISK;
    }
  }
}
