package dev.ferry.failback;

import dev.ferry.FerryException;
import dev.ferry.config.FlowConfig;
import dev.ferry.flow.FailedOver;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.offsets.OffsetMapReader;
import dev.ferry.status.FlowReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a failback stands, read from both clusters (changes nothing): the reverse replication's lag per partition, the
 * outage delta copied back so far, each consumer group's place (still active on B, positioned on A, or active on A),
 * and the divergence.
 */
public final class FailbackStatus {
  private static final long TIMEOUT_MS = 30_000;

  /** The failback's step: the flow failed over and no failback started, a failback runs, or it finished. */
  public enum Phase { NOT_STARTED, STARTED, FINISHED, NOT_FAILED_OVER }

  /**
   * One outage partition: offsets {@code start..end-1} of {@code onB} go to {@code onA}; the reverse flow has read up to
   * {@code at} ({@code copied} of them behind it); {@code lagRecords} offsets are left, the oldest written {@code lagSeconds} ago.
   */
  public record PartitionRow(TopicPartition onB, TopicPartition onA, long start, long at, long end, long copied, long lagRecords,
      OptionalDouble lagSeconds) {}

  /** Where a group is: {@code ACTIVE_ON_B}, {@code POSITIONED_ON_A} (at its exact translation), {@code ACTIVE_ON_A}, or {@code WAITING}. */
  public enum Place { ACTIVE_ON_B, WAITING, POSITIONED_ON_A, ACTIVE_ON_A }

  /** One group partition: its position on B, its translation on A (-1: not yet), its committed offset on A (-1: none). */
  public record GroupPartition(TopicPartition onB, long positionOnB, TopicPartition onA, long translated, long committedOnA, String waiting) {}

  public record GroupRow(String group, Place place, int membersOnB, int membersOnA, List<GroupPartition> partitions) {}

  public record Status(String flow, String primary, String dr, Phase phase, Optional<String> failedOverAt, Optional<String> failbackAt,
      List<PartitionRow> partitions, List<GroupRow> groups, List<FailbackPlan.DivergenceRow> divergence, List<String> warnings) {
    public long lagRecords() {
      return partitions.stream().mapToLong(PartitionRow::lagRecords).sum();
    }

    public long copied() {
      return partitions.stream().mapToLong(PartitionRow::copied).sum();
    }
  }

  private final FlowConfig forward;
  private final FlowConfig reverse;

  public FailbackStatus(FlowConfig forward) {
    this.forward = forward;
    this.reverse = ReverseFlow.of(forward);
  }

  public Status read() {
    Optional<FailedOver> failedOver = FailedOver.read(forward);
    Optional<FailbackState> state = FailbackState.read(forward);
    String a = forward.source().describe();
    String b = forward.target().describe();
    if (failedOver.isEmpty()) {
      boolean finished = state.isPresent() && state.get().phase() == FailbackState.Phase.FINISHED;
      return new Status(forward.name(), a, b, finished ? Phase.FINISHED : Phase.NOT_FAILED_OVER, Optional.empty(),
          state.filter(s -> finished).map(s -> s.at().toString()), List.of(), List.of(), List.of(), List.of());
    }
    Optional<FailbackState> current = state.filter(s -> s.after(failedOver.get().at()));
    Phase phase = current.isEmpty() ? Phase.NOT_STARTED : current.get().phase() == FailbackState.Phase.FINISHED ? Phase.FINISHED : Phase.STARTED;
    FailbackPlan.Plan plan = new FailbackPlan(forward).plan();
    List<String> warnings = new ArrayList<>(plan.warnings());
    plan.refused().ifPresent(r -> warnings.add("the plan is refused now: " + r));
    try (Admin dr = Admin.create(Clients.admin(forward.target())); Admin primary = Admin.create(Clients.admin(forward.source()))) {
      boolean primaryAnswers = dev.ferry.kafka.ClusterHealth.answered(plan.health());
      Map<TopicPartition, Long> readUpTo = Map.of();
      List<GroupRow> groups = List.of();
      if (primaryAnswers) {
        try {
          readUpTo = GroupsBack.readUpTo(reverse, primary, plan.delta());
        } catch (FerryException e) {
          warnings.add("the reverse flow's progress on " + a + " not read: " + e.getMessage());
        }
        try {
          groups = groups(plan, dr, primary, warnings);
        } catch (FerryException | KafkaException e) {
          warnings.add("groups not read: " + e.getMessage());
        }
      } else {
        warnings.add(a + " does not answer: the reverse flow's progress and the groups there are not known");
      }
      List<PartitionRow> rows;
      try {
        rows = partitions(plan, readUpTo);
      } catch (KafkaException e) {
        throw new FerryException(FerryException.Reason.FAILED, "reading the outage's records on " + b + ": " + e.getMessage(), e);
      }
      return new Status(forward.name(), a, b, phase, plan.failedOverAt(), current.map(s -> s.at().toString()), rows, groups, plan.divergence(),
          warnings);
    }
  }

