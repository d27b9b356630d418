package dev.ferry.failback;

import dev.ferry.config.ConfigException;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import dev.ferry.config.OnRecreate;
import dev.ferry.config.SyncedConfigs;
import dev.ferry.config.TopicSelection;
import dev.ferry.flow.FailedOver;
import dev.ferry.flow.Replicator;
import dev.ferry.kafka.Incarnation;
import dev.ferry.replicate.StartPositions;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

/**
 * The reverse flow of a failback, B -> A, made from the forward flow A -> B (the operator never writes it): the same
 * topics, naming mode, shards and intervals with the clusters swapped, so B's {@code orders} goes to A's {@code orders}
 * under identity naming and to A's {@code B.orders} under prefix naming (B's {@code A.orders} is A's own data: prefix
 * naming never sends a topic back to the cluster it is named after). It is a normal flow: exactly once, with its own
 * offset map and progress on A, and loop protection skipping every record that came from A.
 *
 * <p>It never changes A's own topics' configs: under identity naming it writes into them, so it syncs no config (and
 * the forward flow's {@code topic-configs}, meant for B, are not its); under prefix naming it writes into topics of its
 * own ({@code B.orders}), which take B's configs as any replicated topic does.
 *
 * <p>It checkpoints no consumer group itself: a group's position on B inside the data that came from A translates
 * through the forward flow's map, not the reverse flow's, which alone would place such a group past records of A it has
 * not read. {@link GroupsBack} moves the groups, through both maps.
 */
public final class ReverseFlow {
  /** What the reverse flow's name adds to the forward flow's. */
  static final String SUFFIX = "-failback";
  /** A group selection that matches no group name. */
  static final TopicSelection NO_GROUPS = TopicSelection.of("(?!)", null);

  private ReverseFlow() {}

  /** The reverse flow of {@code forward}. */
  public static FlowConfig of(FlowConfig forward) {
    String name = forward.name() + SUFFIX;
    if (name.length() > 100) {
      throw new ConfigException("name", "'" + forward.name() + "' is too long to name its failback flow ('" + name + "' is over 100 characters)");
    }
    return FlowConfig.builder(forward.target(), forward.source(), forward.topics()).name(name).naming(forward.naming()).shards(forward.shards())
        .provenance(true).replicationFactor(forward.replicationFactor())
        .commitInterval(forward.commitInterval()).maxLatency(forward.maxLatency()).topicRefreshInterval(forward.topicRefreshInterval()).groups(NO_GROUPS)
        .checkpointInterval(forward.checkpointInterval()).syncGroupOffsets(false).balanceInterval(forward.balanceInterval())
        .onRecreate(OnRecreate.STOP)
        .excludeConfigs(forward.naming().mode() == Naming.Mode.IDENTITY ? SyncedConfigs.SOURCE_OWNED : forward.excludeConfigs()).build();
  }

  /**
   * Whether the reverse flow may replicate into A for the failover that began at {@code failedOverAt}: the reverse flow
   * is recorded as stopped for good ("failed over") by every {@code failback finish}, and only a stop before this
   * failover (the failback of an earlier one) is forgotten.
   */
  public static Replicator.AfterFailover afterFailover(FlowConfig reverse, Instant failedOverAt) {
    return stoppedSince(reverse, failedOverAt) ? Replicator.AfterFailover.REFUSE : Replicator.AfterFailover.RESUME;
  }

  /** Whether a {@code failback finish} stopped the reverse flow since the forward flow's failover at {@code failedOverAt}. */
  public static boolean stoppedSince(FlowConfig reverse, Instant failedOverAt) {
    return FailedOver.read(reverse).filter(f -> !f.at().isBefore(failedOverAt)).isPresent();
  }

  /**
   * Where the reverse flow starts in each B partition that has no progress yet: where the forward flow's writes into it
   * ended (the plan's delta start), so only the outage's records are read, not the topic's history.
   */
  public static StartPositions starts(List<FailbackPlan.DeltaRow> delta) {
    Map<TopicPartition, FailbackPlan.DeltaRow> at = new HashMap<>();
    delta.forEach(d -> at.put(d.onB(), d));
    return (source, incarnation) -> {
      FailbackPlan.DeltaRow d = at.get(source);
      // a position in one incarnation of B's topic says nothing of the topic created again under its name
      return d == null || incarnation.sourceDiffers(new Incarnation(d.topicId(), Uuid.ZERO_UUID)) ? OptionalLong.empty() : OptionalLong.of(d.start());
    };
  }
}
