package dev.ferry.topics;

import dev.ferry.FerryException;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.AdminTopics;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.ClusterProbe;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.kafka.ProgressStore;
import dev.ferry.naming.TopicNaming;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;

/**
 * The drift audit of one flow, read from both clusters (no running Ferry needed): for every replicated topic pair, the
 * partitions, the target's replication factor, every synced config that differs (both values), the rules target-owned
 * configs break; target topics missing; orphans (target topics the flow replicated whose source topic is gone). With
 * {@link #fix()}, the synced configs are set as the sync of a running Ferry would set them.
 */
public final class Audit {
  private static final long TIMEOUT_MS = 30_000;

  /** One topic pair. {@code targetPartitions} and {@code replicationFactor} are 0 when the target topic is missing. */
  public record TopicRow(String sourceTopic, String targetTopic, boolean targetExists, int sourcePartitions, int targetPartitions,
      int replicationFactor, List<ConfigPolicy.Change> changes, List<String> violations) {
    /** Whether anything about this pair differs from what the flow wants. */
    public boolean drift() {
      return !targetExists || targetPartitions < sourcePartitions || !changes.isEmpty() || !violations.isEmpty();
    }
  }

  /**
   * The audit. {@code recreated}: source topics deleted and created again that the flow has not taken up, each with
   * what it means (see {@link Recreations}); {@code recreations}: where the topics recreated and taken up begin on the
   * target (history, not drift, see {@link Recreation}); {@code acls}: with {@code sync-acls}, one line per ACL the target
   * lacks or still has though the source dropped it (see {@link AclSync}); {@code fixed}: the changes applied by
   * {@link #fix()} (empty for a plain audit).
   */
  public record Report(String flow, List<TopicRow> topics, List<String> orphans, Map<String, String> recreated, List<String> recreations,
      List<String> acls, List<String> fixed) {
    public boolean drift() {
      return !orphans.isEmpty() || !recreated.isEmpty() || !acls.isEmpty() || topics.stream().anyMatch(TopicRow::drift);
    }
  }

  private final FlowConfig flow;
  private final TopicNaming naming;
  private final ConfigPolicy policy;

  public Audit(FlowConfig flow) {
    this.flow = flow;
    this.naming = TopicNaming.of(flow);
    this.policy = new ConfigPolicy(flow.excludeConfigs(), flow.topicConfigs());
  }

  /** Reads both clusters and compares; changes nothing. */
  public Report run() {
    try (Admin source = Admin.create(Clients.admin(flow.source())); Admin target = Admin.create(Clients.admin(flow.target()))) {
      return read(source, target, List.of(), true);
    }
  }

  /** The topic pairs, orphans and recreations not taken up only (no ACLs, no history): what {@code status} shows of topics. */
  public Report topics() {
    try (Admin source = Admin.create(Clients.admin(flow.source())); Admin target = Admin.create(Clients.admin(flow.target()))) {
      return read(source, target, List.of(), false);
    }
  }

