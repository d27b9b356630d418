package dev.ferry.failback;

import dev.ferry.FerryException;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import dev.ferry.flow.FailedOver;
import dev.ferry.groups.Translation;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.ClusterHealth;
import dev.ferry.kafka.ClusterProbe;
import dev.ferry.kafka.Incarnation;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.kafka.ProgressStore;
import dev.ferry.naming.TopicNaming;
import dev.ferry.offsets.OffsetMapReader;
import dev.ferry.offsets.PartitionOffsetMap;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

/**
 * What failing a flow back would do, read from both clusters; changes nothing (the playbook's first step, with the
 * numbers for the decision). The flow is the forward flow A -> B, which failed over to B: A is its source (the primary,
 * to fail back to), B its target.
 *
 * <ul>
 *   <li>A's health (see {@link ClusterHealth}) for the topics that are to take records back.
 *   <li>The outage delta per B partition: what was written on B after the forward flow's last write into it (its offset
 *       map says where that was), and where it goes on A (identity naming: the same topic; prefix naming: B's own
 *       topic {@code orders} goes to A's {@code B.orders}, while B's {@code A.orders} is A's own data and stays).
 *   <li>Divergence per A partition: records on A that never reached B before the outage (past the forward flow's
 *       progress). Never deleted: after the failback the forward flow copies them to B.
 *   <li>The consumer groups on B that move back, with their positions and members.
 * </ul>
 */
public final class FailbackPlan {
  private static final long TIMEOUT_MS = 30_000;
  /** Divergence is counted record by record (transaction markers are offsets, not records) up to this many offsets. */
  static final long COUNT_UP_TO = 1_000_000;

  /**
   * One B partition's outage delta: offsets {@code start..end-1} of {@code onB} (topic id {@code topicId}) go to
   * {@code onA}; {@code expired} outage offsets before {@code start} are gone from B (its retention) and cannot be copied.
   */
  public record DeltaRow(TopicPartition onB, Uuid topicId, TopicPartition onA, long start, long end, long bytes, long expired) {
    public long offsets() {
      return Math.max(0, end - start);
    }
  }

  /**
   * Records on A past what the forward flow replicated: offsets {@code from..to-1}, {@code records} of them committed
   * (-1 when not counted: more than {@link #COUNT_UP_TO} offsets).
   */
  public record DivergenceRow(TopicPartition onA, long from, long to, long records) {}

  /** A group with committed offsets on the delta's B topics: its position per partition and its members on B. */
  public record GroupRow(String group, int membersOnB, Map<TopicPartition, Long> positions) {}

  /**
   * The plan. {@code refused} says why the failback cannot go on now (the flow did not fail over, A is not healthy, the
   * flow writes no provenance under identity naming); {@code warnings} what could not be read (the rest is filled as far
   * as the clusters could say).
   */
  public record Plan(String flow, String primary, String dr, Optional<String> failedOverAt, List<ClusterHealth.Check> health,
      Map<TopicPartition, Long> replicatedUpTo, List<DeltaRow> delta, List<DivergenceRow> divergence, List<GroupRow> groups, List<String> warnings,
      Optional<String> refused) {
    public long deltaOffsets() {
      return delta.stream().mapToLong(DeltaRow::offsets).sum();
    }

    public long deltaBytes() {
      return delta.stream().mapToLong(DeltaRow::bytes).sum();
    }

    public long divergentRecords() {
      return divergence.stream().mapToLong(d -> d.records() < 0 ? d.to() - d.from() : d.records()).sum();
    }
  }

  private final FlowConfig flow;
  private final TopicNaming naming;
  private final TopicNaming reverse;

  public FailbackPlan(FlowConfig flow) {
    this.flow = flow;
    this.naming = TopicNaming.of(flow);
    this.reverse = new TopicNaming(flow.naming(), flow.target().alias(), flow.source().alias());
  }

