package dev.ferry.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
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
 * @param maxLatency while a shard keeps up with its sources, how long a record may wait in the open transaction before
 *     its commit begins (the transaction commits then, or after one commit interval if that comes first); during a
 *     backlog transactions grow by the commit interval instead
 * @param topicRefreshInterval how often source topics are listed to find new topics and partitions
 * @param groups which source consumer groups are checkpointed (Ferry's own groups never are)
 * @param checkpointInterval how often the committed offsets of those groups are translated and checkpointed
 * @param syncGroupOffsets whether translated offsets are committed to the same group on the target when it is inactive
 * @param balanceInterval how often a process measures its shards' load (bytes/s) and, when it changed markedly, asks the
 *     flow's processes to rebalance shards by load
 * @param onRecreate what happens when a source topic is deleted and created again
 * @param excludeConfigs source-owned topic configs the target topics do not take from the source
 * @param syncAcls whether the source's READ/DESCRIBE ACLs of replicated topics and checkpointed groups are kept in step on
 *     the target
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
    Duration maxLatency,
    Duration topicRefreshInterval,
    TopicSelection groups,
    Duration checkpointInterval,
    boolean syncGroupOffsets,
    Duration balanceInterval,
    OnRecreate onRecreate,
    java.util.Set<String> excludeConfigs,
    boolean syncAcls) {

  public static final int DEFAULT_SHARDS = 4;
  public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofMillis(200);
  public static final Duration DEFAULT_MAX_LATENCY = Duration.ofMillis(50);
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
    maxLatency = maxLatency == null ? DEFAULT_MAX_LATENCY : maxLatency;
    if (outside(maxLatency, Duration.ofMillis(1), Duration.ofMinutes(5))) {
      throw new ConfigException("max-latency", maxLatency + " is out of range 1ms..5m");
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
    onRecreate = onRecreate == null ? OnRecreate.APPEND : onRecreate;
    excludeConfigs = excludeConfigs == null ? java.util.Set.of() : java.util.Set.copyOf(excludeConfigs);
    for (String k : excludeConfigs) {
      if (!SyncedConfigs.SOURCE_OWNED.contains(k)) {
        throw new ConfigException("exclude-configs", "'" + k + "' is not a config the target takes from the source (those are "
            + new java.util.TreeSet<>(SyncedConfigs.SOURCE_OWNED) + ")");
      }
    }
  }

  /** Whether {@code d} lies outside {@code min..max} (both included), compared exactly. */
  private static boolean outside(Duration d, Duration min, Duration max) {
    return d.compareTo(min) < 0 || d.compareTo(max) > 0;
  }

  /** A flow with defaults for everything but the clusters and topics. */
  public static FlowConfig of(ClusterConfig source, ClusterConfig target, TopicSelection topics) {
    return builder(source, target, topics).build();
  }

  public static Builder builder(ClusterConfig source, ClusterConfig target, TopicSelection topics) {
    return new Builder(source, target, topics);
  }

  /** A builder holding this flow's values, to change some of them. */
  public Builder toBuilder() {
    return new Builder(source, target, topics).name(name).naming(naming).shards(shards).provenance(provenance)
        .replicationFactor(replicationFactor).topicConfigs(topicConfigs).commitInterval(commitInterval)
        .maxLatency(maxLatency).topicRefreshInterval(topicRefreshInterval).groups(groups).checkpointInterval(checkpointInterval)
        .syncGroupOffsets(syncGroupOffsets).balanceInterval(balanceInterval).onRecreate(onRecreate).excludeConfigs(excludeConfigs)
        .syncAcls(syncAcls);
  }

  /**
   * A flow as the YAML configuration spells it (keys in kebab case, naming and separator apart). Unset values take
   * their defaults; every value is validated by the record's constructor.
   */
  @JsonCreator
  static FlowConfig fromYaml(@JsonProperty("name") String name, @JsonProperty("source") ClusterConfig source,
      @JsonProperty("target") ClusterConfig target, @JsonProperty("topics") TopicSelection topics, @JsonProperty("naming") String naming,
      @JsonProperty("separator") String separator, @JsonProperty("shards") Integer shards, @JsonProperty("provenance") Boolean provenance,
      @JsonProperty("replication-factor") Short replicationFactor, @JsonProperty("topic-configs") Map<String, String> topicConfigs,
      @JsonProperty("commit-interval") Duration commitInterval, @JsonProperty("max-latency") Duration maxLatency,
      @JsonProperty("topic-refresh-interval") Duration topicRefreshInterval,
      @JsonProperty("groups") TopicSelection groups, @JsonProperty("checkpoint-interval") Duration checkpointInterval,
      @JsonProperty("sync-group-offsets") Boolean syncGroupOffsets, @JsonProperty("balance-interval") Duration balanceInterval,
      @JsonProperty("on-recreate") String onRecreate, @JsonProperty("exclude-configs") java.util.List<String> excludeConfigs,
      @JsonProperty("sync-acls") Boolean syncAcls) {
    Naming n = naming == null && separator == null ? Naming.DEFAULT
        : new Naming(Naming.Mode.parse("naming", naming == null ? "prefix" : naming), separator == null ? "." : separator);
    return new FlowConfig(name, source, target, topics, n, shards == null ? DEFAULT_SHARDS : shards, provenance == null || provenance,
        Optional.ofNullable(replicationFactor), topicConfigs, commitInterval, maxLatency, topicRefreshInterval, groups, checkpointInterval,
        syncGroupOffsets == null || syncGroupOffsets, balanceInterval, onRecreate == null ? null : OnRecreate.parse("on-recreate", onRecreate),
        excludeConfigs == null ? null : new java.util.HashSet<>(excludeConfigs), syncAcls != null && syncAcls);
  }

  /** Builds a {@link FlowConfig}; what is not set takes its default. */
  public static final class Builder {
    private final ClusterConfig source;
    private final ClusterConfig target;
    private final TopicSelection topics;
    private String name;
    private Naming naming = Naming.DEFAULT;
    private int shards = DEFAULT_SHARDS;
    private boolean provenance = true;
    private Optional<Short> replicationFactor = Optional.empty();
    private Map<String, String> topicConfigs = Map.of();
    private Duration commitInterval;
    private Duration maxLatency;
    private Duration topicRefreshInterval;
    private TopicSelection groups;
    private Duration checkpointInterval;
    private boolean syncGroupOffsets = true;
    private Duration balanceInterval;
    private OnRecreate onRecreate;
    private java.util.Set<String> excludeConfigs;
    private boolean syncAcls;

    private Builder(ClusterConfig source, ClusterConfig target, TopicSelection topics) {
      this.source = source;
      this.target = target;
      this.topics = topics;
    }

    /** Empty: {@code <source>-to-<target>}. */
    public Builder name(String v) {
      name = v;
      return this;
    }

    public Builder naming(Naming v) {
      naming = v;
      return this;
    }

    public Builder shards(int v) {
      shards = v;
      return this;
    }

    public Builder provenance(boolean v) {
      provenance = v;
      return this;
    }

    public Builder replicationFactor(Optional<Short> v) {
      replicationFactor = v;
      return this;
    }

    public Builder topicConfigs(Map<String, String> v) {
      topicConfigs = v;
      return this;
    }

    public Builder commitInterval(Duration v) {
      commitInterval = v;
      return this;
    }

    public Builder maxLatency(Duration v) {
      maxLatency = v;
      return this;
    }

    public Builder topicRefreshInterval(Duration v) {
      topicRefreshInterval = v;
      return this;
    }

    public Builder groups(TopicSelection v) {
      groups = v;
      return this;
    }

    public Builder checkpointInterval(Duration v) {
      checkpointInterval = v;
      return this;
    }

    public Builder syncGroupOffsets(boolean v) {
      syncGroupOffsets = v;
      return this;
    }

    public Builder balanceInterval(Duration v) {
      balanceInterval = v;
      return this;
    }

    public Builder onRecreate(OnRecreate v) {
      onRecreate = v;
      return this;
    }

    public Builder excludeConfigs(java.util.Set<String> v) {
      excludeConfigs = v;
      return this;
    }

    public Builder syncAcls(boolean v) {
      syncAcls = v;
      return this;
    }

    /** The flow; a {@link ConfigException} names the first value out of range. */
    public FlowConfig build() {
      return new FlowConfig(name, source, target, topics, naming, shards, provenance, replicationFactor, topicConfigs, commitInterval,
          maxLatency, topicRefreshInterval, groups, checkpointInterval, syncGroupOffsets, balanceInterval, onRecreate, excludeConfigs,
          syncAcls);
    }
  }
}
