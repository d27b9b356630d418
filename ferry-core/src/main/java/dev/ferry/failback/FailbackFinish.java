package dev.ferry.failback;

import dev.ferry.FerryException;
import dev.ferry.config.FlowConfig;
import dev.ferry.failover.ReplicationStop;
import dev.ferry.flow.FailedOver;
import dev.ferry.flow.Replicator;
import dev.ferry.groups.Checkpointer;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.ClusterHealth;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.kafka.Waits;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last step of a failback, the producer cutover gate: once the operator stopped producers on B, checks that nothing
 * more arrives on B's topics, drains the reverse replication to zero lag, stops and fences it, moves every group with no
 * members on A to its exact position there, and re-arms the forward flow (its failover record is cleared: the next
 * {@code ferry run} of A -> B goes on from where it stopped before the outage, and never copies back what came from B).
 *
 * <p>Every step can be run again: a finish interrupted after the reverse flow was stopped goes on with the groups and the
 * re-arming, and a finished failback says so. Nothing is changed before the producers are found stopped.
 */
public final class FailbackFinish {
  private static final Logger LOG = LoggerFactory.getLogger(FailbackFinish.class);
  private static final long TIMEOUT_MS = 30_000;
  private static final Duration RELEASE_DEADLINE = Duration.ofSeconds(60);

  /** How long the drain and the group moves may go without any progress before the finish gives up (nothing changed). */
  private final Duration stall;
  private final FlowConfig forward;
  private final FlowConfig reverse;
  private final Duration producersTimeout;
  private final Duration quiet;
  private final Consumer<Drain> progress;
  private final Consumer<String> notes;

  /** Where the drain stands: outage offsets left to copy back (and their estimated bytes) of {@code total}. */
  public record Drain(long remaining, long remainingBytes, long total) {}

  /** One group partition moved to A: its position on B, where it is on A, and what it lost or reads again there (both 0). */
  public record GroupRow(String group, TopicPartition onB, long positionOnB, TopicPartition onA, long positionOnA, long lost, long rereads) {}

  /** A group positioned on A past records that never were on B: it consumed on B without them. */
  public record PastDivergence(String group, TopicPartition onA, long from, long to, long records) {}

  /**
   * The outcome: {@code refused} when nothing was changed; {@code atRisk} lists what may be lost or read again (exit 3);
   * {@code alreadyFinished} when an earlier finish had done it all.
   */
  public record Report(String flow, String primary, String dr, Optional<String> refused, boolean alreadyFinished, long readBack, long copiedBack, String reverseStop,
      List<GroupRow> groups, Map<String, String> activeOnA, List<FailbackPlan.DivergenceRow> divergence, List<PastDivergence> pastDivergence,
      List<String> atRisk) {
    static Report refused(FlowConfig forward, String why) {
      return new Report(forward.name(), forward.source().describe(), forward.target().describe(), Optional.of(why), false, 0, 0, "not touched", List.of(),
          Map.of(), List.of(), List.of(), List.of());
    }
  }

  /**
   * @param producersTimeout how long to wait for producers on B to stop before refusing
   * @param quiet how long B's topics must receive nothing to count as stopped
   * @param progress told how the drain stands, about every second while it runs
   * @param notes told what the finish waits for (one line each)
   */
  public FailbackFinish(FlowConfig forward, Duration producersTimeout, Duration quiet, Consumer<Drain> progress, Consumer<String> notes) {
    this.forward = forward;
    this.reverse = ReverseFlow.of(forward);
    this.producersTimeout = producersTimeout;
    this.quiet = quiet;
    this.progress = progress;
    this.notes = notes;
    this.stall = producersTimeout.compareTo(Duration.ofMinutes(2)) > 0 ? producersTimeout : Duration.ofMinutes(2);
  }

