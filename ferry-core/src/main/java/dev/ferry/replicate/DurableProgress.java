package dev.ferry.replicate;

import dev.ferry.Problem;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.kafka.ProgressStore;
import dev.ferry.kafka.ProgressStore.Progress;
import dev.ferry.kafka.SourceGaps;
import dev.ferry.offsets.PartitionOffsetMap;
import dev.ferry.kafka.Incarnation;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where partitions that a lane takes on resume: their committed progress. Where that is missing although the target
 * partition holds data (the broker expired it after offsets.retention.minutes while no Ferry ran, or it was removed by
 * hand), the end of the partition's offset map, which the same transactions wrote and which never expires. Resuming
 * from the beginning instead would copy everything again.
 *
 * <p>A target partition that holds nothing was never written: it starts at the beginning of its source partition. A map
 * that ends past the target partition's end (records were lost on the target) cannot say where to resume: the partition
 * stops with a problem rather than guess.
 */
final class DurableProgress {
  private static final Logger LOG = LoggerFactory.getLogger(DurableProgress.class);

  private final FlowConfig flow;
  private final ProgressStore store;
  private final Admin target;
  private final MapCache maps;
  private final ReplicationState state;

  DurableProgress(FlowConfig flow, ProgressStore store, Admin target, MapCache maps, ReplicationState state) {
    this.flow = flow;
    this.store = store;
    this.target = target;
    this.maps = maps;
    this.state = state;
  }

  /**
   * The progress of these partitions (source to target), by target partition; those that start at the beginning, or
   * that stopped with a problem, are left out.
   */
  Map<TopicPartition, Progress> read(Map<TopicPartition, TopicPartition> targetOf, Map<String, Incarnation> incarnations) {
    Map<TopicPartition, Progress> out = new HashMap<>(store.readProgress(targetOf.values()));
    java.util.Set<TopicPartition> recreated = new java.util.HashSet<>();
    targetOf.forEach((s, t) -> {
      Progress p = out.get(t);
      Incarnation now = incarnations.getOrDefault(s.topic(), Incarnation.UNKNOWN);
      if (p != null && p.incarnation().differs(now)) {
        out.remove(t); // it says where an earlier topic stood, nothing of this one: the new one starts at its beginning
        recreated.add(s);
        LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("partition", s.toString()).log(recreated(s, t, p.incarnation(), now));
      }
    });
    Map<TopicPartition, TopicPartition> missing = new HashMap<>();
    targetOf.forEach((s, t) -> {
      if (!out.containsKey(t) && !recreated.contains(s)) {
        missing.put(s, t);
      }
    });
    if (missing.isEmpty()) {
      return out;
    }
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    missing.values().forEach(t -> latest.put(t, OffsetSpec.latest()));
    Map<TopicPartition, ListOffsetsResultInfo> ends = KafkaCalls.await(target.listOffsets(latest).all(), 30_000,
        "list end offsets of target partitions on " + flow.target().describe());
    missing.values().removeIf(t -> ends.get(t).offset() == 0); // never written
    if (missing.isEmpty()) {
      return out;
    }
    Map<TopicPartition, PartitionOffsetMap> tails = maps.get(missing.keySet());
    missing.forEach((s, t) -> {
      PartitionOffsetMap tail = tails.get(s);
      long end = ends.get(t).offset();
      if (tail.sourceNext().isEmpty()) {
        return; // nothing of it was replicated by this flow: the target data is someone else's
      }
      if (tail.incarnation().differs(incarnations.getOrDefault(s.topic(), Incarnation.UNKNOWN))) {
        return; // the map describes earlier topics: this one starts at its beginning
      }
      if (tail.targetNext().orElse(0) <= end) {
        out.put(t, new Progress(tail.sourceNext().getAsLong(), SourceGaps.NONE));
        LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("partition", s.toString())
            .log("progress of {} was missing on {} (expired after the broker's offsets.retention.minutes?); resuming at offset {}, where its"
                + " offset map ends", s, flow.target().describe(), tail.sourceNext().getAsLong());
        return;
      }
      Problem problem = new Problem(Problem.Reason.PROGRESS_LOST, "progress of source partition " + s + " is missing on " + flow.target().describe()
          + " and its offset map ends at target offset " + tail.targetNext().getAsLong() + ", past the end " + end + " of target partition " + t
          + ": records were lost on the target; replication of " + s + " stopped (delete target topic " + t.topic()
          + " and restart to replicate it again from its start)");
      if (state.reportProblem(s, problem)) {
        LOG.atError().addKeyValue("flow", flow.name()).addKeyValue("partition", s.toString()).log(problem.message());
      }
    });
    return out;
  }

  private static String recreated(TopicPartition s, TopicPartition t, Incarnation was, Incarnation now) {
    if (was.sourceDiffers(now)) {
      return "source topic " + s.topic() + " was deleted and created again (topic id " + was.source() + ", now " + now.source() + "): "
          + s + " is replicated from its start" + (was.targetDiffers(now) ? "" : ", after the records of the earlier topic in " + t);
    }
    return "target topic " + t.topic() + " was deleted and created again (topic id " + was.target() + ", now " + now.target() + "): " + s
        + " is replicated into " + t + " again from its start";
  }
}
