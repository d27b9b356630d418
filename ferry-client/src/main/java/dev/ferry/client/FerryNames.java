package dev.ferry.client;

import java.util.List;

/**
 * Every name Ferry gives to what it keeps on a target cluster: internal topics, consumer groups and transactional ids
 * of a flow. These names are public API: operators grant permissions on them and tools read them.
 */
public final class FerryNames {
  /** Every topic Ferry creates for itself starts with this. */
  public static final String INTERNAL_TOPIC_PREFIX = "__ferry.";
  /** Every consumer group and transactional id of Ferry starts with this. */
  public static final String GROUP_PREFIX = "ferry.";

  private FerryNames() {}

  /** The topic that holds a flow's offset map. */
  public static String offsetMapTopic(String flow) {
    return INTERNAL_TOPIC_PREFIX + flow + ".offset-map";
  }

  /** The topic whose partitions stand for a flow's shards; owning a partition is owning the shard. */
  public static String shardTopic(String flow) {
    return INTERNAL_TOPIC_PREFIX + flow + ".shards";
  }

  /** The compacted topic of a flow's consumer-group checkpoints. */
  public static String checkpointTopic(String flow) {
    return INTERNAL_TOPIC_PREFIX + flow + ".checkpoints";
  }

  /** The compacted topic that records a flow's state changes, such as a failover, that must outlive every process. */
  public static String stateTopic(String flow) {
    return INTERNAL_TOPIC_PREFIX + flow + ".state";
  }

  /** The consumer group through which a flow's processes share its shards. */
  public static String membershipGroup(String flow) {
    return GROUP_PREFIX + flow + ".members";
  }

  /** The consumer group where a flow commits its progress (next source offset per partition). */
  public static String progressGroup(String flow) {
    return GROUP_PREFIX + flow + ".progress";
  }

  /** The client id of a process of a flow in its membership group. */
  public static String memberClientId(String flow, String memberId) {
    return GROUP_PREFIX + flow + "." + memberId;
  }

  /** The client id of a flow's checkpoint writer. */
  public static String checkpointClientId(String flow) {
    return GROUP_PREFIX + flow + ".checkpoints";
  }

  /** The transactional.id of a shard's main lane. */
  public static String transactionalId(String flow, int shard) {
    return GROUP_PREFIX + flow + ".shard-" + shard;
  }

  /** The transactional.id of a shard's slow lane (partitions whose target writes hold up the others). */
  public static String slowLaneTransactionalId(String flow, int shard) {
    return transactionalId(flow, shard) + ".slow";
  }

  /** Every transactional.id a shard uses; a new owner fences them all. */
  public static List<String> transactionalIds(String flow, int shard) {
    return List.of(transactionalId(flow, shard), slowLaneTransactionalId(flow, shard));
  }

  /** Whether a consumer group is one of Ferry's own (never checkpointed). */
  public static boolean isFerryGroup(String group) {
    return group.startsWith(GROUP_PREFIX);
  }

  /** Whether a topic is one of Ferry's own. */
  public static boolean isFerryTopic(String topic) {
    return topic.startsWith(INTERNAL_TOPIC_PREFIX);
  }
}