  public Report run() {
    Optional<FailedOver> failedOver = FailedOver.read(forward);
    Optional<FailbackState> state = FailbackState.read(forward);
    if (failedOver.isEmpty()) {
      if (state.isPresent() && state.get().phase() == FailbackState.Phase.FINISHED) {
        return new Report(forward.name(), forward.source().describe(), forward.target().describe(), Optional.empty(), true, 0, 0, "stopped already",
            List.of(), Map.of(), List.of(), List.of(), List.of());
      }
      return Report.refused(forward, "flow " + forward.name() + " has not failed over to " + forward.target().describe()
          + ": there is nothing to fail back (ferry failover, then ferry failback start, come first)");
    }
    Instant at = failedOver.get().at();
    Optional<FailbackState> started = state.filter(s -> s.after(at));
    if (started.isEmpty()) {
      return Report.refused(forward, "no failback of flow " + forward.name() + " has started since its failover at " + at
          + ": run ferry failback start first, move the consumer groups, then stop producers on " + forward.target().describe() + " and finish");
    }
    FailbackPlan.Plan plan = new FailbackPlan(forward).plan();
    // an earlier finish that stopped the reverse flow: what is left is the fence (again), the groups and the re-arming,
    // for which A need only answer (the disk for a copy that is over, or a partition under-replicated, is no reason to
    // leave the flow half failed back)
    if (plan.refused().isPresent() && !ClusterHealth.answered(plan.health())) {
      return Report.refused(forward, plan.refused().get());
    }
    boolean stopped = started.get().phase() == FailbackState.Phase.FINISHED || ReverseFlow.stoppedSince(reverse, at);
    if (plan.refused().isPresent() && !stopped) {
      return Report.refused(forward, plan.refused().get());
    }
    long copied = 0;
    long read = 0;
    String stop = "stopped already";
    List<String> notCopied = new ArrayList<>();
    try (Admin dr = Admin.create(Clients.admin(forward.target())); Admin primary = Admin.create(Clients.admin(forward.source()))) {
      if (!stopped) {
        Optional<String> writing = awaitProducersStopped(dr, plan.delta());
        if (writing.isPresent()) {
          return Report.refused(forward, writing.get());
        }
        Optional<String> undrained;
        try (Replicator r = Replicator.start(reverse, Replicator.Startup.FAIL_FAST, ReverseFlow.afterFailover(reverse, at),
            ReverseFlow.starts(plan.delta()))) {
          undrained = drain(r, dr, primary, plan.delta());
          copied = r.status().replication().replicatedRecords();
          read = copied + r.status().replication().filteredRecords();
        }
        if (undrained.isPresent()) {
          return Report.refused(forward, undrained.get());
        }
      }
      if (started.get().phase() != FailbackState.Phase.FINISHED) {
        // again after an interrupted finish: it keeps the first stop's time, and fences whatever it had not
        stop = ReplicationStop.stop(reverse, primary, RELEASE_DEADLINE);
        notCopied = notCopied(dr, primary, plan.delta());
      }
      GroupsBack.Result moved = moveGroups(dr, primary, plan);
      List<String> unmoved = new ArrayList<>();
      moved.waiting().forEach((what, why) -> {
        if (what.equals("*")) {
          unmoved.add(why);
        }
      });
      moved.failed().forEach((g, why) -> unmoved.add("group " + g + ": " + why));
      if (!unmoved.isEmpty()) {
        // the reverse flow stays stopped; the next finish goes on from here
        throw new FerryException(FerryException.Reason.FAILED, "failback of flow " + forward.name() + " not finished: the reverse replication is"
            + " stopped, but the groups were not all moved (" + String.join("; ", unmoved) + "); run ferry failback finish again");
      }
      Map<String, Map<TopicPartition, Long>> onA = committedOnA(primary, moved);
      if (started.get().phase() != FailbackState.Phase.FINISHED) {
        new FailbackState(FailbackState.Phase.FINISHED, Instant.now(), started.get().primaryEnds()).write(forward);
      }
      FailedOver.clear(forward, dr);
      LOG.atInfo().addKeyValue("flow", forward.name()).log("failback finished: flow {} re-armed to replicate {} -> {}", forward.name(),
          forward.source().describe(), forward.target().describe());
      return report(plan, read, copied, stop, moved, onA, notCopied);
    }
  }

