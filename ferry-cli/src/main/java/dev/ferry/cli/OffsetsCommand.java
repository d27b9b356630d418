package dev.ferry.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ferry.FerryException;
import dev.ferry.client.Checkpoint;
import dev.ferry.client.FerryCheckpoints;
import dev.ferry.config.FlowConfig;
import dev.ferry.groups.Checkpointer;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.ClusterProbe;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
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
      if (!format.equals("table") && !format.equals("json")) {
        throw new FerryException(FerryException.Reason.BAD_INPUT, "--format: '" + format + "' is not table or json");
      }
      FlowConfig f = flows.flow(flow);
      List<Checkpoint> checkpoints;
      String from;
      Map<TopicPartition, Long> ends = new HashMap<>();
      try (Admin source = Admin.create(Clients.admin(f.source())); Admin target = Admin.create(Clients.admin(f.target()))) {
        ClusterProbe.probe(target, f.target(), "target", Duration.ofSeconds(5));
        boolean sourceUp = true;
        try {
          ClusterProbe.probe(source, f.source(), "source", Duration.ofSeconds(5));
        } catch (FerryException e) {
          sourceUp = false;
        }
        if (sourceUp) {
          try (Checkpointer c = new Checkpointer(f, source, target)) {
            checkpoints = c.translate(c.sourceOffsets(List.of(group)));
          }
          from = "live from " + f.source().describe();
          Map<TopicPartition, OffsetSpec> req = new HashMap<>();
          checkpoints.forEach(c -> req.put(c.source(), OffsetSpec.latest()));
          if (!req.isEmpty()) {
            source.listOffsets(req, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get()
                .forEach((tp, info) -> ends.put(tp, info.offset()));
          }
        } else {
          Map<String, Object> client = new HashMap<>(f.target().properties());
          client.put("bootstrap.servers", f.target().bootstrap());
          checkpoints = new ArrayList<>(FerryCheckpoints.read(client, f.name(), group, Duration.ofSeconds(30)).values());
          from = "last checkpoint (source " + f.source().describe() + " does not answer)";
        }
      }
      checkpoints.sort(Comparator.comparing(c -> c.source().toString()));
      PrintWriter out = spec.commandLine().getOut();
      if (format.equals("json")) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Checkpoint c : checkpoints) {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("group", c.group());
          row.put("sourcePartition", c.source().toString());
          row.put("sourceOffset", c.sourceOffset());
          row.put("targetPartition", c.target().toString());
          row.put("targetOffset", c.targetOffset());
          row.put("lag", ends.containsKey(c.source()) ? ends.get(c.source()) - c.sourceOffset() : null);
          row.put("recordsAtRisk", c.recordsAhead());
          row.put("checkpointTime", c.timestamp());
          rows.add(row);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("flow", f.name());
        doc.put("group", group);
        doc.put("from", from);
        doc.put("partitions", rows);
        out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
      } else {
        out.printf("group %s, flow %s, offsets %s%n", group, f.name(), from);
        out.printf("%-28s %14s  %-30s %14s %10s %10s%n", "source partition", "source offset", "target partition", "target offset", "lag",
            "at risk");
        for (Checkpoint c : checkpoints) {
          out.printf("%-28s %14d  %-30s %14d %10s %10d%n", c.source(), c.sourceOffset(), c.target(), c.targetOffset(),
              ends.containsKey(c.source()) ? Long.toString(ends.get(c.source()) - c.sourceOffset()) : "-", c.recordsAhead());
        }
        if (checkpoints.isEmpty()) {
          out.println("(no committed offsets of " + group + " on topics this flow replicates)");
        }
      }
      out.flush();
      return ExitCodes.OK;
    }
  }
}
