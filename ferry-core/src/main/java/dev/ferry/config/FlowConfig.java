package dev.ferry.config;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One replication flow: topics of {@code source} copied to {@code target}.
 *
 * @param name unique flow name; names Ferry's internal topics and groups on the target
 * @param shards how many shards the flow's partitions hash into; each has its own transactional.id
 * @param provenance whether replicated records carry the provenance header (needed for loop protection)
 * @param replicationFactor replication factor of created target topics; empty: the target's default
 * @param topicConfigs topic configs set on every created target topic, over those copied from the source
 * @param commitInterval how long one replication transaction collects records before it commits, on average (each one
 *     +-25%; up to five times as long while a shard works through a backlog, back to one interval once it has caught up)
 * @param topicRefreshInterval how often source topics are listed to find new topics and partitions
 * @param groups which source consumer groups are checkpointed (Ferry's own groups never are)
 * @param checkpointInterval how often the committed offsets of those groups are translated and checkpointed
 * @param syncGroupOffsets whether translated offsets are committed to the same group on the target when it is inactive
 * @param balanceInterval how often a process measures its shards' load (bytes/s) and, when it changed markedly, asks the
 *     flow's processes to rebalance shards by load
 */
public record FlowConfig(
    String name,
    ClusterConfig source,
    ClusterConfig target,
    TopicSelection topics,
    Naming naming,
    int shards,
    boolean provenance,
    Optional<Short> replicationFactor,
    Map<String, String> topicConfigs,
    Duration commitInterval,
    Duration topicRefreshInterval,
    TopicSelection groups,
    Duration checkpointInterval,
    boolean syncGroupOffsets,
    Duration balanceInterval) {

  public static final int DEFAULT_SHARDS = 4;
  public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofMillis(200);
  public static final Duration DEFAULT_TOPIC_REFRESH = Duration.ofSeconds(2);
  public static final Duration DEFAULT_CHECKPOINT_INTERVAL = Duration.ofSeconds(5);
  public static final Duration DEFAULT_BALANCE_INTERVAL = Duration.ofSeconds(60);
  /** Consumer groups of tools, not applications: not checkpointed unless the user selects groups explicitly. */
  public static final TopicSelection DEFAULT_GROUPS = TopicSelection.of(".*", "console-consumer-.*|perf-consumer-.*|_confluent.*");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,100}");

  public FlowConfig {
    if (source == null) {
      throw new ConfigException("source", "is required");
    }
    if (target == null) {
      throw new ConfigException("target", "is required");
    }
    if (source.alias().equals(target.alias())) {
      throw new ConfigException("target.alias", "must differ from source.alias ('" + source.alias() + "')");
    }
    if (name == null || name.isBlank()) {
      name = source.alias() + "-to-" + target.alias();
    }
    if (!NAME.matcher(name).matches()) {
      throw new ConfigException("name", "'" + name + "' must be 1-100 letters, digits, '_' or '-'");
    }
    if (topics == null) {
      throw new ConfigException("topics", "is required");
    }
    naming = naming == null ? Naming.DEFAULT : naming;
    if (shards < 1 || shards > 1024) {
      throw new ConfigException("shards", shards + " is out of range 1..1024");
    }
    replicationFactor = replicationFactor == null ? Optional.empty() : replicationFactor;
    if (replicationFactor.isPresent() && replicationFactor.get() < 1) {
      throw new ConfigException("replication-factor", replicationFactor.get() + " must be at least 1");
    }
    topicConfigs = topicConfigs == null ? Map.of() : Map.copyOf(topicConfigs);
    commitInterval = commitInterval == null ? DEFAULT_COMMIT_INTERVAL : commitInterval;
    if (outside(commitInterval, Duration.ofMillis(10), Duration.ofMinutes(5))) {
      throw new ConfigException("commit-interval", commitInterval + " is out of range 10ms..5m");
    }
    topicRefreshInterval = topicRefreshInterval == null ? DEFAULT_TOPIC_REFRESH : topicRefreshInterval;
    if (outside(topicRefreshInterval, Duration.ofMillis(100), Duration.ofMinutes(60))) {
      throw new ConfigException("topic-refresh-interval", topicRefreshInterval + " is out of range 100ms..60m");
    }
    groups = groups == null ? DEFAULT_GROUPS : groups;
    checkpointInterval = checkpointInterval == null ? DEFAULT_CHECKPOINT_INTERVAL : checkpointInterval;
    if (outside(checkpointInterval, Duration.ofMillis(100), Duration.ofMinutes(60))) {
      throw new ConfigException("checkpoint-interval", checkpointInterval + " is out of range 100ms..60m");
    }
    balanceInterval = balanceInterval == null ? DEFAULT_BALANCE_INTERVAL : balanceInterval;
    if (outside(balanceInterval, Duration.ofSeconds(1), Duration.ofHours(24))) {
      throw new ConfigException("balance-interval", balanceInterval + " is out of range 1s..24h");
    }
  }

  /** Whether {@code d} lies outside {@code min..max} (both included), compared exactly. */
  private static boolean outside(Duration d, Duration min, Duration max) {
    return d.compareTo(min) < 0 || d.compareTo(max) > 0;
  }

  /** A flow with defaults for everything but the clusters and topics. */
  public static FlowConfig of(ClusterConfig source, ClusterConfig target, TopicSelection topics) {
    return new FlowConfig(null, source, target, topics, Naming.DEFAULT, DEFAULT_SHARDS, true, Optional.empty(), Map.of(), null, null,
        null, null, true, null);
  }

  public FlowConfig withName(String v) {
    return new FlowConfig(v, source, target, topics, naming, shards, provenance, replicationFactor, topicConfigs, commitInterval,
        topicRefreshInterval, groups, checkpointInterval, syncGroupOffsets, balanceInterval);
  }

  public FlowConfig withNaming(Naming v) {
    return new FlowConfig(name, source, target, topics, v, shards, provenance, replicationFactor, topicConfigs, commitInterval,
        topicRefreshInterval, groups, checkpointInterval, syncGroupOffsets, balanceInterval);
  }

  public FlowConfig withShards(int v) {
    return new FlowConfig(name, source, target, topics, naming, v, provenance, replicationFactor, topicConfigs, commitInterval,
        topicRefreshInterval, groups, checkpointInterval, syncGroupOffsets, balanceInterval);
  }

  public FlowConfig withCommitInterval(Duration v) {
    return new FlowConfig(name, source, target, topics, naming, shards, provenance, replicationFactor, topicConfigs, v,
        topicRefreshInterval, groups, checkpointInterval, syncGroupOffsets, balanceInterval);
  }

  public FlowConfig withProvenance(boolean v) {
    return new FlowConfig(name, source, target, topics, naming, shards, v, replicationFactor, topicConfigs, commitInterval,
        topicRefreshInterval, groups, checkpointInterval, syncGroupOffsets, balanceInterval);
  }

  public FlowConfig withTopicRefreshInterval(Duration v) {
    return new FlowConfig(name, source, target, topics, naming, shards, provenance, replicationFactor, topicConfigs, commitInterval,
        v, groups, checkpointInterval, syncGroupOffsets, balanceInterval);
  }

  public FlowConfig withGroups(TopicSelection v) {
    return new FlowConfig(name, source, target, topics, naming, shards, provenance, replicationFactor, topicConfigs, commitInterval,
        topicRefreshInterval, v, checkpointInterval, syncGroupOffsets, balanceInterval);
  }

  public FlowConfig withCheckpointInterval(Duration v) {
    return new FlowConfig(name, source, target, topics, naming, shards, provenance, replicationFactor, topicConfigs, commitInterval,
        topicRefreshInterval, groups, v, syncGroupOffsets, balanceInterval);
  }

  public FlowConfig withSyncGroupOffsets(boolean v) {
    return new FlowConfig(name, source, target, topics, naming, shards, provenance, replicationFactor, topicConfigs, commitInterval,
        topicRefreshInterval, groups, checkpointInterval, v, balanceInterval);
  }

  public FlowConfig withBalanceInterval(Duration v) {
    return new FlowConfig(name, source, target, topics, naming, shards, provenance, replicationFactor, topicConfigs, commitInterval,
        topicRefreshInterval, groups, checkpointInterval, syncGroupOffsets, v);
  }
}