  /** Reads both clusters and plans. */
  public Plan plan() {
    String a = flow.source().describe();
    String b = flow.target().describe();
    try (Admin primary = Admin.create(Clients.admin(flow.source())); Admin dr = Admin.create(Clients.admin(flow.target()))) {
      Optional<FailedOver> failedOver = FailedOver.read(flow);
      Optional<String> at = failedOver.map(f -> f.at().toString());
      List<String> warnings = new ArrayList<>();
      // where the forward flow stood in each of its source partitions: its progress, or where its map ends (a stopped
      // flow's progress is not refreshed, and the broker expires it after offsets.retention.minutes)
      Map<TopicPartition, PartitionOffsetMap> maps = OffsetMapReader.read(flow, Duration.ofMillis(TIMEOUT_MS));
      Map<TopicPartition, Long> replicatedUpTo = new TreeMap<>(Comparator.comparing(TopicPartition::toString));
      maps.forEach((tp, m) -> m.sourceNext().ifPresent(n -> replicatedUpTo.put(tp, n)));
      new ProgressStore(dr, flow).readAllProgress().forEach((t, p) -> naming.sourceTopic(t.topic())
          .ifPresent(s -> replicatedUpTo.put(new TopicPartition(s, t.partition()), p.next())));
      Set<String> topics = new TreeSet<>();
      replicatedUpTo.keySet().forEach(tp -> topics.add(tp.topic()));

      List<DeltaRow> delta = delta(dr, topics, maps, warnings);
      Set<String> onA = new TreeSet<>(topics);
      delta.forEach(d -> onA.add(d.onA().topic()));
      Optional<FailbackState> state = failedOver.flatMap(f -> FailbackState.read(flow).filter(st -> st.after(f.at())));
      long toWrite = state.isPresent() ? bytesLeft(primary, delta, warnings) : delta.stream().mapToLong(DeltaRow::bytes).sum();
      List<ClusterHealth.Check> health = ClusterHealth.check(primary, flow.source(), onA, toWrite, System.currentTimeMillis());
      // once the failback started, what the reverse flow writes into A's topics comes after the divergence: it ends where
      // A's partitions ended then
      Map<TopicPartition, Long> divergenceEnds = state.map(FailbackState::primaryEnds).orElse(Map.of());
      List<DivergenceRow> divergence = ClusterHealth.answered(health) ? divergence(primary, replicatedUpTo, divergenceEnds, warnings) : List.of();
      // groups on the outage's partitions and, under prefix naming, on the copies of A's topics (A.orders) too
      Set<TopicPartition> groupPartitions = new HashSet<>();
      delta.forEach(d -> groupPartitions.add(d.onB()));
      replicatedUpTo.keySet().forEach(tp -> groupPartitions.add(new TopicPartition(naming.targetTopic(tp.topic()), tp.partition())));
      List<GroupRow> groups = groups(dr, groupPartitions, warnings);
      delta.stream().filter(d -> d.expired() > 0).forEach(d -> warnings.add(d.expired() + " offsets written on " + b + " to " + d.onB()
          + " after the flow's last write expired there (retention) before the failback: they cannot be copied back"));
      Optional<String> refused = Optional.empty();
      Optional<FailbackState> finished = failedOver.isPresent() ? Optional.empty()
          : FailbackState.read(flow).filter(st -> st.phase() == FailbackState.Phase.FINISHED);
      if (finished.isPresent()) {
        refused = Optional.of("flow " + flow.name() + " has not failed over since its failback finished at " + finished.get().at()
            + ": there is nothing to fail back (ferry run of the flow replicates it again)");
      } else if (failedOver.isEmpty()) {
        refused = Optional.of("flow " + flow.name() + " has not failed over to " + b + " (no failover is recorded in " + FerryNames.stateTopic(flow.name())
            + "): there is nothing to fail back; run ferry failover first");
      } else if (replicatedUpTo.isEmpty()) {
        refused = Optional.of("flow " + flow.name() + " has neither progress nor an offset map on " + b + ": where its writes ended is not known");
      } else if (flow.naming().mode() == Naming.Mode.IDENTITY && !flow.provenance()) {
        refused = Optional.of("flow " + flow.name() + " writes no provenance headers (provenance: false) under identity naming: the records that came"
            + " from " + a + " cannot be told from the outage's, so failing back could copy them twice");
      } else if (!ClusterHealth.healthy(health)) {
        refused = Optional.of(a + " is not ready to take traffic back: " + String.join("; ",
            health.stream().filter(c -> !c.ok()).map(c -> c.name() + ": " + c.detail()).toList()));
      }
      return new Plan(flow.name(), a, b, at, health, replicatedUpTo, delta, divergence, groups, warnings, refused);
    }
  }

