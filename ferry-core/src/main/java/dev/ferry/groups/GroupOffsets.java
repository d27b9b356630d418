package dev.ferry.groups;

import dev.ferry.client.Checkpoint;
import dev.ferry.client.FerryCheckpoints;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.ClusterProbe;
import dev.ferry.kafka.KafkaCalls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * Where one consumer group stands on a flow's target: its committed source offsets translated exactly with the offset
 * map, read live from the source, or from the last checkpoint when the source does not answer.
 */
public final class GroupOffsets {
  private static final long TIMEOUT_MS = 30_000;

  /**
   * One partition of the group.
   *
   * @param lag records on the source after the group's position (empty when read from a checkpoint)
   * @param recordsAtRisk records the group consumed on the source that are not replicated yet
   * @param checkpointTime when the translation was made (epoch millis)
   */
  public record Row(String group, TopicPartition sourcePartition, long sourceOffset, TopicPartition targetPartition, long targetOffset,
      OptionalLong lag, long recordsAtRisk, long checkpointTime) {}

  /** The group's partitions, and where the translation comes from ("live from ..." or "last checkpoint ..."). */
  public record Translated(String flow, String group, String from, List<Row> partitions) {}

  private GroupOffsets() {}

  public static Translated translate(FlowConfig flow, String group) {
    try (Admin source = Admin.create(Clients.admin(flow.source())); Admin target = Admin.create(Clients.admin(flow.target()))) {
      ClusterProbe.probe(target, flow.target(), "target", Duration.ofSeconds(5));
      List<Checkpoint> checkpoints;
      String from;
      Map<TopicPartition, Long> ends = new HashMap<>();
      if (ClusterProbe.answers(source, flow.source(), "source", Duration.ofSeconds(5))) {
        try (Checkpointer c = new Checkpointer(flow, source, target)) {
          checkpoints = c.translate(c.sourceOffsets(List.of(group)));
        }
        from = "live from " + flow.source().describe();
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        checkpoints.forEach(c -> request.put(c.source(), OffsetSpec.latest()));
        if (!request.isEmpty()) {
          KafkaCalls.await(source.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all(), TIMEOUT_MS,
              "list end offsets on " + flow.source().describe()).forEach((tp, info) -> ends.put(tp, info.offset()));
        }
      } else {
        checkpoints = new ArrayList<>(FerryCheckpoints.read(Clients.asMap(flow.target()), flow.name(), group, Duration.ofSeconds(30)).values());
        from = "last checkpoint (source " + flow.source().describe() + " does not answer)";
      }
      List<Row> rows = checkpoints.stream().sorted(Comparator.comparing(c -> c.source().toString()))
          .map(c -> new Row(c.group(), c.source(), c.sourceOffset(), c.target(), c.targetOffset(),
              ends.containsKey(c.source()) ? OptionalLong.of(ends.get(c.source()) - c.sourceOffset()) : OptionalLong.empty(),
              c.recordsAhead(), c.timestamp()))
          .toList();
      return new Translated(flow.name(), group, from, rows);
    }
  }
}
