package dev.ferry.groups;

import dev.ferry.FerryException;
import dev.ferry.client.Checkpoint;
import dev.ferry.client.CheckpointCodec;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.offsets.OffsetMapIndex;
import dev.ferry.offsets.PartitionOffsetMap;
import dev.ferry.naming.TopicNaming;
import dev.ferry.kafka.Incarnation;
import dev.ferry.kafka.Incarnations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints the consumer groups a flow follows: reads their committed offsets on the source (one listing, one
 * batched offset fetch for all groups), translates them exactly with the live offset map, writes the checkpoints that
 * changed to {@code __ferry.<flow>.checkpoints} on the target and, when asked, commits the translations to the same
 * groups on the target where those have no active members and the move is forward.
 */
public final class Checkpointer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);
  private static final long TIMEOUT_MS = 30_000;
  /** How long a round waits for groups' committed offsets: a group not answered by then is unreadable for the round. */
  private static final long GROUP_OFFSETS_TIMEOUT_MS = 10_000;
  /**
   * Offset commits are one request per group and cost the group coordinator about a millisecond each: a round syncs at
   * most this many groups (the ones furthest behind first) so it stays well under its interval; the rest follow in the
   * next rounds. Checkpoints are written for every group every round; failover commits every group at once.
   */
  static final int MAX_SYNCS_PER_ROUND = 500;

  private final FlowConfig flow;
  private final Admin source;
  private final Admin target;
  private final OffsetMapIndex index;
  private final ProvenanceSearch search;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Set<String> reportedActive = ConcurrentHashMap.newKeySet();
  private final Set<String> reportedFailed = ConcurrentHashMap.newKeySet();
  private volatile Map<String, String> unreadable = Map.of();

  public Checkpointer(FlowConfig flow, Admin source, Admin target) {
    this.flow = flow;
    this.source = source;
    this.target = target;
    this.index = new OffsetMapIndex(flow);
    this.search = new ProvenanceSearch(flow);
    KafkaProducer<byte[], byte[]> p = null;
    try {
      p = new KafkaProducer<>(Clients.checkpointProducer(flow.target(), FerryNames.checkpointClientId(flow.name())));
      // connect and load the offset map now, at start, rather than in the first round
      p.partitionsFor(FerryNames.checkpointTopic(flow.name()));
      index.catchUp(Duration.ofSeconds(30));
    } catch (RuntimeException e) {
      if (p != null) {
        p.close(Duration.ZERO);
      }
      index.close();
      search.close();
      throw e;
    }
    this.producer = p;
  }

  /** The flow's offset maps as committed now, read on from where the last call left (by source partition). */
  public Map<TopicPartition, PartitionOffsetMap> maps(Duration timeout) {
    return index.catchUp(timeout);
  }

  /** The groups on the source that the flow follows. */
  public List<String> followedGroups() {
    return KafkaCalls.await(source.listGroups(ListGroupsOptions.forConsumerGroups()).all(), TIMEOUT_MS,
            "list consumer groups on " + flow.source().describe())
        .stream().map(GroupListing::groupId).filter(g -> Translation.follows(flow, g)).sorted().toList();
  }

  /**
   * Committed source offsets of {@code groups}, in one batched fetch; a group that cannot be read is left out, logged
   * once, and listed by {@link #unreadableGroups()} until it can be read again.
   */
  public Map<String, Map<TopicPartition, OffsetAndMetadata>> sourceOffsets(List<String> groups) {
    Map<String, String> failed = new HashMap<>();
    Map<String, Map<TopicPartition, OffsetAndMetadata>> out = committedOffsets(source, groups, flow.source().describe(), failed);
    failed.forEach((g, why) -> {
      if (!why.equals(unreadable.get(g))) {
        LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("group", g).log("cannot read the group's offsets on the source, checkpointing the"
            + " others: {}", why);
      }
    });
    unreadable = Map.copyOf(failed);
    return out;
  }

  /** Groups whose committed offsets could not be read on the source in the last fetch, with the reason. */
  public Map<String, String> unreadableGroups() {
    return unreadable;
  }

  /** Translates with the offset map as committed on the target right now. */
  public List<Checkpoint> translate(Map<String, Map<TopicPartition, OffsetAndMetadata>> offsets) {
    Map<TopicPartition, PartitionOffsetMap> maps = index.catchUp(Duration.ofSeconds(30));
    Map<String, String> replicated = replicatedTopics(offsets);
    Optional<Map<String, Incarnation>> incarnations = incarnations(replicated);
    long now = System.currentTimeMillis();
    List<Checkpoint> out = new ArrayList<>();
    offsets.forEach((g, o) -> {
      Map<TopicPartition, OffsetAndMetadata> existing = new HashMap<>(o);
      // a topic that is gone on either side (deleted, not created again yet) has nothing to translate to
      incarnations.ifPresent(ids -> existing.keySet().removeIf(tp -> replicated.containsKey(tp.topic()) && !ids.containsKey(tp.topic())));
      out.addAll(Translation.translate(flow, maps, incarnations.orElse(Map.of()), this::settle, g, existing, now));
    });
    return out;
  }

  /** The replicated source topics among these offsets, with their target topics. */
  private Map<String, String> replicatedTopics(Map<String, Map<TopicPartition, OffsetAndMetadata>> offsets) {
    TopicNaming naming = TopicNaming.of(flow);
    Map<String, String> targetOf = new HashMap<>();
    offsets.values().forEach(o -> o.keySet().forEach(tp -> {
      if (flow.topics().matches(tp.topic()) && naming.isReplicable(tp.topic())) {
        targetOf.put(tp.topic(), naming.targetTopic(tp.topic()));
      }
    }));
    return targetOf;
  }

  /**
   * The incarnations now of these replicated topics (source to target topic); empty when they cannot be asked (the maps
   * are then used as they are, a topic created again since the last round being the only risk, until the next round).
   */
  private Optional<Map<String, Incarnation>> incarnations(Map<String, String> targetOf) {
    if (targetOf.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Incarnations.current(source, target, targetOf).get(TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      LOG.atInfo().addKeyValue("flow", flow.name()).log("cannot ask the topic ids of the replicated topics ({}); translating without", e.toString());
      return Optional.empty();
    }
  }

  /**
   * Settles a translation older than the map's exact window from the target's records; when they cannot be read now,
   * the lower bound (a few records read again, none skipped), settled exactly in a later round.
   */
  private long settle(TopicPartition source, TopicPartition target, int generation, long position, PartitionOffsetMap.TargetBounds bounds) {
    try {
      return search.settle(source, target, generation, position, bounds);
    } catch (RuntimeException e) {
      LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("partition", source.toString())
          .log("cannot settle the translation of {}@{} from {} ({}): using its lower bound for now", source, position, target, e.getMessage());
      return bounds.low();
    }
  }

  /** One round: list, fetch, translate, write what changed, sync inactive target groups (when {@code sync}). */
  public CheckpointRound round(boolean sync) {
    long started = System.nanoTime();
    List<String> groups = followedGroups();
    List<Checkpoint> checkpoints = translate(sourceOffsets(groups));
    write(checkpoints);
    SyncResult r = sync ? commitToTarget(checkpoints, false, false, MAX_SYNCS_PER_ROUND) : new SyncResult(Map.of(), Map.of(), Map.of(), Map.of());
    return new CheckpointRound(Instant.now(), Duration.ofNanos(System.nanoTime() - started), groups.size(), checkpoints, r.synced(),
        r.activeOnTarget(), r.failed(), unreadable);
  }

  /**
   * Writes the checkpoints, every round even when unchanged: the record time is the checkpoint's age that status and
   * failover report, so it must say when the translation was last confirmed.
   */
  public void write(List<Checkpoint> checkpoints) {
    String topic = FerryNames.checkpointTopic(flow.name());
    int partitions = checkpoints.isEmpty() ? 1 : producer.partitionsFor(topic).size();
    for (Checkpoint c : checkpoints) {
      producer.send(new ProducerRecord<>(topic, CheckpointCodec.partition(c.group(), partitions), c.timestamp(), CheckpointCodec.key(c.group(), c.source()),
          CheckpointCodec.value(c)));
    }
    if (!checkpoints.isEmpty()) {
      producer.flush();
    }
  }

  /**
   * What a commit of translated offsets to the target did, per group: synced (with how many partitions), left alone
   * because it has members on the target, or failed for another reason (not authorized, no answer: retried next round).
   */
  public record SyncResult(Map<String, Integer> synced, Map<String, String> activeOnTarget, Map<String, String> failed,
      Map<String, Map<TopicPartition, Long>> committed) {}

  /**
   * Commits translated positions to the same groups on the target. A group with members on the target is never
   * touched (reported instead); a group's offset only moves forward unless {@code forceRewind}. With {@code dryRun}
   * nothing is changed and the result says what would be committed.
   */
  public SyncResult commitToTarget(List<Checkpoint> checkpoints, boolean forceRewind, boolean dryRun) {
    return commitToTarget(checkpoints, forceRewind, dryRun, Integer.MAX_VALUE);
  }

  private SyncResult commitToTarget(List<Checkpoint> checkpoints, boolean forceRewind, boolean dryRun, int maxGroups) {
    Map<String, Map<TopicPartition, Long>> wanted = new HashMap<>();
    for (Checkpoint c : checkpoints) {
      wanted.computeIfAbsent(c.group(), g -> new HashMap<>()).put(c.target(), c.targetOffset());
    }
    if (wanted.isEmpty()) {
      return new SyncResult(Map.of(), Map.of(), Map.of(), Map.of());
    }
    // Kafka itself refuses to alter the offsets of a group with members, atomically; the groups it refuses are then
    // described to say why. (In a dry run nothing is altered, so every group is described up front.)
    Map<String, String> active = dryRun ? activeOnTarget(wanted.keySet()) : new ConcurrentHashMap<>();
    List<String> candidates = wanted.keySet().stream().filter(g -> !active.containsKey(g)).toList();
    Map<String, String> unreadableOnTarget = new HashMap<>();
    Map<String, Map<TopicPartition, OffsetAndMetadata>> current = committedOffsets(target, candidates, flow.target().describe(), unreadableOnTarget);
    candidates = candidates.stream().filter(g -> !unreadableOnTarget.containsKey(g)).toList();
    Map<String, Map<TopicPartition, Long>> moves = SyncPlan.moves(candidates, wanted, current, forceRewind, maxGroups);
    Map<String, Integer> synced = new HashMap<>();
    Map<String, String> failed = new HashMap<>(unreadableOnTarget);
    if (!dryRun) {
      Map<String, KafkaFuture<Void>> results = new HashMap<>();
      moves.forEach((g, m) -> results.put(g, target.alterConsumerGroupOffsets(g,
          m.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> new OffsetAndMetadata(e.getValue())))).all()));
      Map<String, String> refused = new HashMap<>();
      results.forEach((g, f) -> {
        try {
          KafkaCalls.await(f, TIMEOUT_MS, "commit translated offsets of group " + g + " on " + flow.target().describe());
          synced.put(g, moves.get(g).size());
        } catch (FerryException e) {
          refused.put(g, e.getMessage());
        }
      });
      if (!refused.isEmpty()) {
        Map<String, String> withMembers = activeOnTarget(refused.keySet());
        active.putAll(withMembers);
        refused.forEach((g, why) -> {
          if (!withMembers.containsKey(g)) {
            failed.put(g, why); // refused for another reason: retried next round
          }
        });
        refused.keySet().forEach(moves::remove);
      }
    } else {
      moves.forEach((g, m) -> synced.put(g, m.size()));
    }
    active.forEach((g, why) -> {
      if (reportedActive.add(g)) {
        LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("group", g).log("not syncing offsets: {}", why);
      }
    });
    reportedActive.retainAll(active.keySet());
    failed.forEach((g, why) -> {
      if (reportedFailed.add(g)) {
        LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("group", g).log("syncing offsets failed, retrying: {}", why);
      }
    });
    reportedFailed.retainAll(failed.keySet());
    return new SyncResult(synced, active, failed, moves);
  }

  /** Groups with members on the target, with the reason, in one batched describe. */
  private Map<String, String> activeOnTarget(Set<String> groups) {
    Map<String, String> active = new ConcurrentHashMap<>();
    target.describeConsumerGroups(groups).describedGroups().forEach((g, f) -> {
      try {
        ConsumerGroupDescription d = KafkaCalls.await(f, TIMEOUT_MS, "describe group " + g + " on " + flow.target().describe());
        if (!d.members().isEmpty()) {
          active.put(g, "group " + g + " has " + d.members().size() + " active member(s) on " + flow.target().describe()
              + " (state " + d.groupState() + "); its consumers resume exactly with ferry-client's ResumeFromCheckpoints");
        }
      } catch (FerryException e) {
        if (!(e.getCause() instanceof GroupIdNotFoundException)) {
          throw e;
        }
      }
    });
    return active;
  }

  /**
   * Committed offsets of {@code groups}, fetched in one batched call and awaited group by group: a group that cannot be
   * read (no permission, no answer) goes to {@code failed} with the reason, the others are returned.
   *
   * <p>The offsets are the committed ones, without waiting for transactions that are committing new ones (not
   * {@code requireStable}): a transactional application's records whose processing is not committed yet are to be read
   * again anyway, and the next round sees what the transaction committed. Asking for stable offsets would make an open
   * transaction hold the round up, and the admin client leaves a partition it could not answer for out of the result
   * without an error, so the group would silently keep its last checkpoint there.
   */
  private static Map<String, Map<TopicPartition, OffsetAndMetadata>> committedOffsets(Admin admin, List<String> groups, String where,
      Map<String, String> failed) {
    if (groups.isEmpty()) {
      return Map.of();
    }
    Map<String, ListConsumerGroupOffsetsSpec> specs = new HashMap<>();
    groups.forEach(g -> specs.put(g, new ListConsumerGroupOffsetsSpec()));
    var result = admin.listConsumerGroupOffsets(specs, new ListConsumerGroupOffsetsOptions().requireStable(false));
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GROUP_OFFSETS_TIMEOUT_MS);
    Map<String, Map<TopicPartition, OffsetAndMetadata>> out = new HashMap<>();
    for (String g : groups) {
      long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
      try {
        out.put(g, KafkaCalls.await(result.partitionsToOffsetAndMetadata(g), left, "fetch committed offsets of group " + g + " on " + where));
      } catch (FerryException e) {
        failed.put(g, e.getMessage());
      }
    }
    return out;
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
    index.close();
    search.close();
  }
}
