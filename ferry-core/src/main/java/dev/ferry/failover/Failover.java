package dev.ferry.failover;

import dev.ferry.FerryException;
import dev.ferry.client.Checkpoint;
import dev.ferry.client.FerryCheckpoints;
import dev.ferry.config.FlowConfig;
import dev.ferry.groups.Checkpointer;
import dev.ferry.groups.Translation;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.ClusterProbe;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.kafka.ProgressStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fails a flow's consumer groups over to the target: checks the target is healthy, stops the flow's replication
 * (its shard topic is deleted, so every process commits and releases its shards, then every shard's transactional.id
 * is fenced), takes a final checkpoint from the source if it still answers (else uses the last checkpoints), and
 * commits the exact translations to every selected group that has no members on the target.
 */
public final class Failover {
  private static final Logger LOG = LoggerFactory.getLogger(Failover.class);
  private static final long TIMEOUT_MS = 30_000;
  /** How long running processes get to commit what they hold and release their shards before they are fenced. */
  private static final Duration RELEASE_DEADLINE = Duration.ofSeconds(60);
  /** The same with the source gone: a process stuck in calls to it does not hold the failover up. */
  private static final Duration RELEASE_DEADLINE_SOURCE_DOWN = Duration.ofSeconds(10);

  /** What the failover did with one group's partition. */
  public enum Outcome {
    COMMITTED("committed"),
    WOULD_COMMIT("would commit"),
    ALREADY_THERE("already there"),
    REFUSED_ACTIVE("refused: group active on target"),
    FAILED("failed: offsets not committed");

    private final String label;

