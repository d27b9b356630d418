package dev.ferry.groups;

import dev.ferry.client.Checkpoint;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.naming.TopicNaming;
import dev.ferry.offsets.PartitionOffsetMap;
import dev.ferry.offsets.PartitionOffsetMap.TargetBounds;
import dev.ferry.kafka.Incarnation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Translates a group's committed source offsets into target positions with a flow's offset map. Pure logic, but for the
 * settling of positions older than the map's exact window, which is given.
 */
public final class Translation {
  private Translation() {}

  /** Whether Ferry follows this source group: selected by the flow and not one of Ferry's own. */
  public static boolean follows(FlowConfig flow, String group) {
    return !FerryNames.isFerryGroup(group) && flow.groups().matches(group);
  }

  /** Settles a translation the map only bounds (older than its exact window) from the target's records. */
  @FunctionalInterface
  public interface Settle {
    long settle(TopicPartition source, TopicPartition target, int generation, long position, TargetBounds bounds);
  }

  /**
   * One checkpoint per committed partition of a topic the flow replicates and has a map for. A position already
   * replicated translates exactly (settled from the target's records when older than the map's exact window); a
   * position ahead of replication translates to the end of what is replicated and counts the offsets in between as at
   * risk. A position the map cannot translate (before a recreated topic's first record) gets no checkpoint, nor does a
   * partition whose map describes another incarnation of its source or target topic than {@code incarnations} says
   * exists now (the topic was deleted and created again, and the new one is not replicated yet).
   *
   * @param incarnations the incarnations of source topics and their target topics now, by source topic; a topic left
   *     out is not checked
   */
  public static List<Checkpoint> translate(FlowConfig flow, Map<TopicPartition, PartitionOffsetMap> maps, Map<String, Incarnation> incarnations,
      Settle settle, String group, Map<TopicPartition, OffsetAndMetadata> committed, long now) {
    TopicNaming naming = TopicNaming.of(flow);
    List<Checkpoint> out = new ArrayList<>();
    committed.forEach((tp, om) -> {
      if (om == null || !flow.topics().matches(tp.topic()) || !naming.isReplicable(tp.topic())) {
        return;
      }
      PartitionOffsetMap map = maps.get(tp);
      if (map == null || map.sourceNext().isEmpty() || map.incarnation().differs(incarnations.getOrDefault(tp.topic(), Incarnation.UNKNOWN))) {
        return;
      }
      long c = om.offset();
      long replicated = map.sourceNext().getAsLong();
      long at = Math.min(c, replicated);
      Optional<TargetBounds> bounds = map.targetBounds(at);
      if (bounds.isEmpty()) {
        return;
      }
      TopicPartition targetPartition = new TopicPartition(naming.targetTopic(tp.topic()), tp.partition());
      long target = settle.settle(tp, targetPartition, map.generation(), at, bounds.get());
      out.add(new Checkpoint(group, tp, targetPartition, c, target, Math.max(0, c - replicated), now));
    });
    return out;
  }
}
