package dev.ferry.status;

import dev.ferry.FerryException;
import dev.ferry.client.Checkpoint;
import dev.ferry.client.FerryCheckpoints;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.AdminTopics;
import dev.ferry.kafka.ClusterProbe;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.kafka.ProgressStore;
import dev.ferry.kafka.SourceGaps;
import dev.ferry.naming.TopicNaming;
import dev.ferry.replicate.ShardStats;
import dev.ferry.topics.Audit;
import dev.ferry.topics.Recreation;
import dev.ferry.topics.Recreations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * What a flow looks like from outside, read from the clusters (no running Ferry needed): per partition how far
 * replication is behind, in records and seconds; per group its last checkpoint and the records a failover now would lose;
 * which processes own which shards.
 */
public final class FlowReport {
  private static final long TIMEOUT_MS = 30_000;

  /**
   * One replicated partition. {@code lagSeconds}: age of the oldest source record not yet replicated (0 when caught up).
   * The source's end, the lag and its age are empty when the source does not answer (or the record's time could not be
   * read). {@code gaps}: source records that expired before they could be replicated, as committed with the progress.
   * {@code latencyMs}: the replication latency its shard's owner reported last (every few seconds): the longest time one
   * of the records it replicated since the report before took from its timestamp on the source to the commit that made
   * it visible on the target; empty when the partition replicated nothing in that window or no report is recent.
   */
  public record PartitionRow(TopicPartition source, TopicPartition target, long replicatedUpTo, OptionalLong sourceEnd, OptionalLong lagRecords,
      OptionalDouble lagSeconds, SourceGaps gaps, OptionalLong latencyMs) {}

  /**
   * One group. {@code atRisk}: records it consumed on the source that are not replicated. {@code membersOnTarget}: its
   * active members on the target (Ferry does not sync a group that has any).
   */
  public record GroupRow(String group, int partitions, long checkpointAgeMs, long atRisk, int membersOnTarget) {}

  /** One process of the flow and the shards it owns. */
  public record MemberRow(String clientId, String host, List<Integer> shards) {}

  /**
   * One shard: the process owning it (empty when none does) and the throughput its owner last reported
   * ({@code statsAgeMs} empty: none yet; rates of a report older than {@link #IDLE_AFTER_MS} are 0, the shard had
   * nothing to commit since).
   */
  public record ShardRow(int shard, Optional<String> owner, double recordsPerSecond, double bytesPerSecond, OptionalLong statsAgeMs,
      int slowPartitions) {}

  /** A shard whose last throughput report is older than this replicated nothing since (it reports with each commit). */
  public static final long IDLE_AFTER_MS = 15_000;

  /**
   * @param recreated one line per source topic that was deleted and created again since its progress was committed (the
   *     progress holds another topic id than the source topic has now), with what the flow's on-recreate policy does
   * @param recreations where topics recreated and taken up begin on the target (see {@link Recreation})
   * @param orphans target topics the flow replicated whose source topic is gone (kept: they are the DR copy)
   * @param configRules rules the target's own topic configs break (see {@link Audit}); the sync cannot fix them
   * @param topicsUnchecked why orphans and config rules could not be read (the source does not answer), if they could not
   * @param drifted topic pairs that differ from what the flow wants (as {@code ferry audit} counts them: a missing target
   *     topic, too few partitions, a synced config that differs, a broken config rule); 0 when the topics were not checked
   */
  public record Report(FlowConfig flow, boolean sourceReachable, List<PartitionRow> partitions, List<GroupRow> groups, List<MemberRow> members,
      List<ShardRow> shards, List<String> recreated, List<String> recreations, List<String> orphans, List<String> configRules,
      Optional<String> topicsUnchecked, int drifted) {}

  private FlowReport() {}

