package dev.ferry.failover;

import dev.ferry.FerryException;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.flow.FailedOver;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.kafka.Waits;
import dev.ferry.replicate.ShardFence;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops a flow's replication for good (a failover, or the reverse flow at the end of a failback): the flow is recorded
 * as failed over in its state topic on the target, so no process replicates into it again unasked, and every shard's
 * transactional.id is fenced, so nothing of a process that did not stop is committed after.
 */
public final class ReplicationStop {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicationStop.class);
  private static final long TIMEOUT_MS = 30_000;

  private ReplicationStop() {}

  /** What {@link #stop} would find, changing nothing. */
  public static String preview(FlowConfig flow, Admin target) {
    int running = membersWithShards(flow, target, FerryNames.membershipGroup(flow.name()));
    return running > 0 ? running + " process(es) replicating; would be stopped" : "not running";
  }

  /**
   * Stops replication: records the failover on the target (so no {@code ferry run} replicates into it again unasked),
   * deletes the shard topic (running processes release their shards, committing what they hold), waits until no member
   * owns a shard, then fences every shard's transactional.id so nothing can commit after. Running it again finishes
   * what an interrupted run left.
   */
  public static String stop(FlowConfig flow, Admin target, Duration releaseDeadline) {
    String shardTopic = FerryNames.shardTopic(flow.name());
    String members = FerryNames.membershipGroup(flow.name());
    int running = membersWithShards(flow, target, members);
    Optional<FailedOver> earlier = FailedOver.read(flow);
    int shards = shardCount(flow, target, shardTopic).orElse(earlier.map(FailedOver::shards).filter(n -> n > 0).orElse(flow.shards()));
    FailedOver.record(flow, target, new FailedOver(earlier.map(FailedOver::at).orElse(Instant.now()), shards));
    try {
      KafkaCalls.await(target.deleteTopics(List.of(shardTopic)).all(), TIMEOUT_MS, "delete " + shardTopic + " on " + flow.target().describe());
    } catch (FerryException e) {
      if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
        throw e;
      }
    }
    long deadline = System.nanoTime() + releaseDeadline.toNanos();
    int holding = running;
    while (holding > 0 && System.nanoTime() < deadline) {
      Waits.pause(200);
      holding = membersWithShards(flow, target, members);
    }
    ShardFence.fence(flow, shards);
    LOG.atInfo().addKeyValue("flow", flow.name()).log("replication stopped and all {} shards fenced", shards);
    if (running == 0) {
      return "not running (all " + shards + " shards fenced)";
    }
    if (holding == 0) {
      return "stopped (" + running + " process(es) released their shards; all " + shards + " shards fenced)";
    }
    return "stopped (" + (running - holding) + " of " + running + " process(es) released their shards, " + holding + " did not within "
        + releaseDeadline.toSeconds() + " s; all " + shards + " shards fenced, so nothing more of theirs is committed)";
  }

  /** The partitions of the shard topic (the flow's real shard count); empty when it is gone. */
  private static Optional<Integer> shardCount(FlowConfig flow, Admin target, String shardTopic) {
    try {
      return Optional.of(KafkaCalls.await(target.describeTopics(List.of(shardTopic)).allTopicNames(), TIMEOUT_MS,
          "describe " + shardTopic + " on " + flow.target().describe()).get(shardTopic).partitions().size());
    } catch (FerryException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private static int membersWithShards(FlowConfig flow, Admin target, String group) {
    try {
      ConsumerGroupDescription d = KafkaCalls.await(target.describeConsumerGroups(List.of(group)).describedGroups().get(group), TIMEOUT_MS,
          "describe " + group + " on " + flow.target().describe());
      return (int) d.members().stream().filter(m -> !m.assignment().topicPartitions().isEmpty()).count();
    } catch (FerryException e) {
      if (e.getCause() instanceof GroupIdNotFoundException) {
        return 0;
      }
      throw e;
    }
  }

}
