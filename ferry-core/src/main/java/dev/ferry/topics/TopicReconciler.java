package dev.ferry.topics;

import dev.ferry.FerryException;
import dev.ferry.Problem;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.OnRecreate;
import dev.ferry.kafka.AdminTopics;
import dev.ferry.kafka.Incarnation;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.kafka.TopicLeaders;
import dev.ferry.naming.TopicNaming;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the target's topics in step with the selected source topics: creates missing target topics (source partition
 * count, the source's non-default configs), adds partitions when a source topic grows, and refuses target topics that
 * would corrupt the copy (fewer partitions than the source that Ferry did not create, another cleanup policy).
 *
 * <p>Each {@link #reconcile()} returns the source partitions that are ready to replicate; topics with a problem are
 * left out and their problem is reported, so one bad topic never stops the others.
 */
public final class TopicReconciler {
  private static final Logger LOG = LoggerFactory.getLogger(TopicReconciler.class);
  private static final long TIMEOUT_MS = 30_000;

  private final FlowConfig flow;
  private final TopicNaming naming;
  private final Admin source;
  private final Admin target;
  private final Map<String, Problem> problems = new ConcurrentHashMap<>();
  /** Target topics this flow created or has replicated before: Ferry may add partitions to these. */
  private final Set<String> owned = new HashSet<>();
  /** Partition count of target topics already checked, by target topic. */
  private final Map<String, Integer> checkedTargets = new HashMap<>();
  /** The topic id of every target topic checked: a new id is a topic created again. */
  private final Map<String, Uuid> checkedIds = new HashMap<>();
  /** Problems from calls that failed (not authorized, ...): cleared at the next round, which tries again. */
  private final Map<String, Problem> retryable = new HashMap<>();
  /** Last round's retryable problems: the same one again is not logged again. */
  private Map<String, Problem> previousRetryable = Map.of();
  /** Partition count of every selected source topic as of the last round. */
  private volatile Map<String, Integer> selectedPartitionCounts = Map.of();
  private final ConfigPolicy policy;
  private final java.util.function.BooleanSupplier configSyncDuty;
  /** The ACL sync, when the flow has it on; it runs with the config sync. */
  private final Optional<AclSync> acls;
  /** Configs a target topic's brokers refused to set, by target topic: left alone from then on (logged once). */
  private final Map<String, Set<String>> refusedKeys = new HashMap<>();
  /** Replication factor of each checked target topic (for the rules of its configs). */
  private final Map<String, Integer> replicationFactors = new HashMap<>();
  /** Config rules broken, already logged. */
  private final Set<String> reportedViolations = new HashSet<>();
  /** The last failure to sync each target topic's configs, already logged. */
  private final Map<String, String> configFailures = new HashMap<>();
  /** Recreated source topics stopped by the on-recreate policy {@code stop}, with their problem. */
  private final Map<String, Problem> stopped = new HashMap<>();
  /** The target topic id of each stopped topic when it stopped: another one (or none) means it was re-synced. */
  private final Map<String, Uuid> stoppedTargetIds = new HashMap<>();
  /** Topics the selection names that the source did not list, already warned of. */
  private final Set<String> notFound = new HashSet<>();
  /** The source topic ids the committed progress holds, by topic, until the topic is first seen. */
  private final Map<String, Set<Uuid>> seeds = new HashMap<>();
  /** The target topic ids the committed progress holds, by source topic: the target a re-sync at start may delete. */
  private final Map<String, Set<Uuid>> seedTargets = new HashMap<>();
  /** The topic id of every selected source topic seen: a new id is a topic deleted and created again. */
  private final Map<String, Uuid> sourceIds = new HashMap<>();
  /** The incarnations of the ready topics as of the last round, by source topic. */
  private volatile Map<String, Incarnation> incarnations = Map.of();

  public TopicReconciler(FlowConfig flow, Admin source, Admin target, Collection<String> ownedTargetTopics) {
    this(flow, source, target, ownedTargetTopics, Map.of());
  }

  /**
   * @param ownedTargetTopics target topics the flow replicated into before (it may add partitions to them)
   * @param replicatedIds the source topic ids the flow last replicated each source topic's partitions as (from their
   *     committed progress): a topic listed with none of them was deleted and created again while no Ferry ran
   */
  public TopicReconciler(FlowConfig flow, Admin source, Admin target, Collection<String> ownedTargetTopics,
      Map<String, Set<Incarnation>> replicatedIds) {
    this(flow, source, target, ownedTargetTopics, replicatedIds, () -> true);
  }

  /**
   * @param configSyncDuty whether this process keeps the target topics' configs in step now (one process of a flow
   *     does: the owner of shard 0)
   */
  public TopicReconciler(FlowConfig flow, Admin source, Admin target, Collection<String> ownedTargetTopics,
      Map<String, Set<Incarnation>> replicatedIds, java.util.function.BooleanSupplier configSyncDuty) {
    this.configSyncDuty = configSyncDuty;
    this.acls = flow.syncAcls() ? Optional.of(new AclSync(flow)) : Optional.empty();
    this.flow = flow;
    this.naming = TopicNaming.of(flow);
    this.source = source;
    this.target = target;
    this.owned.addAll(ownedTargetTopics);
    this.policy = new ConfigPolicy(flow.excludeConfigs(), flow.topicConfigs());
    replicatedIds.forEach((t, ids) -> {
      seeds.put(t, ids.stream().map(Incarnation::source).collect(Collectors.toSet()));
      seedTargets.put(t, ids.stream().map(Incarnation::target).filter(id -> !Uuid.ZERO_UUID.equals(id)).collect(Collectors.toSet()));
    });
  }

  /** Source topics that cannot be replicated now, with the reason. */
  public Map<String, Problem> problems() {
    return new TreeMap<>(problems);
  }

  /**
   * The incarnations (source and target topic id) of the topics whose partitions the last round found ready, by source
   * topic.
   */
  public Map<String, Incarnation> incarnations() {
    return incarnations;
  }

  /** Partition count of every selected source topic, as of the last round. */
  public Map<String, Integer> selectedTopics() {
    return selectedPartitionCounts;
  }

  /** One round: list, create, expand, check. Returns source partition to target partition for every ready one. */
  public Map<TopicPartition, TopicPartition> reconcile() {
    String src = flow.source().describe();
    String tgt = flow.target().describe();
    previousRetryable = new HashMap<>(retryable);
    retryable.keySet().forEach(problems::remove);
    retryable.clear();
    Set<String> selected =
        KafkaCalls.await(source.listTopics(new ListTopicsOptions().listInternal(false)).names(), TIMEOUT_MS, "list topics on " + src)
            .stream()
            .filter(t -> naming.isReplicable(t) && flow.topics().matches(t))
            .collect(Collectors.toSet());
    problems.keySet().retainAll(selected);
    warnOfNamedTopicsNotFound(selected);
    if (selected.isEmpty()) {
      selectedPartitionCounts = Map.of();
      incarnations = Map.of();
      return Map.of();
    }
    Map<String, String> failed = new HashMap<>();
    Map<String, TopicDescription> sourceTopics = AdminTopics.describe(source, selected, "describe topics on " + src, failed);
    reportFailures(failed, false);
    Map<String, Integer> counts = new HashMap<>();
    sourceTopics.values().forEach(d -> counts.put(d.name(), d.partitions().size()));
    selectedPartitionCounts = Map.copyOf(counts);
    Map<String, Uuid> targetIds = new HashMap<>();
    KafkaCalls.await(target.listTopics(new ListTopicsOptions().listInternal(false)).listings(), TIMEOUT_MS, "list topics on " + tgt)
        .forEach(l -> targetIds.put(l.name(), l.topicId()));
    Set<String> targetNames = targetIds.keySet(); // a view: a topic deleted below for a re-sync is left out
    // a target topic deleted and created again (by hand, or with fewer partitions) is checked again, like a new one
    checkedIds.forEach((tt, id) -> {
      Uuid now = targetIds.get(tt);
      if (now != null && !now.equals(id) && checkedTargets.remove(tt) != null) {
        LOG.atInfo().addKeyValue("flow", flow.name()).addKeyValue("topic", tt).log("target topic was created again (new topic id); checking it again");
      }
    });
    checkedIds.keySet().retainAll(targetIds.keySet());
    Set<String> resyncing = new HashSet<>();
    // Ids are remembered for topics that are not listed or not described in a round (deleted a while before they are
    // created again, or a call that failed): the topic that comes back is still told apart.
    Map<TopicDescription, Uuid> recreatedNow = new java.util.LinkedHashMap<>();
    for (TopicDescription d : sourceTopics.values()) {
      if (d.topicId() == null || Uuid.ZERO_UUID.equals(d.topicId())) {
        continue;
      }
      Uuid before = sourceIds.get(d.name());
      Set<Uuid> seeded = before == null ? seeds.remove(d.name()) : null;
      if (seeded != null && !seeded.isEmpty()) {
        before = seeded.contains(d.topicId()) ? d.topicId() : seeded.iterator().next(); // partly taken up already: not new
      }
      if (before == null || before.equals(d.topicId())) {
        sourceIds.put(d.name(), d.topicId());
      } else {
        recreatedNow.put(d, before);
      }
    }
    Map<TopicDescription, Uuid> alreadyStopped = new java.util.LinkedHashMap<>();
    recreatedNow.entrySet().removeIf(e -> stopped.containsKey(e.getKey().name()) && alreadyStopped.put(e.getKey(), e.getValue()) == null);
    alreadyStopped.forEach((d, before) -> recreated(d, before, targetIds)); // stays stopped until its target topic is re-synced
    if (flow.onRecreate() == OnRecreate.RESYNC && recreatedNow.size() > 1) {
      // several topics recreated at once looks like a rebuilt or another source cluster: deleting their copies would
      // destroy the only other copy of their history, so an operator decides
      String names = recreatedNow.keySet().stream().map(TopicDescription::name).sorted().toList().toString();
      recreatedNow.forEach((d, before) -> {
        stoppedTargetIds.putIfAbsent(d.name(), targetIds.get(naming.targetTopic(d.name())));
        stopped.put(d.name(), new Problem(Problem.Reason.TOPIC_RECREATED, recreatedNow.size() + " source topics " + names + " on "
            + flow.source().describe() + " were deleted and created again at once (a rebuilt or another source cluster?); not re-synced"
            + " automatically: replication of " + d.name() + " stopped (check the source, then run ferry resync --topic " + d.name() + ")"));
      });
    } else {
      recreatedNow.forEach((d, before) -> {
        if (recreated(d, before, targetIds)) {
          resyncing.add(d.name());
        }
      });
    }
    stopped.forEach(this::report); // a stopped topic's target is neither created, checked nor grown

    List<String> toCreate = new ArrayList<>();
    List<String> toCheck = new ArrayList<>();
    for (String t : sourceTopics.keySet()) {
      String tt = naming.targetTopic(t);
      if (stopped.containsKey(t)) {
        continue;
      }
      if (!targetNames.contains(tt)) {
        toCreate.add(t);
        checkedTargets.remove(tt);
      } else if (!checkedTargets.containsKey(tt)) {
        toCheck.add(t);
      }
    }
    create(toCreate, sourceTopics);
    toCheck.addAll(toCreate);
    check(toCheck, sourceTopics);
    check(expand(sourceTopics), sourceTopics);
    if (configSyncDuty.getAsBoolean()) {
      try {
        syncConfigs(sourceTopics.keySet().stream().filter(t -> checkedTargets.containsKey(naming.targetTopic(t)) && !problems.containsKey(t)
            && !resyncing.contains(t)).toList());
      } catch (RuntimeException e) {
        logConfigFailure("", e.getMessage()); // the topics are ready all the same; the sync is tried again next round
      }
      acls.ifPresent(a -> a.round(source, target, System.nanoTime()));
    } else {
      acls.ifPresent(AclSync::pause); // another process syncs: what it copies is read again when this one takes over
    }

    Map<TopicPartition, TopicPartition> ready = new HashMap<>();
    Map<String, Incarnation> readyIncarnations = new HashMap<>();
    for (TopicDescription d : sourceTopics.values()) {
      String tt = naming.targetTopic(d.name());
      Integer targetCount = checkedTargets.get(tt);
      if (targetCount == null || problems.containsKey(d.name()) || resyncing.contains(d.name())) {
        continue;
      }
      readyIncarnations.put(d.name(), new Incarnation(d.topicId(), checkedIds.get(tt)));
      int n = Math.min(targetCount, d.partitions().size());
      for (int p = 0; p < n; p++) {
        ready.put(new TopicPartition(d.name(), p), new TopicPartition(tt, p));
      }
    }
    incarnations = Map.copyOf(readyIncarnations);
    return ready;
  }

  /**
   * Keeps the target topics' configs in step with their source topics' (see {@link ConfigPolicy}): every synced config
   * whose effective value differs is set on the target, by incremental alter (no other key is touched), and logged.
   * Rules that target-owned configs break are logged at WARN once per change. A failure is logged once and tried again
   * next round; replication goes on.
   */
  private void syncConfigs(List<String> topics) {
    if (topics.isEmpty()) {
      return;
    }
    Map<String, String> failed = new HashMap<>();
    Map<String, Map<String, String>> src = AdminTopics.effectiveConfigs(source, topics, flow.source().describe(), failed);
    Map<String, String> targetOf = new HashMap<>();
    topics.forEach(t -> targetOf.put(naming.targetTopic(t), t));
    Map<String, Map<String, String>> tgt = AdminTopics.effectiveConfigs(target, targetOf.keySet(), flow.target().describe(), failed);
    Map<ConfigResource, Collection<AlterConfigOp>> alter = new HashMap<>();
    Map<String, List<ConfigPolicy.Change>> changes = new HashMap<>();
    Set<String> violationsNow = new HashSet<>();
    for (String t : topics) {
      String tt = naming.targetTopic(t);
      if (!src.containsKey(t) || !tgt.containsKey(tt)) {
        continue;
      }
      List<ConfigPolicy.Change> c = new ArrayList<>(policy.changes(src.get(t), tgt.get(tt)));
      c.removeIf(ch -> refusedKeys.getOrDefault(tt, Set.of()).contains(ch.key()));
      if (!c.isEmpty()) {
        changes.put(tt, c);
        alter.put(new ConfigResource(ConfigResource.Type.TOPIC, tt),
            c.stream().map(ch -> new AlterConfigOp(new ConfigEntry(ch.key(), ch.wanted()), AlterConfigOp.OpType.SET)).toList());
      }
      for (String v : policy.violations(tt, replicationFactors.getOrDefault(tt, Integer.MAX_VALUE), src.get(t), tgt.get(tt))) {
        violationsNow.add(v);
        if (reportedViolations.add(v)) {
          LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("topic", tt).log("config rule broken on {}: {}", flow.target().describe(), v);
        }
      }
    }
    reportedViolations.retainAll(violationsNow);
    failed.forEach((topic, why) -> logConfigFailure(topic, why));
    if (alter.isEmpty()) {
      return;
    }
    target.incrementalAlterConfigs(alter).values().forEach((r, f) -> {
      try {
        KafkaCalls.await(f, TIMEOUT_MS, "alter configs of " + r.name() + " on " + flow.target().describe());
        configFailures.remove(r.name());
        LOG.atInfo().addKeyValue("flow", flow.name()).addKeyValue("topic", r.name()).log("configs of target topic {} set: {}", r.name(),
            changes.get(r.name()));
      } catch (FerryException e) {
        if (e.reason() == FerryException.Reason.UNREACHABLE) {
          logConfigFailure(r.name(), e.getMessage()); // not the keys' fault: tried again next round
        } else {
          retryKeyByKey(r, changes.get(r.name()), e);
        }
      }
    });
  }

  /**
   * An alter of several keys is all or nothing: after a refusal each key is set on its own, so one key the target will
   * not take (a managed service's restriction, a value out of its range) does not hold the others back. A key refused
   * on its own is left alone from then on, said once.
   */
  private void retryKeyByKey(ConfigResource r, List<ConfigPolicy.Change> changes, FerryException why) {
    if (changes.size() == 1) {
      refuse(r.name(), changes.get(0), why);
      return;
    }
    for (ConfigPolicy.Change ch : changes) {
      try {
        KafkaCalls.await(target.incrementalAlterConfigs(Map.of(r, List.of(new AlterConfigOp(new ConfigEntry(ch.key(), ch.wanted()),
            AlterConfigOp.OpType.SET)))).all(), TIMEOUT_MS, "alter config " + ch.key() + " of " + r.name() + " on " + flow.target().describe());
        LOG.atInfo().addKeyValue("flow", flow.name()).addKeyValue("topic", r.name()).log("configs of target topic {} set: [{}]", r.name(), ch);
      } catch (FerryException e) {
        refuse(r.name(), ch, e);
      }
    }
  }

  private void refuse(String targetTopic, ConfigPolicy.Change change, FerryException why) {
    if (why.reason() == FerryException.Reason.UNREACHABLE) {
      logConfigFailure(targetTopic, why.getMessage()); // not the key's fault: tried again next round
      return;
    }
    refusedKeys.computeIfAbsent(targetTopic, k -> new HashSet<>()).add(change.key());
    LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("topic", targetTopic)
        .log("target topic {} refuses {} ({}); that config is left as it is there", targetTopic, change, why.getMessage());
  }

  private void logConfigFailure(String topic, String why) {
    if (!why.equals(configFailures.put(topic, why))) {
      LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("topic", topic).log("cannot keep the configs of {} in step, retrying: {}", topic, why);
    }
  }

  /**
   * Deletes the target topic of a recreated source topic, so the next round creates it again from the new topic; only
   * while the target topic is still the one this process knew (another process of the flow may have re-synced it
   * already: its new copy is kept). Returns true while the re-sync is under way.
   */
  private boolean resync(TopicDescription d, Uuid before, Map<String, Uuid> targetIds) {
    String t = d.name();
    String tt = naming.targetTopic(t);
    sourceIds.put(t, d.topicId());
    Uuid known = checkedIds.get(tt);
    if (known == null && seedTargets.getOrDefault(t, Set.of()).size() == 1) {
      known = seedTargets.get(t).iterator().next(); // found at start, before the target was checked: the one the progress names
    }
    if (!targetIds.containsKey(tt) || known == null || !known.equals(targetIds.get(tt))) {
      LOG.atInfo().addKeyValue("flow", flow.name()).addKeyValue("topic", t)
          .log("source topic {} was deleted and created again; its target topic {} was re-synced already", t, tt);
      return false;
    }
    LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("topic", t).log("source topic {} was deleted and created again (topic id {},"
        + " now {}); on-recreate resync: deleting target topic {} to replicate the new topic into it from its start", t, before, d.topicId(), tt);
    try {
      KafkaCalls.await(target.deleteTopics(List.of(tt)).all(), TIMEOUT_MS, "delete topic " + tt + " on " + flow.target().describe());
    } catch (FerryException e) {
      if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
        sourceIds.put(t, before); // tried again next round
        report(t, new Problem(Problem.Reason.UNAVAILABLE, e.getMessage() + "; the re-sync of " + t + " is tried again"));
        return true;
      }
    }
    checkedTargets.remove(tt);
    checkedIds.remove(tt);
    targetIds.remove(tt); // created again from the new source topic once the deletion is done
    return true;
  }

  /**
   * A source topic listed with another id than the flow replicated: deleted and created again. What follows is the
   * flow's on-recreate policy: {@code append} takes the new topic up (replicated from its start after the old one's
   * records, the lanes see the new id), {@code stop} keeps the topic stopped with a problem until its target topic is
   * deleted ({@code ferry resync}) or Ferry is started with another policy, {@code resync} deletes the target topic,
   * which the next round creates again from the new source topic. Returns true when the target topic is being deleted.
   */
  private boolean recreated(TopicDescription d, Uuid before, Map<String, Uuid> targetIds) {
    String t = d.name();
    String tt = naming.targetTopic(t);
    switch (flow.onRecreate()) {
      case APPEND -> {
        sourceIds.put(t, d.topicId());
        LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("topic", t).log("source topic {} was deleted and created again (topic id {}, now"
            + " {}, {} partitions); on-recreate append: the new topic is replicated from its start into {}, after the records of the earlier one",
            t, before, d.topicId(), d.partitions().size(), tt);
        return false;
      }
      case STOP, RESYNC -> {
        if (flow.onRecreate() == OnRecreate.RESYNC && !stopped.containsKey(t)) {
          return resync(d, before, targetIds);
        }
        if (!targetIds.containsKey(tt) || stoppedTargetIds.containsKey(t) && !stoppedTargetIds.get(t).equals(targetIds.get(tt))) {
          // the target topic was deleted (re-synced) since the stop: the new topic starts afresh
          stopped.remove(t);
          stoppedTargetIds.remove(t);
          problems.remove(t);
          sourceIds.put(t, d.topicId());
          LOG.atInfo().addKeyValue("flow", flow.name()).addKeyValue("topic", t)
              .log("target topic {} of recreated source topic {} was deleted; replicating the new topic from its start", tt, t);
          return false;
        }
        stoppedTargetIds.putIfAbsent(t, targetIds.get(tt));
        stopped.putIfAbsent(t, new Problem(Problem.Reason.TOPIC_RECREATED, "source topic " + t + " on " + flow.source().describe() + " was deleted and"
            + " created again (topic id " + before + ", now " + d.topicId() + "); on-recreate stop: replication of " + t + " stopped (to"
            + " replicate the new topic, run ferry resync --topic " + t + ", or restart with --on-recreate append)"));
        return false;
      }
      default -> throw new IllegalStateException("unknown policy " + flow.onRecreate());
    }
  }

  /**
   * A topic the selection names that the source does not list: it does not exist, or Ferry's user may not describe it
   * there (the listing leaves out what a user may not see). Said once per name, until it shows up.
   */
  private void warnOfNamedTopicsNotFound(Set<String> listed) {
    Set<String> named = flow.topics().literalNames();
    notFound.retainAll(named);
    notFound.removeAll(listed);
    for (String t : named) {
      if (!listed.contains(t) && naming.isReplicable(t) && notFound.add(t)) {
        LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("topic", t).log("source topic {} is not on {}, or Ferry's user may not Describe"
            + " it there (grant Describe and Read on it); it is replicated as soon as it is listed", t, flow.source().describe());
      }
    }
  }

  private void create(List<String> topics, Map<String, TopicDescription> sourceTopics) {
    if (topics.isEmpty()) {
      return;
    }
    Map<String, Map<String, String>> configs = nonDefaultConfigs(topics);
    // a target topic is never created without the source's configs (retention, cleanup policy, ...)
    topics = topics.stream().filter(configs::containsKey).toList();
    if (topics.isEmpty()) {
      return;
    }
    List<NewTopic> news = new ArrayList<>();
    for (String t : topics) {
      Map<String, String> c = policy.forNewTopic(configs.get(t));
      news.add(new NewTopic(naming.targetTopic(t), Optional.of(sourceTopics.get(t).partitions().size()), flow.replicationFactor()).configs(c));
    }
    Map<String, KafkaFuture<Void>> results = target.createTopics(news).values();
    List<String> created = new ArrayList<>();
    for (String t : topics) {
      String tt = naming.targetTopic(t);
      try {
        KafkaCalls.await(results.get(tt), TIMEOUT_MS, "create topic " + tt + " on " + flow.target().describe());
        owned.add(tt); // ready once every partition has a leader: checked by check() below
        created.add(tt);
        problems.remove(t);
        LOG.atInfo().addKeyValue("flow", flow.name()).addKeyValue("topic", tt)
            .log("created target topic with {} partitions", sourceTopics.get(t).partitions().size());
      } catch (FerryException e) {
        if (e.getCause() instanceof TopicExistsException) {
          continue; // created concurrently (another process of this flow); checked next round
        }
        report(t, new Problem(Problem.Reason.TARGET_TOPIC_NOT_CREATED, e.getMessage()));
      }
    }
    if (!created.isEmpty()) {
      try {
        TopicLeaders.await(target, created, java.time.Duration.ofSeconds(10), flow.target().describe());
      } catch (FerryException e) {
        LOG.atWarn().addKeyValue("flow", flow.name()).log("{}; checked again next round", e.getMessage());
      }
    }
  }

  private void check(List<String> topics, Map<String, TopicDescription> sourceTopics) {
    if (topics.isEmpty()) {
      return;
    }
    Set<String> targetTopics = topics.stream().map(naming::targetTopic).collect(Collectors.toSet());
    Map<String, String> failedTarget = new HashMap<>();
    Map<String, String> failedSource = new HashMap<>();
    Map<String, TopicDescription> described = AdminTopics.describe(target, targetTopics, "describe topics on " + flow.target().describe(), failedTarget);
    Map<String, String> sourcePolicy = policies(source, topics, failedSource);
    Map<String, String> targetPolicy = policies(target, targetTopics, failedTarget);
    reportFailures(failedSource, false);
    reportFailures(failedTarget, true);
    for (String t : topics) {
      String tt = naming.targetTopic(t);
      TopicDescription d = described.get(tt);
      if (d == null) {
        continue;
      }
      if (d.partitions().stream().anyMatch(p -> p.leader() == null || p.leader().isEmpty())) {
        continue; // just created or moving: not ready until every partition has a leader (checked next round)
      }
      int sp = sourceTopics.get(t).partitions().size();
      int tp = d.partitions().size();
      String sPol = sourcePolicy.get(t);
      String tPol = targetPolicy.get(tt);
      if (sPol == null || tPol == null) {
        continue; // a cleanup policy could not be read (reported above): not ready
      }
      // a topic Ferry replicates into follows the source's policy (the config sync sets it); another one is refused
      if (!sPol.equals(tPol) && !(owned.contains(tt) && policy.synced(TopicConfig.CLEANUP_POLICY_CONFIG))) {
        report(t, Problem.Reason.CLEANUP_POLICY_MISMATCH, "target topic " + tt + " on " + flow.target().describe() + " has cleanup.policy=" + tPol
            + " but source topic " + t + " has cleanup.policy=" + sPol + "; replication of " + t + " stopped (change or delete the target topic)");
        continue;
      }
      if (tp < sp && !owned.contains(tt)) {
        report(t, Problem.Reason.TOO_FEW_PARTITIONS, "target topic " + tt + " on " + flow.target().describe() + " has " + tp + " partitions, fewer than the "
            + sp + " of source topic " + t + "; replication of " + t + " stopped (add partitions to the target topic or delete it)");
        continue;
      }
      checkedTargets.put(tt, tp);
      replicationFactors.put(tt, d.partitions().get(0).replicas().size());
      Uuid id = d.topicId();
      if (id != null) {
        checkedIds.put(tt, id);
      }
      // it replicates into this topic now: when the source topic grows, the target grows with it (as after a restart,
      // when the committed progress says the flow replicated the topic before)
      owned.add(tt);
      problems.remove(t);
    }
  }

  /** Adds partitions where a source topic grew; returns the source topics whose target grew (to be checked). */
  private List<String> expand(Map<String, TopicDescription> sourceTopics) {
    Map<String, NewPartitions> grow = new HashMap<>();
    for (TopicDescription d : sourceTopics.values()) {
      String tt = naming.targetTopic(d.name());
      Integer have = checkedTargets.get(tt);
      if (have != null && have < d.partitions().size() && owned.contains(tt) && !problems.containsKey(d.name())) {
        grow.put(tt, NewPartitions.increaseTo(d.partitions().size()));
      }
    }
    if (grow.isEmpty()) {
      return List.of();
    }
    List<String> grown = new ArrayList<>();
    Map<String, KafkaFuture<Void>> results = target.createPartitions(grow).values();
    for (Map.Entry<String, KafkaFuture<Void>> e : results.entrySet()) {
      String tt = e.getKey();
      try {
        KafkaCalls.await(e.getValue(), TIMEOUT_MS, "add partitions to " + tt + " on " + flow.target().describe());
        checkedTargets.remove(tt); // ready again once the new partitions have leaders
        naming.sourceTopic(tt).ifPresent(grown::add);
        LOG.atInfo().addKeyValue("flow", flow.name()).addKeyValue("topic", tt)
            .log("added partitions to target topic, now {}", grow.get(tt).totalCount());
      } catch (FerryException ex) {
        checkedTargets.remove(tt); // described again next round
        naming.sourceTopic(tt).ifPresent(t -> report(t, new Problem(Problem.Reason.TARGET_TOPIC_NOT_CREATED, ex.getMessage())));
      }
    }
    return grown;
  }

  private void report(String sourceTopic, Problem.Reason reason, String message) {
    report(sourceTopic, new Problem(reason, message));
  }

  private void report(String sourceTopic, Problem problem) {
    if (!problem.equals(problems.put(sourceTopic, problem)) && !problem.equals(previousRetryable.get(sourceTopic))) {
      LOG.atError().addKeyValue("flow", flow.name()).addKeyValue("topic", sourceTopic).log(problem.message());
    }
  }

  /** Reports every failure of a batched call against the source topic it concerns. */
  private void reportFailures(Map<String, String> failed, boolean targetTopics) {
    failed.forEach((topic, why) -> {
      Optional<String> sourceTopic = targetTopics ? naming.sourceTopic(topic) : Optional.of(topic);
      sourceTopic.ifPresent(t -> {
        Problem problem = new Problem(Problem.Reason.UNAVAILABLE, why + "; replication of " + t + " waits until this works");
        retryable.put(t, problem);
        report(t, problem);
      });
    });
  }

  /** The source's non-default configs per topic; a topic whose configs cannot be read is reported and left out. */
  private Map<String, Map<String, String>> nonDefaultConfigs(Collection<String> topics) {
    Map<String, Map<String, String>> out = new HashMap<>();
    Map<String, String> failed = new HashMap<>();
    for (Map.Entry<ConfigResource, Config> e : AdminTopics.describeConfigs(source, topics, flow.source().describe(), failed).entrySet()) {
      Map<String, String> c = new HashMap<>();
      for (ConfigEntry ce : e.getValue().entries()) {
        if (ce.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG && ce.value() != null) {
          c.put(ce.name(), ce.value());
        }
      }
      out.put(e.getKey().name(), c);
    }
    reportFailures(failed, false);
    return out;
  }

  private Map<String, String> policies(Admin admin, Collection<String> topics, Map<String, String> failed) {
    String where = admin == source ? flow.source().describe() : flow.target().describe();
    Map<String, String> out = new HashMap<>();
    AdminTopics.describeConfigs(admin, topics, where, failed).forEach((r, c) -> {
      ConfigEntry e = c.get(TopicConfig.CLEANUP_POLICY_CONFIG);
      if (e != null && e.value() != null) {
        out.put(r.name(), normalizePolicy(e.value()));
      }
    });
    return out;
  }

  static String normalizePolicy(String policy) {
    return java.util.Arrays.stream(policy.split(",")).map(String::trim).sorted().collect(Collectors.joining(","));
  }
}