  public static Report read(FlowConfig flow) {
    TopicNaming naming = TopicNaming.of(flow);
    try (Admin target = Admin.create(Clients.admin(flow.target())); Admin source = Admin.create(Clients.admin(flow.source()))) {
      ClusterProbe.probe(target, flow.target(), "target", Duration.ofSeconds(10));
      Map<TopicPartition, ProgressStore.Progress> committed = new ProgressStore(target, flow).readAllProgress();
      Map<TopicPartition, Long> progress = new HashMap<>();
      committed.forEach((t, p) -> progress.put(t, p.next()));
      Map<TopicPartition, TopicPartition> sourceOf = new HashMap<>();
      progress.keySet().forEach(t -> naming.sourceTopic(t.topic()).ifPresent(s -> sourceOf.put(t, new TopicPartition(s, t.partition()))));
      Optional<Map<TopicPartition, Long>> ends = sourceEnds(source, sourceOf.values(), flow);
      List<PartitionRow> rows = new ArrayList<>();
      Map<TopicPartition, Long> lagging = new HashMap<>();
      sourceOf.forEach((t, s) -> {
        long at = progress.get(t);
        end(ends, s).ifPresent(end -> {
          if (end > at) {
            lagging.put(s, at);
          }
        });
      });
      Map<TopicPartition, Long> oldest = ends.isPresent() ? timestampsAt(flow, lagging) : Map.of();
      long now = System.currentTimeMillis();
      Map<Integer, ShardStats> stats = ShardStats.readLatest(flow, Duration.ofMillis(TIMEOUT_MS));
      Map<TopicPartition, Long> latency = new HashMap<>();
      stats.values().stream().filter(st -> now - st.timeMs() < IDLE_AFTER_MS).forEach(st -> latency.putAll(st.latencyMs()));
      sourceOf.forEach((t, s) -> {
        long at = progress.get(t);
        OptionalLong end = end(ends, s);
        OptionalLong lag = end.isPresent() ? OptionalLong.of(Math.max(0, end.getAsLong() - at)) : OptionalLong.empty();
        OptionalDouble seconds = oldest.containsKey(s) ? OptionalDouble.of(Math.max(0, now - oldest.get(s)) / 1000.0)
            : lag.isPresent() && lag.getAsLong() == 0 ? OptionalDouble.of(0) : OptionalDouble.empty();
        OptionalLong latencyMs = latency.containsKey(s) ? OptionalLong.of(latency.get(s)) : OptionalLong.empty();
        rows.add(new PartitionRow(s, t, at, end, lag, seconds, committed.get(t).gaps(), latencyMs));
      });
      rows.sort(Comparator.comparing(r -> r.source().toString()));

      Map<String, Object> client = Clients.asMap(flow.target());
      List<GroupRow> groups = new ArrayList<>();
      Map<String, Map<TopicPartition, Checkpoint>> checkpoints = FerryCheckpoints.readAll(client, flow.name(), Duration.ofSeconds(30));
      Map<String, Integer> members = membersOnTarget(target, checkpoints.keySet(), flow);
      checkpoints.forEach((g, byPartition) -> {
        long newest = byPartition.values().stream().mapToLong(Checkpoint::timestamp).max().orElse(now);
        long atRisk = byPartition.values().stream().mapToLong(Checkpoint::recordsAhead).sum();
        groups.add(new GroupRow(g, byPartition.size(), now - newest, atRisk, members.getOrDefault(g, 0)));
      });
      List<MemberRow> processes = members(target, flow);
      List<String> orphans = List.of();
      List<String> rules = List.of();
      List<String> recreated = List.of(); // needs the source too: none is known while it does not answer
      Optional<String> unchecked = Optional.empty();
      int drifted = 0;
      if (ends.isPresent()) {
        try {
          Audit.Report audit = new Audit(flow).topics();
          orphans = audit.orphans();
          rules = audit.topics().stream().flatMap(t -> t.violations().stream()).toList();
          recreated = List.copyOf(audit.recreated().values());
          drifted = (int) audit.topics().stream().filter(Audit.TopicRow::drift).count();
        } catch (FerryException e) {
          unchecked = Optional.of(e.getMessage());
          recreated = List.copyOf(Recreations.pending(flow, source, committed).values());
        }
      } else {
        unchecked = Optional.of("the source does not answer");
      }
      return new Report(flow, ends.isPresent(), rows, groups, processes, shards(flow, processes, stats, now), recreated,
          Recreation.summaries(flow, target, Duration.ofSeconds(30)), orphans, rules, unchecked, drifted);
    }
  }

  private static OptionalLong end(Optional<Map<TopicPartition, Long>> ends, TopicPartition source) {
    Long end = ends.isPresent() ? ends.get().get(source) : null;
    return end == null ? OptionalLong.empty() : OptionalLong.of(end);
  }