  /**
   * The outage delta on B: for each forward source topic {@code T}, B's topic {@code T} (identity naming: the forward
   * flow's target topic; prefix naming: B's own topic of that name, if producers wrote one), from where the forward
   * flow's writes ended (its offset map's next target offset; a partition it never wrote from its start) to its end.
   */
  private List<DeltaRow> delta(Admin dr, Collection<String> sourceTopics, Map<TopicPartition, PartitionOffsetMap> forwardMaps,
      List<String> warnings) {
    // under prefix naming the forward flow never wrote B's own topics
    Map<TopicPartition, PartitionOffsetMap> maps = flow.naming().mode() == Naming.Mode.IDENTITY ? forwardMaps : Map.of();
    Set<String> onB = KafkaCalls.await(dr.listTopics().names(), TIMEOUT_MS, "list topics on " + flow.target().describe());
    Set<String> wanted = new TreeSet<>(sourceTopics);
    // and every other topic of B that the reverse flow selects: created there during the outage, it is outage data;
    // a topic the reverse flow does not select (no longer in the flow's topics) is not copied back, and said so
    onB.stream().filter(t -> reverse.isReplicable(t) && flow.topics().matches(t)).forEach(wanted::add);
    wanted.stream().filter(t -> onB.contains(t) && !(reverse.isReplicable(t) && flow.topics().matches(t))).forEach(t -> warnings.add("topic " + t
        + " on " + flow.target().describe() + " was replicated by the flow but is no longer selected by it: records written there during the outage"
        + " are not copied back"));
    List<String> present = wanted.stream().filter(t -> onB.contains(t) && reverse.isReplicable(t) && flow.topics().matches(t)).toList();
    Map<String, org.apache.kafka.clients.admin.TopicDescription> described = KafkaCalls.await(dr.describeTopics(present).allTopicNames(), TIMEOUT_MS,
        "describe topics on " + flow.target().describe());
    List<TopicPartition> parts = new ArrayList<>();
    described.values().forEach(d -> d.partitions().forEach(p -> parts.add(new TopicPartition(d.name(), p.partition()))));
    Map<TopicPartition, Long> starts = offsets(dr, parts, OffsetSpec.earliest(), flow.target().describe());
    Map<TopicPartition, Long> ends = offsets(dr, parts, OffsetSpec.latest(), flow.target().describe());
    Map<TopicPartition, Long> sizes = sizes(dr, parts, warnings);
    List<DeltaRow> out = new ArrayList<>();
    for (TopicPartition tp : parts) {
      Uuid id = described.get(tp.topic()).topicId();
      PartitionOffsetMap m = maps.get(tp);
      // a map of another incarnation of B's topic (deleted and created again during the outage) says nothing of this one
      boolean sameTopic = m != null && m.targetNext().isPresent() && !m.incarnation().targetDiffers(new Incarnation(Uuid.ZERO_UUID, id));
      long logStart = starts.getOrDefault(tp, 0L);
      long end = ends.getOrDefault(tp, 0L);
      long from = sameTopic ? m.targetNext().getAsLong() : logStart;
      long start = Math.max(logStart, from);
      long size = sizes.getOrDefault(tp, 0L);
      long bytes = end > logStart ? (long) ((double) size * Math.max(0, end - start) / (end - logStart)) : 0;
      out.add(new DeltaRow(tp, id, new TopicPartition(reverse.targetTopic(tp.topic()), tp.partition()), start, end, bytes,
          Math.max(0, Math.min(logStart, end) - from)));
    }
    out.sort(Comparator.comparing(r -> r.onB().toString()));
    return out;
  }

