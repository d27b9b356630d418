package dev.ferry.cli;

import dev.ferry.config.FlowConfig;
import dev.ferry.topics.Audit;
import dev.ferry.topics.ConfigPolicy;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry audit}: the drift audit of each flow's topics, read from both clusters. */
@Command(name = "audit", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Compare every replicated topic pair of each flow on both clusters (no running Ferry needed): partitions, replication "
        + "factor, every config the target takes from the source (both values), rules of the target's own configs (min.insync.replicas "
        + "within the replication factor, a retention left out of the sync not shorter than the source's), missing and orphan target "
        + "topics, recreated source topics not taken up, and with sync-acls the ACLs the target lacks or should no longer have. --fix sets the configs that differ, as a running Ferry would. Exit 0 no drift, 5 "
        + "drift, 1 the audit failed.")
final class AuditCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin FlowOptions flows;

  @Option(names = "--flow", paramLabel = "NAME", description = "Only this flow.")
  String flow;

  @Option(names = "--fix", description = "Set every config that differs from the source's and, with sync-acls, add and remove ACLs (as the sync of `ferry run` would), then audit again.")
  boolean fix;

  @Option(names = "--format", paramLabel = "table|json", description = "Output format (default: table).")
  String format = "table";

  @Override
  public Integer call() {
    Json.requireFormat(format);
    PrintWriter out = spec.commandLine().getOut();
    List<Audit.Report> reports = new ArrayList<>();
    for (FlowConfig f : flow == null ? flows.config().flows() : List.of(flows.flow(flow))) {
      Audit a = new Audit(f);
      reports.add(fix ? a.fix() : a.run());
    }
    if (format.equals("json")) {
      out.println(Json.write(reports));
    } else {
      reports.forEach(r -> print(out, r));
    }
    out.flush();
    return reports.stream().anyMatch(Audit.Report::drift) ? ExitCodes.DRIFT : ExitCodes.OK;
  }

  private static void print(PrintWriter out, Audit.Report r) {
    out.printf("flow %s%n", r.flow());
    r.fixed().forEach(f -> out.println("  fixed: " + f));
    out.printf("  %-28s %-32s %10s %4s  %s%n", "source topic", "target topic", "partitions", "rf", "drift");
    for (Audit.TopicRow t : r.topics()) {
      String drift = !t.targetExists() ? "target topic missing" : t.drift() ? "" : "none";
      out.printf("  %-28s %-32s %10s %4s  %s%n", t.sourceTopic(), t.targetTopic(),
          t.targetExists() ? t.sourcePartitions() + "/" + t.targetPartitions() : t.sourcePartitions() + "/-", t.targetExists() ? t.replicationFactor() : "-",
          drift);
      if (t.targetExists() && t.targetPartitions() < t.sourcePartitions()) {
        out.printf("      partitions: source %d, target %d%n", t.sourcePartitions(), t.targetPartitions());
      }
      for (ConfigPolicy.Change c : t.changes()) {
        out.printf("      config %s: source %s, target %s%s%n", c.key(), c.sourceValue().orElse("(unset)"), c.targetValue().orElse("(unset)"),
            c.override() ? " (topic-configs wants " + c.wanted() + ")" : "");
      }
      t.violations().forEach(v -> out.println("      rule: " + v));
    }
    r.orphans().forEach(o -> out.println("  orphan: target topic " + o + " was replicated by the flow, but its source topic is gone"));
    r.recreated().values().forEach(line -> out.println("  recreated: " + line));
    r.recreations().forEach(line -> out.println("  history: " + line));
    r.acls().forEach(line -> out.println("  acl: " + line));
    out.println(r.drift() ? "RESULT: drift (exit 5)" : "RESULT: no drift");
  }
}