  /** Sets every synced config that differs on the target, then audits again (what is left is what it cannot fix). */
  public Report fix() {
    try (Admin source = Admin.create(Clients.admin(flow.source())); Admin target = Admin.create(Clients.admin(flow.target()))) {
      Report before = read(source, target, List.of(), true);
      // not a topic whose source topic was recreated and not taken up: its configs are the old topic's, which the copy
      // keeps until an operator decides
      Set<String> replicated = new ProgressStore(target, flow).topics();
      List<String> fixed = new ArrayList<>();
      for (TopicRow r : before.topics()) {
        boolean policyChange = r.changes().stream().anyMatch(c -> c.key().equals("cleanup.policy"));
        if (!r.targetExists() || r.changes().isEmpty() || before.recreated().containsKey(r.sourceTopic())
            || policyChange && !replicated.contains(r.targetTopic())) {
          continue; // a topic of another cleanup policy that the flow never replicated into is refused, not converted
        }
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, r.targetTopic());
        try {
          KafkaCalls.await(target.incrementalAlterConfigs(Map.of(res, r.changes().stream()
                  .map(c -> new AlterConfigOp(new ConfigEntry(c.key(), c.wanted()), AlterConfigOp.OpType.SET)).toList())).all(), TIMEOUT_MS,
              "alter configs of " + r.targetTopic() + " on " + flow.target().describe());
          r.changes().forEach(c -> fixed.add(r.targetTopic() + " " + c));
        } catch (FerryException e) {
          fixed.add(r.targetTopic() + ": not fixed: " + e.getMessage());
        }
      }
      if (flow.syncAcls()) {
        try {
          fixed.addAll(new AclSync(flow).fix(source, target));
        } catch (FerryException e) {
          fixed.add("ACLs not fixed: " + e.getMessage());
        }
      }
      return read(source, target, fixed, true);
    }
  }

  /** {@code whole}: with the ACLs and the recreation history (the audit), or without (status). */
  private Report read(Admin source, Admin target, List<String> fixed, boolean whole) {
    ClusterProbe.probe(source, flow.source(), "source", Duration.ofSeconds(10));
    ClusterProbe.probe(target, flow.target(), "target", Duration.ofSeconds(10));
    Set<String> selected = KafkaCalls.await(source.listTopics(new ListTopicsOptions().listInternal(false)).names(), TIMEOUT_MS,
        "list topics on " + flow.source().describe()).stream().filter(t -> naming.isReplicable(t) && flow.topics().matches(t))
        .collect(Collectors.toCollection(TreeSet::new));
    Set<String> onTarget = KafkaCalls.await(target.listTopics(new ListTopicsOptions().listInternal(false)).names(), TIMEOUT_MS,
        "list topics on " + flow.target().describe());
    Map<String, String> failed = new HashMap<>();
    Map<String, TopicDescription> sd = AdminTopics.describe(source, selected, "describe topics on " + flow.source().describe(), failed);
    List<String> targets = selected.stream().map(naming::targetTopic).filter(onTarget::contains).toList();
    Map<String, TopicDescription> td = AdminTopics.describe(target, targets, "describe topics on " + flow.target().describe(), failed);
    Map<String, Map<String, String>> sc = AdminTopics.effectiveConfigs(source, selected, flow.source().describe(), failed);
    Map<String, Map<String, String>> tc = AdminTopics.effectiveConfigs(target, targets, flow.target().describe(), failed);
    if (!failed.isEmpty()) {
      Map.Entry<String, String> first = failed.entrySet().iterator().next();
      throw new FerryException(FerryException.Reason.FAILED, "cannot audit topic " + first.getKey() + ": " + first.getValue());
    }
    List<TopicRow> rows = new ArrayList<>();
    for (String t : selected) {
      String tt = naming.targetTopic(t);
      if (!sd.containsKey(t) || !sc.containsKey(t)) {
        continue; // deleted while the audit ran
      }
      int sp = sd.get(t).partitions().size();
      TopicDescription d = tc.containsKey(tt) ? td.get(tt) : null;
      if (d == null) {
        rows.add(new TopicRow(t, tt, false, sp, 0, 0, List.of(), List.of()));
        continue;
      }
      int rf = d.partitions().get(0).replicas().size();
      rows.add(new TopicRow(t, tt, true, sp, d.partitions().size(), rf, policy.changes(sc.get(t), tc.get(tt)),
          policy.violations(tt, rf, sc.get(t), tc.get(tt))));
    }
    List<String> orphans = new ArrayList<>();
    Map<org.apache.kafka.common.TopicPartition, ProgressStore.Progress> progress = new ProgressStore(target, flow).readAllProgress();
    new TreeSet<>(progress.keySet().stream().map(org.apache.kafka.common.TopicPartition::topic).toList()).forEach(tt -> {
      if (onTarget.contains(tt) && naming.sourceTopic(tt).filter(selected::contains).isEmpty()) {
        orphans.add(tt);
      }
    });
    List<String> acls = new ArrayList<>();
    if (whole && flow.syncAcls()) {
      try {
        AclSync.Diff d = new AclSync(flow).audit(source, target);
        d.missing().forEach(b -> acls.add("missing on target: " + AclSync.describe(b)));
        d.stale().forEach(b -> acls.add("on target, gone from the source: " + AclSync.describe(b)));
      } catch (FerryException e) {
        acls.add("not audited: " + e.getMessage()); // sync-acls is on and cannot be checked: an alert, not a pass
      }
    }
    return new Report(flow.name(), rows, orphans, Recreations.pending(flow, source, progress),
        whole ? Recreation.summaries(flow, target, Duration.ofMillis(TIMEOUT_MS)) : List.of(), acls, fixed);
  }
}