    Outcome(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** One group and partition after the failover. {@code lost}: records consumed on the source that never reached the target. */
  public record Row(String group, TopicPartition target, long targetOffset, long lost, Outcome outcome) {}

  /**
   * The outcome. {@code refused} is set when nothing was done; {@code activeGroups} were left alone; the commit of
   * {@code failedGroups} failed (with the reason).
   */
  public record Report(boolean dryRun, Optional<String> refused, String replication, String checkpointSource, List<Row> rows,
      Map<String, String> activeGroups, Map<String, String> failedGroups) {
    public long lost() {
      return rows.stream().mapToLong(Row::lost).sum();
    }
  }

  private final FlowConfig flow;
  private final Pattern groups;
  private final boolean dryRun;
  private final boolean forceRewind;
  /** Groups the final checkpoint took from their last checkpoints (the source did not list them or their offsets). */
  private Set<String> lastCheckpointGroups = Set.of();

  public Failover(FlowConfig flow, Optional<Pattern> groups, boolean dryRun, boolean forceRewind) {
    this.flow = flow;
    this.groups = groups.orElse(null);
    this.dryRun = dryRun;
    this.forceRewind = forceRewind;
  }

  public Report run() {
    try (Admin target = Admin.create(Clients.admin(flow.target())); Admin source = Admin.create(Clients.admin(flow.source()))) {
      ClusterProbe.probe(target, flow.target(), "target", Duration.ofSeconds(10));
      Optional<String> unhealthy = checkTargetHealth(target);
      if (unhealthy.isPresent()) {
        return new Report(dryRun, unhealthy, "not touched", "none", List.of(), Map.of(), Map.of());
      }
      // asked first: with the source gone, running processes may be stuck in calls to it, and what they hold is fenced
      // anyway, so they are not waited for long
      boolean sourceUp = sourceAnswers(source);
      String replication = dryRun ? ReplicationStop.preview(flow, target) : ReplicationStop.stop(flow, target, sourceUp ? RELEASE_DEADLINE : RELEASE_DEADLINE_SOURCE_DOWN);
      try (Checkpointer checkpointer = new Checkpointer(flow, source, target)) {
        List<Checkpoint> checkpoints;
        String from;
        Optional<List<Checkpoint>> fresh = sourceUp ? finalCheckpoint(checkpointer) : Optional.empty();
        if (fresh.isPresent()) {
          checkpoints = fresh.get();
          if (!dryRun) {
            checkpointer.write(checkpoints);
          }
          from = "final checkpoint from " + flow.source().describe()
              + (lastCheckpointGroups.isEmpty() ? "" : "; last checkpoints for groups " + lastCheckpointGroups + " (unreadable or not listed there)");
        } else {
          checkpoints = lastCheckpoints(g -> true);
          from = "last checkpoints (source " + flow.source().describe() + (sourceUp ? " answers but its groups cannot be read" : " does not answer") + ")";
        }
        Checkpointer.SyncResult sync = checkpointer.commitToTarget(checkpoints, forceRewind, dryRun);
        List<Row> rows = new ArrayList<>();
        for (Checkpoint c : checkpoints) {
          Outcome outcome;
          if (sync.activeOnTarget().containsKey(c.group())) {
            outcome = Outcome.REFUSED_ACTIVE;
          } else if (sync.failed().containsKey(c.group())) {
            outcome = Outcome.FAILED;
          } else if (sync.committed().getOrDefault(c.group(), Map.of()).containsKey(c.target())) {
            outcome = dryRun ? Outcome.WOULD_COMMIT : Outcome.COMMITTED;
          } else {
            outcome = Outcome.ALREADY_THERE;
          }
          rows.add(new Row(c.group(), c.target(), c.targetOffset(), c.recordsAhead(), outcome));
        }
        rows.sort(java.util.Comparator.comparing(Row::group).thenComparing(r -> r.target().toString()));
        return new Report(dryRun, Optional.empty(), replication, from, rows, sync.activeOnTarget(), sync.failed());
      }
    }
  }

  /**
   * The translation of the source's committed offsets now; empty when they cannot be read (the source answers but
   * fails the group listing or the offset fetch): the last checkpoints are used then, as with a dead source.
   */
  private Optional<List<Checkpoint>> finalCheckpoint(Checkpointer checkpointer) {
    try {
      List<String> listed = selected(checkpointer.followedGroups());
      List<Checkpoint> fresh = new ArrayList<>(checkpointer.translate(checkpointer.sourceOffsets(listed)));
      Set<String> unreadable = checkpointer.unreadableGroups().keySet();
      if (!unreadable.isEmpty()) {
        LOG.atWarn().addKeyValue("flow", flow.name()).log("the offsets of groups {} cannot be read on the source: using their last checkpoints",
            new java.util.TreeSet<>(unreadable));
      }
      // A group with checkpoints that the source does not list (Ferry's user may not describe it there, or it was
      // deleted there) is not left behind: it moves to its last checkpoint, and the log says so.
      Set<String> notListed = new java.util.TreeSet<>();
      List<Checkpoint> last = new ArrayList<>(lastCheckpoints(g -> unreadable.contains(g) || !listed.contains(g) && notListed.add(g)));
      // a group deleted on the source stops being checkpointed: an old last checkpoint is not brought back to life
      long now = System.currentTimeMillis();
      long maxAge = Math.max(Duration.ofMinutes(5).toMillis(), 10 * flow.checkpointInterval().toMillis());
      Map<String, Long> newest = new java.util.HashMap<>();
      last.forEach(c -> newest.merge(c.group(), c.timestamp(), Math::max));
      Set<String> stale = new java.util.TreeSet<>();
      newest.forEach((g, at) -> {
        if (notListed.contains(g) && now - at > maxAge) {
          stale.add(g);
        }
      });
      last.removeIf(c -> stale.contains(c.group()));
      notListed.removeAll(stale);
      if (!notListed.isEmpty()) {
        LOG.atWarn().addKeyValue("flow", flow.name()).log("groups {} have checkpoints but are not listed on the source (no Describe permission on"
            + " them there, or deleted there): using their last checkpoints", notListed);
      }
      if (!stale.isEmpty()) {
        LOG.atWarn().addKeyValue("flow", flow.name()).log("groups {} are not listed on the source and their last checkpoints are older than {} s"
            + " (deleted there?): not moved", stale, maxAge / 1000);
      }
      fresh.addAll(last);
      Set<String> fallback = new java.util.TreeSet<>();
      last.forEach(c -> fallback.add(c.group()));
      lastCheckpointGroups = fallback;
      return Optional.of(fresh);
    } catch (RuntimeException e) {
      LOG.atWarn().addKeyValue("flow", flow.name()).log("cannot read the source's consumer groups ({}): using the last checkpoints", e.getMessage());
      return Optional.empty();
    }
  }

  private List<String> selected(List<String> followed) {
    return groups == null ? followed : followed.stream().filter(g -> groups.matcher(g).matches()).toList();
  }

  /** Brokers answer and no replicated topic has an offline or under-replicated partition. */
  private Optional<String> checkTargetHealth(Admin target) {
    Set<String> topics = new HashSet<>(replicatedTargetTopics(target));
    if (topics.isEmpty()) {
      return Optional.empty();
    }
    Map<String, TopicDescription> d = KafkaCalls.await(target.describeTopics(topics).allTopicNames(), TIMEOUT_MS,
        "describe replicated topics on " + flow.target().describe());
    for (TopicDescription t : d.values()) {
      for (TopicPartitionInfo p : t.partitions()) {
        if (p.leader() == null || p.leader().isEmpty()) {
          return Optional.of("target " + flow.target().describe() + " is not healthy: partition " + t.name() + "-" + p.partition() + " is offline");
        }
        if (p.isr().size() < p.replicas().size()) {
          return Optional.of("target " + flow.target().describe() + " is not healthy: partition " + t.name() + "-" + p.partition()
              + " is under-replicated (" + p.isr().size() + " of " + p.replicas().size() + " replicas in sync)");
        }
      }
    }
    return Optional.empty();
  }

  private Set<String> replicatedTargetTopics(Admin target) {
    return new ProgressStore(target, flow).topics();
  }

  private boolean sourceAnswers(Admin source) {
    boolean up = ClusterProbe.answers(source, flow.source(), "source", Duration.ofSeconds(5));
    if (!up) {
      LOG.atWarn().addKeyValue("flow", flow.name()).log("source does not answer: using the last checkpoints");
    }
    return up;
  }

  /** The last checkpoints of the selected groups that {@code wanted} accepts. */
  private List<Checkpoint> lastCheckpoints(java.util.function.Predicate<String> wanted) {
    Map<String, Object> client = Clients.asMap(flow.target());
    List<Checkpoint> out = new ArrayList<>();
    // one read of the checkpoint topic for every group, not one per group
    FerryCheckpoints.readAll(client, flow.name(), Duration.ofSeconds(30)).forEach((group, checkpoints) -> {
      if (Translation.follows(flow, group) && (groups == null || groups.matcher(group).matches()) && wanted.test(group)) {
        out.addAll(checkpoints.values());
      }
    });
    return out;
  }
}