  private List<PartitionRow> partitions(FailbackPlan.Plan plan, Map<TopicPartition, Long> readUpTo) {
    Map<TopicPartition, Long> lagging = new HashMap<>();
    Map<TopicPartition, Long> at = new HashMap<>();
    for (FailbackPlan.DeltaRow d : plan.delta()) {
      long from = Math.max(d.start(), readUpTo.getOrDefault(d.onB(), d.start()));
      at.put(d.onB(), from);
      if (from < d.end()) {
        lagging.put(d.onB(), from);
      }
    }
    Map<TopicPartition, Long> oldest = FlowReport.timestampsAt(reverse, lagging);
    long now = System.currentTimeMillis();
    List<PartitionRow> rows = new ArrayList<>();
    for (FailbackPlan.DeltaRow d : plan.delta()) {
      long from = at.get(d.onB());
      long lag = Math.max(0, d.end() - from);
      OptionalDouble seconds = lag == 0 ? OptionalDouble.of(0)
          : oldest.containsKey(d.onB()) ? OptionalDouble.of(Math.max(0, now - oldest.get(d.onB())) / 1000.0) : OptionalDouble.empty();
      rows.add(new PartitionRow(d.onB(), d.onA(), d.start(), from, d.end(), from - d.start(), lag, seconds));
    }
    return rows;
  }

  private List<GroupRow> groups(FailbackPlan.Plan plan, Admin dr, Admin primary, List<String> warnings) {
    if (plan.groups().isEmpty()) {
      return List.of();
    }
    GroupsBack back = new GroupsBack(forward, plan);
    GroupsBack.Result r = back.preview(OffsetMapReader.read(reverse, Duration.ofMillis(TIMEOUT_MS)), dr, primary);
    Map<String, Map<TopicPartition, GroupsBack.Move>> moves = new HashMap<>();
    r.moves().forEach(m -> moves.computeIfAbsent(m.group(), g -> new HashMap<>()).put(m.onB(), m));
    List<String> names = plan.groups().stream().map(FailbackPlan.GroupRow::group).toList();
    Map<String, Map<TopicPartition, OffsetAndMetadata>> onA = new HashMap<>();
    Map<String, Integer> membersOnA = new HashMap<>();
    try {
      Map<String, ListConsumerGroupOffsetsSpec> specs = new HashMap<>();
      names.forEach(g -> specs.put(g, new ListConsumerGroupOffsetsSpec()));
      onA.putAll(KafkaCalls.await(primary.listConsumerGroupOffsets(specs).all(), TIMEOUT_MS, "list group offsets on " + forward.source().describe()));
      Map<String, ConsumerGroupDescription> d = KafkaCalls.await(primary.describeConsumerGroups(names).all(), TIMEOUT_MS,
          "describe groups on " + forward.source().describe());
      d.forEach((g, desc) -> membersOnA.put(g, desc.members().size()));
    } catch (RuntimeException e) {
      warnings.add("groups on " + forward.source().describe() + " not read: " + e.getMessage());
    }
    List<GroupRow> out = new ArrayList<>();
    for (FailbackPlan.GroupRow g : plan.groups()) {
      List<GroupPartition> parts = new ArrayList<>();
      boolean allThere = true;
      for (Map.Entry<TopicPartition, Long> p : g.positions().entrySet()) { // sorted by partition
        GroupsBack.Move m = moves.getOrDefault(g.group(), Map.of()).get(p.getKey());
        TopicPartition target = m == null ? null : m.onA();
        OffsetAndMetadata committed = target == null ? null : onA.getOrDefault(g.group(), Map.of()).get(target);
        long translated = m == null ? -1 : m.positionOnA();
        long there = committed == null ? -1 : committed.offset();
        allThere &= m != null && there == translated;
        parts.add(new GroupPartition(p.getKey(), p.getValue(), target, translated, there,
            m == null ? r.waiting().getOrDefault(g.group() + " " + p.getKey(), "not translated yet") : ""));
      }
      int a = membersOnA.getOrDefault(g.group(), 0);
      Place place = a > 0 ? Place.ACTIVE_ON_A : g.membersOnB() > 0 ? Place.ACTIVE_ON_B : allThere ? Place.POSITIONED_ON_A : Place.WAITING;
      out.add(new GroupRow(g.group(), place, g.membersOnB(), a, parts));
    }
    return out;
  }
}