  /** B's records past the reverse flow's progress once it is stopped: written after the drain, never copied back. */
  private List<String> notCopied(Admin dr, Admin primary, List<FailbackPlan.DeltaRow> delta) {
    Map<TopicPartition, Long> starts = new HashMap<>();
    delta.forEach(d -> starts.put(d.onB(), d.start()));
    // the high watermark: a transaction still open counts (committed later, it is not copied either)
    Map<TopicPartition, Long> ends = ends(dr, List.copyOf(starts.keySet()), IsolationLevel.READ_UNCOMMITTED);
    Map<TopicPartition, Long> readUpTo = GroupsBack.readUpTo(reverse, primary, delta);
    List<String> out = new ArrayList<>();
    ends.entrySet().stream().sorted(Map.Entry.comparingByKey(Comparator.comparing(TopicPartition::toString))).forEach(e -> {
      long at = Math.max(readUpTo.getOrDefault(e.getKey(), 0L), starts.get(e.getKey()));
      if (e.getValue() > at) {
        out.add((e.getValue() - at) + " offsets of " + e.getKey() + " (" + at + ".." + (e.getValue() - 1) + ") were written on " + forward.target().describe()
            + " after the drain and not copied back: copy them by hand or replay them on " + forward.source().describe());
      }
    });
    return out;
  }

  /** The moved groups' committed offsets on A now (those active there included). */
  private Map<String, Map<TopicPartition, Long>> committedOnA(Admin primary, GroupsBack.Result moved) {
    Map<String, org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec> specs = new HashMap<>();
    moved.moves().forEach(m -> specs.put(m.group(), new org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec()));
    Map<String, Map<TopicPartition, Long>> out = new HashMap<>();
    if (specs.isEmpty()) {
      return out;
    }
    KafkaCalls.await(primary.listConsumerGroupOffsets(specs).all(), TIMEOUT_MS, "list group offsets on " + forward.source().describe())
        .forEach((g, offsets) -> {
          Map<TopicPartition, Long> byPartition = new HashMap<>();
          offsets.forEach((tp, om) -> {
            if (om != null) {
              byPartition.put(tp, om.offset());
            }
          });
          out.put(g, byPartition);
        });
    return out;
  }

  /**
   * Waits until B's outage topics receive nothing for {@link #quiet} (their high watermarks stand still, which counts
   * writes of open transactions too) and hold no open transaction (the committed end is the high watermark: a hung
   * transaction would hide the committed records after it from the drain); what is still written when
   * {@link #producersTimeout} ends, if anything is.
   */
  private Optional<String> awaitProducersStopped(Admin dr, List<FailbackPlan.DeltaRow> delta) {
    List<TopicPartition> parts = delta.stream().map(FailbackPlan.DeltaRow::onB).toList();
    long deadline = System.nanoTime() + producersTimeout.toNanos();
    Map<TopicPartition, Long> before = ends(dr, parts, IsolationLevel.READ_UNCOMMITTED);
    while (true) {
      Waits.pause(quiet.toMillis());
      Map<TopicPartition, Long> after = ends(dr, parts, IsolationLevel.READ_UNCOMMITTED);
      Map<TopicPartition, Long> committed = ends(dr, parts, IsolationLevel.READ_COMMITTED);
      Map<String, Long> arriving = new TreeMap<>();
      after.forEach((tp, end) -> {
        long grew = end - before.getOrDefault(tp, end);
        if (grew > 0) {
          arriving.merge(tp.topic(), grew, Long::sum);
        }
      });
      List<String> open = new ArrayList<>();
      after.forEach((tp, end) -> {
        long c = committed.getOrDefault(tp, end);
        if (c < end) {
          open.add(tp + " from offset " + c);
        }
      });
      java.util.Collections.sort(open);
      if (arriving.isEmpty() && open.isEmpty()) {
        return Optional.empty();
      }
      String which = String.join(", ", arriving.entrySet().stream().map(e -> e.getKey() + " (+" + e.getValue() + ")").toList());
      String txs = open.isEmpty() ? "" : (which.isEmpty() ? "" : "; ") + "open transactions on " + String.join(", ", open);
      if (System.nanoTime() > deadline) {
        return Optional.of("records are still arriving on " + forward.target().describe() + " after " + producersTimeout.toSeconds() + " s: " + which
            + txs + "; stop the producers there (and let their transactions end) and run ferry failback finish again (nothing was changed)");
      }
      notes.accept("still written on " + forward.target().describe() + " in the last " + quiet.toMillis() / 1000.0 + " s: " + which + txs
          + "; waiting for the producers to stop");
      before.putAll(after);
    }
  }

