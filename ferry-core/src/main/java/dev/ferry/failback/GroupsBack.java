package dev.ferry.failback;

import dev.ferry.FerryException;
import dev.ferry.client.Checkpoint;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import dev.ferry.groups.Checkpointer;
import dev.ferry.naming.TopicNaming;
import dev.ferry.offsets.OffsetMapReader;
import dev.ferry.offsets.PartitionOffsetMap;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;

/**
 * Moves consumer groups back from B to A during a failback, exactly: a group's committed position on B inside the data
 * that came from A translates through the forward flow's offset map back to the A offset that record came from (the
 * end of that data translates to where the forward flow stood on A, so the records that never reached B come next);
 * a position inside the outage's records translates through the reverse flow's map to where they were copied on A.
 * A group with members on A is never touched, and an offset on A only moves forward (a group that read records on A
 * before the outage that never reached B does not read them again).
 */
public final class GroupsBack {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** A group's position on B and where it translates to on A. */
  public record Move(String group, TopicPartition onB, long positionOnB, TopicPartition onA, long positionOnA) {}

  /**
   * One round: {@code moves} translated (and committed, see {@link #round}); {@code waiting} group partitions that
   * cannot be translated yet, with why (outage records not copied yet, a position older than a map's exact window).
   */
  public record Result(List<Move> moves, Map<String, String> waiting, Map<String, String> activeOnA, Map<String, String> failed) {}

  private final FlowConfig forward;
  private final FlowConfig reverse;
  private final TopicNaming naming;
  private final Map<TopicPartition, PartitionOffsetMap> forwardMaps;
  private final Map<TopicPartition, Long> deltaStarts = new HashMap<>();

  /** {@code plan}: the failback's plan (the delta's start in each B partition). */
  public GroupsBack(FlowConfig forward, FailbackPlan.Plan plan) {
    this(forward, OffsetMapReader.read(forward, TIMEOUT), plan.delta());
  }

  /** With the forward flow's maps given (by source partition on A). */
  GroupsBack(FlowConfig forward, Map<TopicPartition, PartitionOffsetMap> forwardMaps, List<FailbackPlan.DeltaRow> delta) {
    this.forward = forward;
    this.reverse = ReverseFlow.of(forward);
    this.naming = TopicNaming.of(forward);
    this.forwardMaps = forwardMaps;
    delta.forEach(d -> deltaStarts.put(d.onB(), d.start()));
  }

  /**
   * Reads the groups' positions on B, translates them and commits them to the groups on A that have no members there.
   * {@code checkpointer}: the reverse flow's (source B, target A).
   */
  public Result round(Checkpointer checkpointer, Admin dr) {
    Map<String, Map<TopicPartition, Long>> positions = new HashMap<>();
    try {
      java.util.Set<TopicPartition> partitions = new java.util.HashSet<>(deltaStarts.keySet());
      forwardMaps.keySet().forEach(tp -> partitions.add(new TopicPartition(naming.targetTopic(tp.topic()), tp.partition())));
      new FailbackPlan(forward).groupPositions(dr, partitions).forEach(g -> positions.put(g.group(), g.positions()));
    } catch (FerryException e) {
      return new Result(List.of(), Map.of("*", "groups on " + forward.target().describe() + " not read: " + e.getMessage()), Map.of(), Map.of());
    }
    Map<String, String> waiting = new HashMap<>();
    List<Move> moves = translate(positions, OffsetMapReader.read(reverse, TIMEOUT), waiting);
    long now = System.currentTimeMillis();
    List<Checkpoint> checkpoints = moves.stream().map(m -> new Checkpoint(m.group(), m.onB(), m.onA(), m.positionOnB(), m.positionOnA(), 0, now)).toList();
    Checkpointer.SyncResult sync = checkpointer.commitToTarget(checkpoints, false, false);
    return new Result(moves, waiting, sync.activeOnTarget(), sync.failed());
  }

  /** The translations of these positions on B ({@code waiting}: those that cannot be translated yet, with why). */
  List<Move> translate(Map<String, Map<TopicPartition, Long>> positions, Map<TopicPartition, PartitionOffsetMap> reverseMaps,
      Map<String, String> waiting) {
    List<Move> out = new ArrayList<>();
    positions.forEach((group, byPartition) -> byPartition.forEach((onB, p) -> {
      Translated t = toA(onB, p, reverseMaps);
      if (t.position().isPresent()) {
        out.add(new Move(group, onB, p, t.onA(), t.position().getAsLong()));
      } else {
        waiting.put(group + " " + onB, t.why());
      }
    }));
    return out;
  }

  private record Translated(TopicPartition onA, OptionalLong position, String why) {}

  private Translated toA(TopicPartition onB, long p, Map<TopicPartition, PartitionOffsetMap> reverseMaps) {
    boolean identity = forward.naming().mode() == Naming.Mode.IDENTITY;
    // prefix naming: B's A.orders holds only A's data (back to A's orders); B's own orders only the outage's (to B.orders)
    java.util.Optional<String> forwardSource = identity ? java.util.Optional.of(onB.topic()) : naming.sourceTopic(onB.topic());
    TopicPartition reverseTarget = new TopicPartition(TopicNaming.of(reverse).targetTopic(onB.topic()), onB.partition());
    PartitionOffsetMap back = reverseMaps.get(onB);
    if (forwardSource.isPresent()) {
      TopicPartition onA = new TopicPartition(forwardSource.get(), onB.partition());
      // the B offset of the first outage record copied back, if any was
      OptionalLong firstCopied = back == null ? OptionalLong.empty() : back.sourceOffset(0);
      long deltaStart = deltaStarts.getOrDefault(onB, Long.MAX_VALUE);
      if (!identity || p <= deltaStart || firstCopied.isPresent() && p <= firstCopied.getAsLong()) {
        PartitionOffsetMap fwd = forwardMaps.get(onA);
        OptionalLong a = fwd == null ? OptionalLong.empty() : fwd.sourceOffset(p);
        return new Translated(onA, a, fwd == null ? "the forward flow has no map of " + onA
            : "position " + p + " is older than the exact window of the forward map of " + onA);
      }
      if (firstCopied.isEmpty()) {
        return new Translated(onA, OptionalLong.empty(), "the outage records of " + onB + " before position " + p + " are not copied back yet");
      }
      reverseTarget = onA;
    }
    if (back == null) {
      return new Translated(reverseTarget, OptionalLong.empty(), "nothing of " + onB + " is copied back yet");
    }
    OptionalLong a = back.targetOffset(p);
    return new Translated(reverseTarget, a, "the outage records of " + onB + " before position " + p + " are not copied back yet");
  }
}