  /**
   * The bytes still to write on A: the delta's, less what the reverse flow has copied already (a plan made while the
   * failback runs, or by its finish, asks A's disk only for what is left).
   */
  private long bytesLeft(Admin primary, List<DeltaRow> delta, List<String> warnings) {
    Map<TopicPartition, Long> readUpTo = Map.of();
    // A not answering is for its health checks to say; then the whole delta is counted
    if (ClusterProbe.answers(primary, flow.source(), "source", Duration.ofSeconds(5))) {
      try {
        readUpTo = GroupsBack.readUpTo(ReverseFlow.of(flow), primary, delta);
      } catch (FerryException e) {
        warnings.add("the reverse flow's progress not read (the disk check counts the whole delta): " + e.getMessage());
      }
    }
    long left = 0;
    for (DeltaRow d : delta) {
      long at = Math.max(d.start(), readUpTo.getOrDefault(d.onB(), d.start()));
      left += d.offsets() == 0 ? 0 : (long) ((double) d.bytes() * Math.max(0, d.end() - at) / d.offsets());
    }
    return left;
  }

  /** Records on A past the forward flow's progress, per partition. */
  private List<DivergenceRow> divergence(Admin primary, Map<TopicPartition, Long> replicatedUpTo, Map<TopicPartition, Long> endsAtStart,
      List<String> warnings) {
    Map<TopicPartition, Long> ends;
    try {
      ends = offsets(primary, replicatedUpTo.keySet(), OffsetSpec.latest(), flow.source().describe());
    } catch (FerryException e) {
      warnings.add("divergence not known: " + e.getMessage());
      return List.of();
    }
    Map<TopicPartition, long[]> ranges = new TreeMap<>(Comparator.comparing(TopicPartition::toString));
    for (Map.Entry<TopicPartition, Long> e : replicatedUpTo.entrySet()) {
      Long end = ends.get(e.getKey());
      Long atStart = endsAtStart.get(e.getKey());
      if (end != null && atStart != null) {
        end = Math.min(end, atStart);
      }
      if (end != null && end > e.getValue()) {
        ranges.put(e.getKey(), new long[] {e.getValue(), end});
      }
    }
    long total = ranges.values().stream().mapToLong(r -> r[1] - r[0]).sum();
    Map<TopicPartition, Long> counted = Map.of();
    if (total <= COUNT_UP_TO) {
      try {
        counted = count(ranges);
      } catch (FerryException | org.apache.kafka.common.KafkaException e) {
        warnings.add("divergent records not counted (offsets shown): " + e.getMessage());
      }
    }
    List<DivergenceRow> out = new ArrayList<>();
    Map<TopicPartition, Long> n = counted;
    ranges.forEach((tp, r) -> out.add(new DivergenceRow(tp, r[0], r[1], n.getOrDefault(tp, -1L))));
    return out;
  }

  /** A's end offset (read_committed) now of every partition the forward flow replicated: where the divergence ends. */
  public Map<TopicPartition, Long> primaryEnds(Plan plan) {
    try (Admin primary = Admin.create(Clients.admin(flow.source()))) {
      return offsets(primary, plan.replicatedUpTo().keySet(), OffsetSpec.latest(), flow.source().describe());
    }
  }

