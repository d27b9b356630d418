package dev.ferry.flow;

import dev.ferry.FerryException;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.kafka.TopicLeaders;
import dev.ferry.replicate.ShardFence;
import dev.ferry.topics.StateTopic;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A flow's own topics on the target: the offset map, the shard topic and the checkpoints. */
final class InternalTopics {
  private static final Logger LOG = LoggerFactory.getLogger(InternalTopics.class);
  private static final long TIMEOUT_MS = 30_000;
  /** Partitions of a new checkpoint topic (one created by an earlier Ferry keeps its one partition). */
  static final int CHECKPOINT_PARTITIONS = 16;

  private final FlowConfig flow;
  private final Admin target;

  InternalTopics(FlowConfig flow, Admin target) {
    this.flow = flow;
    this.target = target;
  }

  /**
   * Creates the flow's topics where missing, changes the shard count when the flow ran with another one, and returns
   * the offset map's partition count.
   */
  int ensure() {
    String mapTopic = FerryNames.offsetMapTopic(flow.name());
    String shardTopic = FerryNames.shardTopic(flow.name());
    String checkpointTopic = FerryNames.checkpointTopic(flow.name());
    String stateTopic = FerryNames.stateTopic(flow.name());
    // compacted: the latest snapshot and the last updates of each source partition stay, so the map's size follows the
    // partition count, not uptime. Segments roll every minute so the cleaner gets to them soon; every transaction leaves
    // a commit marker, which the cleaner keeps for delete.retention.ms: a minute of markers, not an hour (the default
    // one day would be tens of megabytes per partition at 10 ms commits)
    NewTopic map = new NewTopic(mapTopic, Optional.of(flow.shards()), flow.replicationFactor())
        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact", TopicConfig.SEGMENT_MS_CONFIG, "60000",
            TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.25", TopicConfig.DELETE_RETENTION_MS_CONFIG, "60000"));
    // its records are the shards' reports (every 5 s, with a latency per partition), read only while fresh: an hour of
    // them is kept, in segments of ten minutes, so its size follows the partition count, not uptime
    NewTopic shards = new NewTopic(shardTopic, Optional.of(flow.shards()), flow.replicationFactor()).configs(SHARD_TOPIC_CONFIGS);
    // a group's checkpoints are in one partition (by a hash of its name): a reader of one group reads one partition
    NewTopic checkpoints = new NewTopic(checkpointTopic, Optional.of(CHECKPOINT_PARTITIONS), flow.replicationFactor())
        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact"));
    // the flow's state (a failover, where recreated topics begin on the target): written by the shards' transactions too
    NewTopic state = StateTopic.newTopic(flow);
    target.createTopics(List.of(map, shards, checkpoints, state)).values().forEach((name, f) -> {
      try {
        KafkaCalls.await(f, TIMEOUT_MS, "create " + name + " on " + flow.target().describe());
      } catch (FerryException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    });
    TopicLeaders.await(target, List.of(mapTopic, shardTopic, checkpointTopic, stateTopic), Duration.ofSeconds(30), flow.target().describe());
    Map<String, TopicDescription> d = KafkaCalls.await(target.describeTopics(List.of(mapTopic, shardTopic)).allTopicNames(), TIMEOUT_MS,
        "describe Ferry's topics on " + flow.target().describe());
    warnIfMapUnbounded(mapTopic);
    boundShardTopic(shardTopic);
    int shardPartitions = d.get(shardTopic).partitions().size();
    if (shardPartitions != flow.shards()) {
      changeShardCount(shardTopic, shardPartitions);
    }
    return d.get(mapTopic).partitions().size();
  }

  private static final Map<String, String> SHARD_TOPIC_CONFIGS = Map.of(TopicConfig.RETENTION_MS_CONFIG, "3600000",
      TopicConfig.SEGMENT_MS_CONFIG, "600000");

  /**
   * A shard topic created by an earlier Ferry keeps the broker's default retention (a week of reports): it gets the
   * bounded retention of a new one. Not allowed to (no ALTER_CONFIGS): said once, the flow runs on.
   */
  private void boundShardTopic(String shardTopic) {
    ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, shardTopic);
    List<AlterConfigOp> ops = SHARD_TOPIC_CONFIGS.entrySet().stream()
        .map(e -> new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET)).toList();
    try {
      KafkaCalls.await(target.incrementalAlterConfigs(Map.of(r, ops)).all(), TIMEOUT_MS, "set the retention of " + shardTopic + " on "
          + flow.target().describe());
    } catch (FerryException e) {
      LOG.atWarn().addKeyValue("flow", flow.name()).log("{}; its shard reports are kept for the broker's default retention", e.getMessage());
    }
  }

  /** A map topic created by an earlier Ferry keeps every record (cleanup.policy=delete, infinite retention): said once. */
  private void warnIfMapUnbounded(String mapTopic) {
    try {
      org.apache.kafka.common.config.ConfigResource r = new org.apache.kafka.common.config.ConfigResource(
          org.apache.kafka.common.config.ConfigResource.Type.TOPIC, mapTopic);
      org.apache.kafka.clients.admin.ConfigEntry policy = KafkaCalls.await(target.describeConfigs(List.of(r)).all(), TIMEOUT_MS,
          "describe " + mapTopic + " on " + flow.target().describe()).get(r).get(TopicConfig.CLEANUP_POLICY_CONFIG);
      if (policy != null && !policy.value().contains("compact")) {
        LOG.atWarn().addKeyValue("flow", flow.name()).log("offset map {} on {} was created by an earlier Ferry with cleanup.policy={}: it keeps every"
            + " record and its size grows with uptime (translation stays exact); recreate the flow's internal topics to bound it", mapTopic,
            flow.target().describe(), policy.value());
      }
    } catch (FerryException e) {
      LOG.atDebug().addKeyValue("flow", flow.name()).log("cannot read the cleanup policy of {}: {}", mapTopic, e.getMessage());
    }
  }

  /**
   * The flow ran with another shard count. Progress is kept per partition (not per shard) and a source partition's
   * offset-map updates do not depend on the shard count, so only ownership changes: allowed when no process of the flow
   * runs. Every transactional.id of the old shards is fenced first (aborting whatever a crashed process left open), then
   * the shard topic gets the new number of partitions.
   */
  private void changeShardCount(String shardTopic, int old) {
    int running = runningProcesses();
    if (running > 0) {
      throw new FerryException(FerryException.Reason.BAD_INPUT, "shards: flow " + flow.name() + " runs with " + old + " shards on "
          + flow.target().describe() + " and " + running + " process(es) of it are running; stop them all, then start with "
          + flow.shards() + " shards (progress is kept)");
    }
    ShardFence.fence(flow, old);
    if (flow.shards() > old) {
      KafkaCalls.await(target.createPartitions(Map.of(shardTopic, NewPartitions.increaseTo(flow.shards()))).all(), TIMEOUT_MS,
          "add partitions to " + shardTopic + " on " + flow.target().describe());
    } else {
      KafkaCalls.await(target.deleteTopics(List.of(shardTopic)).all(), TIMEOUT_MS, "delete " + shardTopic + " on " + flow.target().describe());
      recreate(shardTopic);
    }
    TopicLeaders.await(target, List.of(shardTopic), Duration.ofSeconds(30), flow.target().describe());
    LOG.atInfo().addKeyValue("flow", flow.name()).log("shards changed from {} to {} (old shards fenced; progress kept)", old, flow.shards());
  }

  private int runningProcesses() {
    String group = FerryNames.membershipGroup(flow.name());
    try {
      return KafkaCalls.await(target.describeConsumerGroups(List.of(group)).describedGroups().get(group), TIMEOUT_MS,
          "describe " + group + " on " + flow.target().describe()).members().size();
    } catch (FerryException e) {
      if (!(e.getCause() instanceof GroupIdNotFoundException)) {
        throw e;
      }
      return 0;
    }
  }

  /** Creates the deleted shard topic again, once the broker has finished deleting it. */
  private void recreate(String shardTopic) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        KafkaCalls.await(target.createTopics(List.of(new NewTopic(shardTopic, Optional.of(flow.shards()), flow.replicationFactor()))).all(),
            TIMEOUT_MS, "create " + shardTopic + " on " + flow.target().describe());
        return;
      } catch (FerryException e) {
        if (!(e.getCause() instanceof TopicExistsException) || System.nanoTime() > deadline) {
          throw e;
        }
        try {
          Thread.sleep(200); // the deletion is still under way
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new FerryException(FerryException.Reason.FAILED, "interrupted while creating " + shardTopic + " again", ie);
        }
      }
    }
  }
}