  /**
   * Replicates until the reverse flow's progress reaches the end of every outage partition, B's ends read again at
   * every step (a record committed meanwhile is drained too); why not, if it does not.
   */
  private Optional<String> drain(Replicator r, Admin dr, Admin primary, List<FailbackPlan.DeltaRow> delta) {
    List<TopicPartition> parts = delta.stream().map(FailbackPlan.DeltaRow::onB).toList();
    Map<TopicPartition, Long> starts = new HashMap<>();
    delta.forEach(d -> starts.put(d.onB(), d.start()));
    double bytesPerOffset = delta.stream().mapToLong(FailbackPlan.DeltaRow::offsets).sum() == 0 ? 0
        : (double) delta.stream().mapToLong(FailbackPlan.DeltaRow::bytes).sum() / delta.stream().mapToLong(FailbackPlan.DeltaRow::offsets).sum();
    long total = remaining(ends(dr, parts, IsolationLevel.READ_COMMITTED), GroupsBack.readUpTo(reverse, primary, delta), starts);
    long lastRemaining = Long.MAX_VALUE;
    long lastMove = System.nanoTime();
    while (true) {
      Optional<FerryException> failed = r.failure();
      if (failed.isPresent()) {
        return Optional.of("the reverse replication stopped before it drained: " + failed.get().getMessage() + " (the failback goes on, not finished)");
      }
      Map<TopicPartition, Long> ends = ends(dr, parts, IsolationLevel.READ_COMMITTED);
      long left = remaining(ends, GroupsBack.readUpTo(reverse, primary, delta), starts);
      total = Math.max(total, left);
      progress.accept(new Drain(left, (long) (left * bytesPerOffset), total));
      if (left == 0 && ends.equals(ends(dr, parts, IsolationLevel.READ_UNCOMMITTED))) {
        return Optional.empty();
      }
      if (left < lastRemaining) {
        lastRemaining = left;
        lastMove = System.nanoTime();
      } else if (System.nanoTime() - lastMove > stall.toNanos()) {
        List<String> problems = new ArrayList<>();
        r.status().replication().partitionProblems().forEach((tp, p) -> problems.add(tp + ": " + p.message()));
        r.status().topicProblems().forEach((t, p) -> problems.add(t + ": " + p.message()));
        return Optional.of("the reverse replication made no progress for " + stall.toSeconds() + " s with " + left + " outage offsets left to copy back"
            + (left == 0 ? " and a transaction open on " + forward.target().describe() : "")
            + (problems.isEmpty() ? "" : " (" + String.join("; ", problems) + ")")
            + "; see ferry failback status, then run ferry failback finish again (the failback goes on, not finished)");
      }
      Waits.pause(1000);
    }
  }