  /** The committed records (read_committed) in each range of A. */
  private Map<TopicPartition, Long> count(Map<TopicPartition, long[]> ranges) {
    Map<TopicPartition, Long> out = new HashMap<>();
    if (ranges.isEmpty()) {
      return out;
    }
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Clients.readerProperties(flow.source()))) {
      c.assign(ranges.keySet());
      ranges.forEach((tp, r) -> {
        c.seek(tp, r[0]);
        out.put(tp, 0L);
      });
      Set<TopicPartition> open = new HashSet<>(ranges.keySet());
      long deadline = System.nanoTime() + Duration.ofMillis(TIMEOUT_MS).toNanos();
      while (!open.isEmpty()) {
        if (System.nanoTime() > deadline) {
          throw new FerryException(FerryException.Reason.UNREACHABLE, "counting the divergent records on " + flow.source().describe() + " took longer than "
              + TIMEOUT_MS + " ms");
        }
        for (ConsumerRecord<byte[], byte[]> rec : c.poll(Duration.ofMillis(200))) {
          TopicPartition tp = new TopicPartition(rec.topic(), rec.partition());
          if (rec.offset() < ranges.get(tp)[1]) {
            out.merge(tp, 1L, Long::sum);
          }
        }
        for (TopicPartition tp : List.copyOf(open)) {
          if (c.position(tp) >= ranges.get(tp)[1]) {
            open.remove(tp);
            c.pause(List.of(tp));
          }
        }
      }
    }
    return out;
  }

  /** Groups the flow follows with committed offsets on these B partitions, with their members on B. */
  private List<GroupRow> groups(Admin dr, Collection<TopicPartition> partitions, List<String> warnings) {
    if (partitions.isEmpty()) {
      return List.of();
    }
    try {
      return readGroups(dr, partitions);
    } catch (FerryException e) {
      warnings.add("groups not read: " + e.getMessage());
      return List.of();
    }
  }

  /** The groups the flow follows with committed offsets on these B partitions, their positions and members on B. */
  List<GroupRow> groupPositions(Admin dr, Collection<TopicPartition> partitions) {
    return partitions.isEmpty() ? List.of() : readGroups(dr, partitions);
  }

  private List<GroupRow> readGroups(Admin dr, Collection<TopicPartition> partitions) {
    Set<TopicPartition> wanted = Set.copyOf(partitions);
    List<String> names = KafkaCalls.await(dr.listGroups(ListGroupsOptions.forConsumerGroups()).all(), TIMEOUT_MS, "list groups on " + flow.target().describe()).stream()
        .map(g -> g.groupId()).filter(g -> Translation.follows(flow, g)).sorted().toList();
    if (names.isEmpty()) {
      return List.of();
    }
    Map<String, ListConsumerGroupOffsetsSpec> specs = new HashMap<>();
    names.forEach(g -> specs.put(g, new ListConsumerGroupOffsetsSpec()));
    Map<String, Map<TopicPartition, OffsetAndMetadata>> offsets = KafkaCalls.await(dr.listConsumerGroupOffsets(specs).all(), TIMEOUT_MS,
        "list group offsets on " + flow.target().describe());
    Map<String, ConsumerGroupDescription> described = KafkaCalls.await(dr.describeConsumerGroups(names).all(), TIMEOUT_MS,
        "describe groups on " + flow.target().describe());
    List<GroupRow> out = new ArrayList<>();
    for (String g : names) {
      Map<TopicPartition, Long> positions = new TreeMap<>(Comparator.comparing(TopicPartition::toString));
      offsets.getOrDefault(g, Map.of()).forEach((tp, om) -> {
        if (om != null && wanted.contains(tp)) {
          positions.put(tp, om.offset());
        }
      });
      if (!positions.isEmpty()) {
        ConsumerGroupDescription d = described.get(g);
        out.add(new GroupRow(g, d == null ? 0 : d.members().size(), positions));
      }
    }
    return out;
  }

  private static Map<TopicPartition, Long> offsets(Admin admin, Collection<TopicPartition> parts, OffsetSpec spec, String where) {
    if (parts.isEmpty()) {
      return Map.of();
    }
    Map<TopicPartition, OffsetSpec> req = new HashMap<>();
    parts.forEach(p -> req.put(p, spec));
    Map<TopicPartition, Long> out = new HashMap<>();
    KafkaCalls.await(admin.listOffsets(req, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all(), TIMEOUT_MS, "list offsets on " + where)
        .forEach((tp, i) -> out.put(tp, i.offset()));
    return out;
  }

  /** Bytes on disk of each partition (its largest replica), for the disk check; empty where the brokers do not say. */
  private Map<TopicPartition, Long> sizes(Admin dr, Collection<TopicPartition> parts, List<String> warnings) {
    Map<TopicPartition, Long> out = new HashMap<>();
    if (parts.isEmpty()) {
      return out;
    }
    try {
      Set<Integer> brokers = new TreeSet<>();
      KafkaCalls.await(dr.describeCluster().nodes(), TIMEOUT_MS, "describe " + flow.target().describe()).forEach(n -> brokers.add(n.id()));
      KafkaCalls.await(dr.describeLogDirs(brokers).allDescriptions(), TIMEOUT_MS, "describe log dirs of " + flow.target().describe())
          .values().forEach(dirs -> dirs.values().forEach(d -> {
            Map<TopicPartition, ReplicaInfo> replicas = d.replicaInfos();
            parts.forEach(tp -> {
              ReplicaInfo r = replicas.get(tp);
              if (r != null) {
                out.merge(tp, r.size(), Math::max);
              }
            });
          }));
    } catch (FerryException e) {
      warnings.add("sizes of the outage's partitions not known (the disk check counts 0 bytes to write): " + e.getMessage());
    }
    return out;
  }
}