  /**
   * The source's end offsets of these partitions; empty when the source does not answer. A partition whose topic is
   * gone from the source (an orphan) is left out: it has no end, and the source still answers.
   */
  private static Optional<Map<TopicPartition, Long>> sourceEnds(Admin source, java.util.Collection<TopicPartition> parts, FlowConfig flow) {
    if (parts.isEmpty()) {
      return Optional.of(Map.of());
    }
    if (!ClusterProbe.answers(source, flow.source(), "source", Duration.ofSeconds(10))) {
      return Optional.empty(); // source down: lag unknown
    }
    // only partitions that exist are asked (a client asking for one that does not retries until its timeout)
    Map<String, TopicDescription> topics;
    try {
      topics = AdminTopics.describe(source, parts.stream().map(TopicPartition::topic).distinct().toList(),
          "describe topics on " + flow.source().describe(), new HashMap<>());
    } catch (FerryException e) {
      return Optional.empty();
    }
    Map<TopicPartition, OffsetSpec> req = new HashMap<>();
    parts.stream().filter(p -> topics.containsKey(p.topic()) && p.partition() < topics.get(p.topic()).partitions().size())
        .forEach(p -> req.put(p, OffsetSpec.latest()));
    if (req.isEmpty()) {
      return Optional.of(Map.of());
    }
    try {
      Map<TopicPartition, Long> out = new HashMap<>();
      KafkaCalls.await(source.listOffsets(req, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all(), 10_000,
          "list end offsets on " + flow.source().describe()).forEach((tp, i) -> out.put(tp, i.offset()));
      return Optional.of(out);
    } catch (FerryException e) {
      return Optional.empty(); // source down: lag unknown
    }
  }

  /** The timestamp of the record at each given offset on the source (the oldest record not yet replicated). */
  public static Map<TopicPartition, Long> timestampsAt(FlowConfig flow, Map<TopicPartition, Long> offsets) {
    Map<TopicPartition, Long> out = new HashMap<>();
    if (offsets.isEmpty()) {
      return out;
    }
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Clients.readerProperties(flow.source()))) {
      c.assign(offsets.keySet());
      offsets.forEach(c::seek);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (out.size() < offsets.size() && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          out.putIfAbsent(tp, r.timestamp());
          c.pause(List.of(tp));
        }
      }
    }
    return out;
  }

  /** Active members on the target of each group, in one batched describe. */
  private static Map<String, Integer> membersOnTarget(Admin target, java.util.Set<String> groups, FlowConfig flow) {
    Map<String, Integer> out = new HashMap<>();
    if (groups.isEmpty()) {
      return out;
    }
    target.describeConsumerGroups(groups).describedGroups().forEach((g, f) -> {
      try {
        out.put(g, KafkaCalls.await(f, TIMEOUT_MS, "describe group " + g + " on " + flow.target().describe()).members().size());
      } catch (FerryException e) {
        if (!(e.getCause() instanceof GroupIdNotFoundException)) {
          throw e;
        }
      }
    });
    return out;
  }

  private static List<ShardRow> shards(FlowConfig flow, List<MemberRow> members, Map<Integer, ShardStats> stats, long now) {
    Map<Integer, String> owners = new java.util.TreeMap<>();
    members.forEach(m -> m.shards().forEach(s -> owners.put(s, m.clientId())));
    List<ShardRow> rows = new ArrayList<>();
    for (int shard = 0; shard < flow.shards(); shard++) {
      ShardStats st = stats.get(shard);
      OptionalLong age = st == null ? OptionalLong.empty() : OptionalLong.of(Math.max(0, now - st.timeMs()));
      boolean fresh = st != null && age.getAsLong() < IDLE_AFTER_MS;
      rows.add(new ShardRow(shard, Optional.ofNullable(owners.get(shard)), fresh ? st.recordsPerSecond() : 0, fresh ? st.bytesPerSecond() : 0, age,
          st == null ? 0 : st.slowPartitions()));
    }
    return rows;
  }

  private static List<MemberRow> members(Admin target, FlowConfig flow) {
    String group = FerryNames.membershipGroup(flow.name());
    try {
      var d = KafkaCalls.await(target.describeConsumerGroups(List.of(group)).describedGroups().get(group), TIMEOUT_MS,
          "describe " + group + " on " + flow.target().describe());
      List<MemberRow> out = new ArrayList<>();
      for (MemberDescription m : d.members()) {
        out.add(new MemberRow(m.clientId(), m.host(),
            m.assignment().topicPartitions().stream().map(TopicPartition::partition).sorted().toList()));
      }
      return out;
    } catch (FerryException e) {
      if (e.getCause() instanceof GroupIdNotFoundException) {
        return List.of();
      }
      throw e;
    }
  }
}