  private static long remaining(Map<TopicPartition, Long> ends, Map<TopicPartition, Long> readUpTo, Map<TopicPartition, Long> starts) {
    long left = 0;
    for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
      long at = Math.max(readUpTo.getOrDefault(e.getKey(), 0L), starts.getOrDefault(e.getKey(), 0L));
      left += Math.max(0, e.getValue() - at);
    }
    return left;
  }

  /** The final group moves, retried while a group waits for the reverse map (read on incrementally) up to the stall limit. */
  private GroupsBack.Result moveGroups(Admin dr, Admin primary, FailbackPlan.Plan plan) {
    try (Checkpointer checkpointer = new Checkpointer(reverse, dr, primary)) {
      GroupsBack groups = new GroupsBack(forward, plan);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (true) {
        GroupsBack.Result r = groups.round(checkpointer, dr, primary);
        if (r.waiting().isEmpty() && r.failed().isEmpty() || System.nanoTime() > deadline) {
          return r;
        }
        Waits.pause(1000);
      }
    }
  }

  private Report report(FailbackPlan.Plan plan, long read, long copied, String stop, GroupsBack.Result moved,
      Map<String, Map<TopicPartition, Long>> onA, List<String> notCopied) {
    List<String> atRisk = new ArrayList<>(notCopied);
    List<GroupRow> groups = new ArrayList<>();
    // a group partition translated past divergent records never read them: a translation past the divergence's start
    // comes from the reverse map, so it lies past everything A held when the failback started, which is past whatever
    // the group had read on A before the outage; what it read on A since its move says nothing of them
    List<GroupsBack.Move> moves = new ArrayList<>();
    for (GroupsBack.Move m : moved.moves()) {
      Long now = onA.getOrDefault(m.group(), Map.of()).get(m.onA());
      if (moved.activeOnA().containsKey(m.group())) {
        if (now == null || now < m.positionOnA()) {
          atRisk.add("group " + m.group() + " is active on " + plan.primary() + (now == null ? " with no offset" : " at " + now) + " on " + m.onA()
              + ", before its position " + m.positionOnA() + " from " + plan.dr() + ": it reads " + (now == null ? "from its start" : m.positionOnA() - now
              + " offsets") + " again");
        }
        continue;
      }
      long at = now == null ? -1 : now;
      groups.add(new GroupRow(m.group(), m.onB(), m.positionOnB(), m.onA(), at, 0, at >= 0 && at < m.positionOnA() ? m.positionOnA() - at : 0));
      moves.add(m);
      if (at < m.positionOnA()) {
        atRisk.add("group " + m.group() + " is at " + at + " on " + m.onA() + ", not at its position " + m.positionOnA() + ": it reads "
            + (at < 0 ? "from its start" : (m.positionOnA() - at) + " offsets") + " again");
      }
    }
    groups.sort(Comparator.comparing(GroupRow::group).thenComparing(g -> g.onA().toString()));
    moved.waiting().forEach((what, why) -> atRisk.add("group " + what + " not moved: " + why));
    plan.groups().stream().filter(g -> g.membersOnB() > 0).forEach(g -> atRisk.add("group " + g.group() + " still has " + g.membersOnB()
        + " member(s) on " + plan.dr() + ": what it consumes there from now on it reads again on " + plan.primary()));
    plan.delta().stream().filter(d -> d.expired() > 0).forEach(d -> atRisk.add(d.expired() + " outage offsets of " + d.onB()
        + " expired on " + plan.dr() + " before they could be copied back: lost"));
    List<PastDivergence> past = new ArrayList<>();
    Map<TopicPartition, FailbackPlan.DivergenceRow> divergence = new HashMap<>();
    plan.divergence().forEach(d -> divergence.put(d.onA(), d));
    for (GroupsBack.Move m : moves) {
      FailbackPlan.DivergenceRow d = divergence.get(m.onA());
      if (d != null && m.positionOnA() > d.from()) {
        long to = Math.min(m.positionOnA(), d.to());
        past.add(new PastDivergence(m.group(), m.onA(), d.from(), to, d.records() >= 0 && to == d.to() ? d.records() : to - d.from()));
      }
    }
    past.forEach(p -> atRisk.add("group " + p.group() + " is positioned past " + p.records() + " records of " + p.onA() + " (offsets " + p.from() + ".."
        + (p.to() - 1) + ") that never were on " + plan.dr() + ": it consumed there without them"));
    return new Report(plan.flow(), plan.primary(), plan.dr(), Optional.empty(), false, read, copied, stop, groups, moved.activeOnA(), plan.divergence(), past,
        atRisk);
  }

  private static Map<TopicPartition, Long> ends(Admin admin, List<TopicPartition> parts, IsolationLevel isolation) {
    Map<TopicPartition, Long> out = new HashMap<>();
    if (parts.isEmpty()) {
      return out;
    }
    Map<TopicPartition, OffsetSpec> req = new HashMap<>();
    parts.forEach(p -> req.put(p, OffsetSpec.latest()));
    KafkaCalls.await(admin.listOffsets(req, new ListOffsetsOptions(isolation)).all(), TIMEOUT_MS, "list end offsets").forEach((tp, i) -> out.put(tp,
        i.offset()));
    return out;
  }
}
