package dev.ferry.failback;

import dev.ferry.FerryException;
import dev.ferry.client.Checkpoint;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import dev.ferry.groups.Checkpointer;
import dev.ferry.kafka.Incarnation;
import dev.ferry.kafka.ProgressStore;
import dev.ferry.naming.TopicNaming;
import dev.ferry.offsets.OffsetMapReader;
import dev.ferry.offsets.PartitionOffsetMap;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

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
   * One round: {@code moves} translated, {@code committed} those it committed (the others were there already, or their
   * group is active on A); {@code waiting} group partitions that cannot be translated yet, with why (outage records not
   * copied yet, a position older than a map's exact window).
   */
  public record Result(List<Move> moves, List<Move> committed, Map<String, String> waiting, Map<String, String> activeOnA,
      Map<String, String> failed) {}

  private final FlowConfig forward;
  private final FlowConfig reverse;
  private final TopicNaming naming;
  private final Map<TopicPartition, PartitionOffsetMap> forwardMaps;
  private final Map<TopicPartition, Long> deltaStarts = new HashMap<>();
  private final List<FailbackPlan.DeltaRow> delta;
  private final Map<String, Uuid> topicIds = new HashMap<>();

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
    this.delta = List.copyOf(delta);
    delta.forEach(d -> {
      deltaStarts.put(d.onB(), d.start());
      topicIds.put(d.onB().topic(), d.topicId());
    });
  }

  /**
   * Reads the groups' positions on B, translates them and commits them to the groups on A that have no members there.
   * {@code checkpointer}: the reverse flow's (source B, target A).
   */
  public Result round(Checkpointer checkpointer, Admin dr, Admin primary) {
    Result r = preview(checkpointer.maps(TIMEOUT), dr, primary);
    if (r.moves().isEmpty()) {
      return r;
    }
    long now = System.currentTimeMillis();
    List<Checkpoint> checkpoints = r.moves().stream().map(m -> new Checkpoint(m.group(), m.onB(), m.onA(), m.positionOnB(), m.positionOnA(), 0, now))
        .toList();
    Checkpointer.SyncResult sync = checkpointer.commitToTarget(checkpoints, false, false);
    List<Move> committed = r.moves().stream().filter(m -> sync.committed().getOrDefault(m.group(), Map.of()).containsKey(m.onA())).toList();
    return new Result(r.moves(), committed, r.waiting(), sync.activeOnTarget(), sync.failed());
  }

  /**
   * The translations of the groups' positions on B now, committing nothing ({@code reverseMaps}: the reverse flow's
   * offset maps, by B partition).
   */
  public Result preview(Map<TopicPartition, PartitionOffsetMap> reverseMaps, Admin dr, Admin primary) {
    Map<String, Map<TopicPartition, Long>> positions = new HashMap<>();
    try {
      Set<TopicPartition> partitions = new HashSet<>(deltaStarts.keySet());
      forwardMaps.keySet().forEach(tp -> partitions.add(new TopicPartition(naming.targetTopic(tp.topic()), tp.partition())));
      new FailbackPlan(forward).groupPositions(dr, partitions).forEach(g -> positions.put(g.group(), g.positions()));
    } catch (FerryException e) {
      return new Result(List.of(), List.of(), Map.of("*", "groups on " + forward.target().describe() + " not read: " + e.getMessage()), Map.of(),
          Map.of());
    }
    Map<String, String> waiting = new HashMap<>();
    List<Move> moves = translate(positions, reverseMaps, readUpTo(reverse, primary, delta), waiting);
    return new Result(moves, List.of(), waiting, Map.of(), Map.of());
  }

  /**
   * How far the reverse flow has read each B partition of the delta: its progress on A, which is keyed by the A
   * partition it writes; progress made in another incarnation of B's topic (deleted and created again since) is not
   * this topic's and is left out.
   */
  static Map<TopicPartition, Long> readUpTo(FlowConfig reverse, Admin primary, List<FailbackPlan.DeltaRow> delta) {
    Map<String, Uuid> ids = new HashMap<>();
    delta.forEach(d -> ids.put(d.onB().topic(), d.topicId()));
    Map<TopicPartition, Long> out = new HashMap<>();
    TopicNaming back = TopicNaming.of(reverse);
    new ProgressStore(primary, reverse).readAllProgress().forEach((onA, pr) -> back.sourceTopic(onA.topic()).ifPresent(b -> {
      Uuid id = ids.get(b);
      if (id == null || !pr.incarnation().sourceDiffers(new Incarnation(id, Uuid.ZERO_UUID))) {
        out.put(new TopicPartition(b, onA.partition()), pr.next());
      }
    }));
    return out;
  }

  /** The translations of these positions on B ({@code waiting}: those that cannot be translated yet, with why). */
  List<Move> translate(Map<String, Map<TopicPartition, Long>> positions, Map<TopicPartition, PartitionOffsetMap> reverseMaps,
      Map<TopicPartition, Long> readUpTo, Map<String, String> waiting) {
    List<Move> out = new ArrayList<>();
    positions.forEach((group, byPartition) -> byPartition.forEach((onB, p) -> {
      Translated t = toA(onB, p, reverseMaps, readUpTo.get(onB));
      if (t.position().isPresent()) {
        out.add(new Move(group, onB, p, t.onA(), t.position().getAsLong()));
      } else {
        waiting.put(group + " " + onB, t.why());
      }
    }));
    return out;
  }

  private record Translated(TopicPartition onA, OptionalLong position, String why) {}

  private Translated toA(TopicPartition onB, long p, Map<TopicPartition, PartitionOffsetMap> reverseMaps, Long readUpTo) {
    boolean identity = forward.naming().mode() == Naming.Mode.IDENTITY;
    // prefix naming: B's A.orders holds only A's data (back to A's orders); B's own orders only the outage's (to B.orders)
    Optional<String> forwardSource = identity ? Optional.of(onB.topic()) : naming.sourceTopic(onB.topic());
    TopicPartition reverseTarget = new TopicPartition(TopicNaming.of(reverse).targetTopic(onB.topic()), onB.partition());
    PartitionOffsetMap back = reverseMaps.get(onB);
    if (forwardSource.isPresent()) {
      TopicPartition onA = new TopicPartition(forwardSource.get(), onB.partition());
      PartitionOffsetMap fwd = forwardMaps.get(onA);
      Uuid id = topicIds.get(onB.topic());
      // a map of another incarnation of B's topic (created again during the outage) says nothing of this one: all of it is
      // the outage's
      boolean forwardWrote = fwd != null && (id == null || !fwd.incarnation().targetDiffers(new Incarnation(Uuid.ZERO_UUID, id)));
      if (!identity || forwardWrote && readNoOutageRecordBefore(onB, p, back, readUpTo)) {
        OptionalLong a = fwd == null ? OptionalLong.empty() : fwd.sourceOffset(p);
        return new Translated(onA, a, fwd == null ? "the forward flow has no map of " + onA
            : "its position is older than the exact window of the forward map of " + onA);
      }
      reverseTarget = onA;
    }
    OptionalLong a = back == null ? OptionalLong.empty() : back.targetOffset(p);
    return new Translated(reverseTarget, a, "the outage records of " + onB + " before its position are not copied back yet");
  }

  /**
   * Whether a group at {@code p} on a B partition the forward flow wrote has read no record of the outage: it stands at or
   * before the delta's start, or the first record copied back at or after {@code p} is the first one copied at all, or
   * the reverse flow has read past {@code p} and copied nothing (an outage of only markers or aborted records).
   */
  private boolean readNoOutageRecordBefore(TopicPartition onB, long p, PartitionOffsetMap back, Long readUpTo) {
    long deltaStart = deltaStarts.getOrDefault(onB, Long.MAX_VALUE);
    if (p <= deltaStart) {
      return true;
    }
    OptionalLong first = back == null ? OptionalLong.empty() : back.targetOffset(deltaStart);
    if (first.isPresent()) {
      OptionalLong at = back.targetOffset(p);
      return at.isPresent() && at.getAsLong() == first.getAsLong();
    }
    // nothing copied at all (a map that copied records but cannot say where is another matter: the group waits)
    boolean copiedNothing = back == null || back.runCount() == 0 && back.anchorCount() == 0;
    return copiedNothing && readUpTo != null && readUpTo >= p;
  }
}
