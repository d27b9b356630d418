package dev.ferry.topics;

import dev.ferry.FerryException;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.naming.TopicNaming;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;

/**
 * The clean re-sync of one replicated topic, the seed playbook's four steps as one operation: the target topic is
 * deleted, and with it the flow's progress for its partitions and every group's committed offsets on it; Ferry then
 * creates it again from the source topic (partitions, configs) and replicates the source topic from its start: at once
 * in running {@code ferry run} processes of the flow (they take that topic up again, the others go on), else at the
 * next start. Inactive target groups of the topic get their offsets again from the checkpoints, as any new topic.
 *
 * <p>Refused, with nothing changed, while a consumer group has members reading the target topic (unless forced).
 */
public final class Resync {
  private static final long TIMEOUT_MS = 30_000;
  private static final Duration DELETION_DEADLINE = Duration.ofSeconds(60);

  /**
   * What a re-sync deletes (or would delete).
   *
   * @param offsets offsets in the target topic (end minus start offset, summed over partitions: its records and
   *     transaction markers)
   * @param groupsWithOffsets target groups with committed offsets on the topic (lost with it; synced again from checkpoints)
   * @param activeGroups groups with members reading the topic now, with their member count
   */
  public record Plan(String sourceTopic, String targetTopic, boolean targetExists, int partitions, long offsets, List<String> groupsWithOffsets,
      Map<String, Integer> activeGroups) {}

  private final FlowConfig flow;
  private final String sourceTopic;

  public Resync(FlowConfig flow, String sourceTopic) {
    TopicNaming naming = TopicNaming.of(flow);
    if (!flow.topics().matches(sourceTopic) || !naming.isReplicable(sourceTopic)) {
      throw new FerryException(FerryException.Reason.BAD_INPUT, "--topic: source topic '" + sourceTopic + "' is not replicated by flow " + flow.name()
          + " (topics " + flow.topics() + ")");
    }
    this.flow = flow;
    this.sourceTopic = sourceTopic;
  }

  /** What the re-sync deletes; changes nothing. */
  public Plan plan() {
    try (Admin target = Admin.create(Clients.admin(flow.target()))) {
      return plan(target);
    }
  }

  /**
   * Deletes the target topic as {@link #plan()} says and waits until it is gone. Refused (nothing changed) when groups
   * read it now, unless {@code force}.
   */
  public Plan run(boolean force) {
    try (Admin target = Admin.create(Clients.admin(flow.target()))) {
      Plan plan = plan(target);
      if (!plan.targetExists()) {
        return plan;
      }
      if (!plan.activeGroups().isEmpty() && !force) {
        throw new FerryException(FerryException.Reason.REFUSED, "target topic " + plan.targetTopic() + " on " + flow.target().describe()
            + " is read by active consumer group(s) " + plan.activeGroups().keySet() + "; nothing was changed (stop them first, or give --force)");
      }
      org.apache.kafka.common.Uuid deleted = topicId(target, plan.targetTopic());
      KafkaCalls.await(target.deleteTopics(List.of(plan.targetTopic())).all(), TIMEOUT_MS,
          "delete topic " + plan.targetTopic() + " on " + flow.target().describe());
      long deadline = System.nanoTime() + DELETION_DEADLINE.toNanos();
      // gone, or already created again (by a running Ferry of the flow): either way the old topic is no more
      while (deleted != null && deleted.equals(topicId(target, plan.targetTopic()))) {
        if (System.nanoTime() > deadline) {
          throw new FerryException(FerryException.Reason.UNREACHABLE, "target topic " + plan.targetTopic() + " on " + flow.target().describe()
              + " is still being deleted after " + DELETION_DEADLINE.toSeconds() + " s; run the re-sync again to wait for it");
        }
        pause();
      }
      return plan;
    }
  }

  /** The id of the topic now; null when there is none. */
  private org.apache.kafka.common.Uuid topicId(Admin target, String topic) {
    return KafkaCalls.await(target.listTopics().listings(), TIMEOUT_MS, "list topics on " + flow.target().describe()).stream()
        .filter(l -> l.name().equals(topic)).map(org.apache.kafka.clients.admin.TopicListing::topicId).findFirst().orElse(null);
  }

  private Plan plan(Admin target) {
    String tt = TopicNaming.of(flow).targetTopic(sourceTopic);
    String where = flow.target().describe();
    Map<String, TopicDescription> described;
    try {
      described = KafkaCalls.await(target.describeTopics(List.of(tt)).allTopicNames(), TIMEOUT_MS, "describe topic " + tt + " on " + where);
    } catch (FerryException e) {
      if (e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) {
        return new Plan(sourceTopic, tt, false, 0, 0, List.of(), Map.of());
      }
      throw e;
    }
    List<TopicPartition> parts = described.get(tt).partitions().stream().map(p -> new TopicPartition(tt, p.partition())).toList();
    long records = 0;
    Map<TopicPartition, ListOffsetsResultInfo> starts = offsets(target, parts, OffsetSpec.earliest());
    Map<TopicPartition, ListOffsetsResultInfo> ends = offsets(target, parts, OffsetSpec.latest());
    for (TopicPartition tp : parts) {
      records += ends.get(tp).offset() - starts.get(tp).offset();
    }
    List<String> groups = KafkaCalls.await(target.listGroups(ListGroupsOptions.forConsumerGroups()).all(), TIMEOUT_MS, "list consumer groups on " + where)
        .stream().map(GroupListing::groupId).filter(g -> !g.equals(FerryNames.progressGroup(flow.name()))).sorted().toList();
    List<String> withOffsets = new ArrayList<>();
    for (String g : groups) {
      Map<TopicPartition, ?> committed = KafkaCalls.await(target.listConsumerGroupOffsets(g).partitionsToOffsetAndMetadata(), TIMEOUT_MS,
          "read offsets of group " + g + " on " + where);
      if (committed.keySet().stream().anyMatch(tp -> tp.topic().equals(tt))) {
        withOffsets.add(g);
      }
    }
    Map<String, Integer> active = new TreeMap<>();
    if (!groups.isEmpty()) {
      Map<String, ConsumerGroupDescription> d = KafkaCalls.await(target.describeConsumerGroups(groups).all(), TIMEOUT_MS,
          "describe consumer groups on " + where);
      d.forEach((g, desc) -> {
        long readers = desc.members().stream()
            .filter(m -> m.assignment().topicPartitions().stream().anyMatch(tp -> tp.topic().equals(tt))).count();
        if (readers > 0) {
          active.put(g, (int) readers);
        }
      });
    }
    return new Plan(sourceTopic, tt, true, parts.size(), records, withOffsets, active);
  }

  private Map<TopicPartition, ListOffsetsResultInfo> offsets(Admin target, List<TopicPartition> parts, OffsetSpec spec) {
    return KafkaCalls.await(target.listOffsets(parts.stream().collect(Collectors.toMap(tp -> tp, tp -> spec))).all(), TIMEOUT_MS,
        "list offsets of " + parts.get(0).topic() + " on " + flow.target().describe());
  }

  private static void pause() {
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FerryException(FerryException.Reason.FAILED, "interrupted");
    }
  }
}
