package dev.ferry.replicate;

import dev.ferry.FerryException;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.KafkaCalls;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;

/** Asks the flow's group coordinator whether this process owns a shard right now (not what its own consumer last heard). */
final class MemberCheck {
  private final String group;
  private final String clientId;
  private final String shardTopic;
  private final Admin target;
  private final String where;

  MemberCheck(FlowConfig flow, String memberId, Admin target) {
    this.group = FerryNames.membershipGroup(flow.name());
    this.clientId = FerryNames.memberClientId(flow.name(), memberId);
    this.shardTopic = FerryNames.shardTopic(flow.name());
    this.target = target;
    this.where = flow.target().describe();
  }

  Ownership ownership(int shard) {
    ConsumerGroupDescription d;
    try {
      d = KafkaCalls.await(target.describeConsumerGroups(List.of(group)).describedGroups().get(group), 10_000, "describe " + group + " on " + where);
    } catch (FerryException e) {
      return Ownership.UNKNOWN;
    }
    if (d.groupState() != GroupState.STABLE) {
      return Ownership.UNKNOWN;
    }
    TopicPartition mine = new TopicPartition(shardTopic, shard);
    for (MemberDescription m : d.members()) {
      if (m.clientId().equals(clientId)) {
        return m.assignment().topicPartitions().contains(mine) ? Ownership.CONFIRMED : Ownership.NOT_OWNER;
      }
    }
    return Ownership.NOT_OWNER;
  }
}
