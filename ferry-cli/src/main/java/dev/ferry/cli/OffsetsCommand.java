package dev.ferry.cli;

import dev.ferry.groups.GroupOffsets;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry offsets translate}: where a group stands on the target. */
@Command(name = "offsets", mixinStandardHelpOptions = true, description = "Consumer-group offsets across clusters.",
    subcommands = OffsetsCommand.Translate.class)
final class OffsetsCommand {

  @Command(name = "translate", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Translate a group's committed source offsets to exact target positions, with its lag and the records at "
          + "risk (consumed on the source, not yet replicated). Reads the source live; when it does not answer, the last checkpoint.")
  static final class Translate implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin FlowOptions flows;

    @Option(names = "--group", required = true, paramLabel = "GROUP", description = "The consumer group.")
    String group;

    @Option(names = "--flow", paramLabel = "NAME", description = "The flow (needed when the config has several).")
    String flow;

    @Option(names = "--format", paramLabel = "table|json", description = "Output format (default: table).")
    String format = "table";

    @Override
    public Integer call() throws Exception {
      Json.requireFormat(format);
      GroupOffsets.Translated t = GroupOffsets.translate(flows.flow(flow), group);
      PrintWriter out = spec.commandLine().getOut();
      if (format.equals("json")) {
        out.println(Json.write(t));
      } else {
        out.printf("group %s, flow %s, offsets %s%n", group, t.flow(), t.from());
        out.printf("%-28s %14s  %-30s %14s %10s %10s%n", "source partition", "source offset", "target partition", "target offset", "lag",
            "at risk");
        for (GroupOffsets.Row r : t.partitions()) {
          out.printf("%-28s %14d  %-30s %14d %10s %10d%n", r.sourcePartition(), r.sourceOffset(), r.targetPartition(), r.targetOffset(),
              r.lag().isPresent() ? Long.toString(r.lag().getAsLong()) : "-", r.recordsAtRisk());
        }
        if (t.partitions().isEmpty()) {
          out.println("(no committed offsets of " + group + " on topics this flow replicates)");
        }
      }
      out.flush();
      return ExitCodes.OK;
    }
  }
}
