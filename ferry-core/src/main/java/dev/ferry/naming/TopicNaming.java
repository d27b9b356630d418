package dev.ferry.naming;

import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import java.util.Optional;

/**
 * Maps source topic names to target topic names for one flow, and decides which topics are never replicated:
 * internal topics ({@code __*}, {@code _confluent*}), Ferry's own, and under prefix naming the replicas of the
 * target's own topics (a topic {@code B.orders} on cluster A is not sent back to B).
 */
public final class TopicNaming {
  /** Every topic Ferry creates for itself starts with this. */
  public static final String FERRY_INTERNAL_PREFIX = "__ferry.";

  private final Naming naming;
  private final String sourceAlias;
  private final String targetAlias;

  public TopicNaming(Naming naming, String sourceAlias, String targetAlias) {
    this.naming = naming;
    this.sourceAlias = sourceAlias;
    this.targetAlias = targetAlias;
  }

  public static TopicNaming of(FlowConfig flow) {
    return new TopicNaming(flow.naming(), flow.source().alias(), flow.target().alias());
  }

  public String targetTopic(String sourceTopic) {
    return naming.mode() == Naming.Mode.PREFIX ? sourceAlias + naming.separator() + sourceTopic : sourceTopic;
  }

  /** The source topic a target topic replicates, if the name is one this flow produces. */
  public Optional<String> sourceTopic(String targetTopic) {
    if (naming.mode() == Naming.Mode.IDENTITY) {
      return Optional.of(targetTopic);
    }
    String prefix = sourceAlias + naming.separator();
    return targetTopic.startsWith(prefix) && targetTopic.length() > prefix.length()
        ? Optional.of(targetTopic.substring(prefix.length()))
        : Optional.empty();
  }

  /** Whether a source topic may be replicated at all by this flow, whatever the user's selection. */
  public boolean isReplicable(String sourceTopic) {
    if (isInternal(sourceTopic)) {
      return false;
    }
    if (naming.mode() == Naming.Mode.PREFIX && sourceTopic.startsWith(targetAlias + naming.separator())) {
      return false;
    }
    return targetTopic(sourceTopic).length() <= 249;
  }

  public static boolean isInternal(String topic) {
    return topic.startsWith("__") || topic.startsWith("_confluent") || topic.startsWith(FERRY_INTERNAL_PREFIX);
  }

  /** The topic on the target that holds a flow's offset map. */
  public static String offsetMapTopic(String flow) {
    return FERRY_INTERNAL_PREFIX + flow + ".offset-map";
  }

  /** The topic on the target whose partitions stand for a flow's shards; owning a partition is owning the shard. */
  public static String shardTopic(String flow) {
    return FERRY_INTERNAL_PREFIX + flow + ".shards";
  }

  /** The consumer group on the target through which a flow's processes share its shards. */
  public static String membershipGroup(String flow) {
    return "ferry." + flow + ".members";
  }

  /** The consumer group on the target where a flow commits its progress (next source offset per partition). */
  public static String progressGroup(String flow) {
    return "ferry." + flow + ".progress";
  }

  /** The transactional.id of a shard's main lane. */
  public static String transactionalId(String flow, int shard) {
    return "ferry." + flow + ".shard-" + shard;
  }

  /** The transactional.id of a shard's slow lane (partitions whose target writes hold up the others). */
  public static String slowLaneTransactionalId(String flow, int shard) {
    return transactionalId(flow, shard) + ".slow";
  }

  /** Every transactional.id a shard uses; a new owner fences them all. */
  public static java.util.List<String> transactionalIds(String flow, int shard) {
    return java.util.List.of(transactionalId(flow, shard), slowLaneTransactionalId(flow, shard));
  }
}
