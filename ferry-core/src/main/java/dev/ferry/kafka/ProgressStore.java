package dev.ferry.kafka;

import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A flow's replication progress: the next source offset to replicate, per partition, committed by the shards' transactions
 * as offsets of the flow's progress group on the target, keyed by the target partition. The one place that reads it.
 */
public final class ProgressStore {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressStore.class);
  private static final long TIMEOUT_MS = 60_000;
  private static final String RETENTION = "offsets.retention.minutes";

  private final Admin target;
  private final String group;
  private final String where;

  public ProgressStore(Admin target, FlowConfig flow) {
    this.target = target;
    this.group = FerryNames.progressGroup(flow.name());
    this.where = flow.target().describe();
  }

  /** Progress that does not advance is committed again at least this often, whatever the broker's offset retention. */
  static final Duration MAX_REFRESH = Duration.ofHours(1);

  /**
   * How often the shards commit progress that did not advance, so the broker never expires it: a quarter of the target
   * brokers' {@code offsets.retention.minutes} (committed offsets of a group without members expire that long after
   * their commit), at most {@link #MAX_REFRESH}. When the setting cannot be read (no permission to describe the
   * brokers' configs), {@link #MAX_REFRESH}.
   */
  public Duration refreshInterval() {
    try {
      Collection<Node> nodes = KafkaCalls.await(target.describeCluster().nodes(), TIMEOUT_MS, "describe " + where);
      ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(nodes.iterator().next().id()));
      Config config = KafkaCalls.await(target.describeConfigs(List.of(broker)).all(), TIMEOUT_MS, "describe broker configs of " + where)
          .get(broker);
      ConfigEntry retention = config == null ? null : config.get(RETENTION);
      if (retention == null || retention.value() == null) {
        return MAX_REFRESH;
      }
      return refreshFor(Duration.ofMinutes(Long.parseLong(retention.value())));
    } catch (RuntimeException e) {
      LOG.atInfo().addKeyValue("group", group).log("{} of {} unknown ({}); progress is committed again every {}", RETENTION, where,
          e.getMessage(), MAX_REFRESH);
      return MAX_REFRESH;
    }
  }

  /** A quarter of {@code retention}, at most {@link #MAX_REFRESH} and at least a second. */
  static Duration refreshFor(Duration retention) {
    Duration quarter = retention.dividedBy(4);
    return quarter.compareTo(MAX_REFRESH) > 0 ? MAX_REFRESH : quarter.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : quarter;
  }

  /** The group the shards' transactions commit progress to. */
  public String group() {
    return group;
  }

  /**
   * Progress is committed to a group no consumer joins: fencing comes from the shard's transactional.id, not from a
   * group generation. Kafka offers no other way to name such a group to sendOffsetsToTransaction.
   */
  @SuppressWarnings("removal")
  public static ConsumerGroupMetadata groupMetadata(FlowConfig flow) {
    return new ConsumerGroupMetadata(FerryNames.progressGroup(flow.name()));
  }

  /**
   * One partition's committed progress: the next source offset to replicate, the gaps reported so far, and the
   * incarnations (topic ids) of the source and target topic it belongs to ({@link Incarnation#UNKNOWN} when it was
   * committed without them).
   */
  public record Progress(long next, SourceGaps gaps, Incarnation incarnation) {
    private static final Pattern IDS = Pattern.compile("(?:^|;)ids=([^;]*)");

    public Progress(long next, SourceGaps gaps) {
      this(next, gaps, Incarnation.UNKNOWN);
    }

    /** The committed form: the offset, with the topic ids and the gaps as its metadata ({@code ids=<src>/<tgt>;gaps=...}). */
    public OffsetAndMetadata toOffset() {
      String g = gaps.encode();
      String ids = incarnation.equals(Incarnation.UNKNOWN) ? "" : "ids=" + incarnation.encode();
      return new OffsetAndMetadata(next, ids.isEmpty() ? g : g.isEmpty() ? ids : ids + ";" + g);
    }

    /** Reads {@link #toOffset()}'s form. */
    public static Progress of(OffsetAndMetadata committed) {
      Matcher m = IDS.matcher(committed.metadata() == null ? "" : committed.metadata());
      Incarnation ids = m.find() ? Incarnation.decode(m.group(1)).orElse(Incarnation.UNKNOWN) : Incarnation.UNKNOWN;
      return new Progress(committed.offset(), SourceGaps.decode(committed.metadata()), ids);
    }
  }

  /**
   * Committed progress of these target partitions (those without any are left out), waiting for transactions that
   * are still committing offsets of the group to settle.
   */
  public Map<TopicPartition, Long> read(Collection<TopicPartition> targetPartitions) {
    return offsets(readCommitted(targetPartitions));
  }

  /** Like {@link #read(Collection)}, with each partition's reported gaps. */
  public Map<TopicPartition, Progress> readProgress(Collection<TopicPartition> targetPartitions) {
    return progress(readCommitted(targetPartitions));
  }

  private Map<TopicPartition, OffsetAndMetadata> readCommitted(Collection<TopicPartition> targetPartitions) {
    if (targetPartitions.isEmpty()) {
      return Map.of();
    }
    return KafkaCalls.await(
        target.listConsumerGroupOffsets(Map.of(group, new ListConsumerGroupOffsetsSpec().topicPartitions(targetPartitions)),
                new ListConsumerGroupOffsetsOptions().requireStable(true))
            .partitionsToOffsetAndMetadata(group),
        TIMEOUT_MS, "read progress of group " + group + " on " + where);
  }

  /** All committed progress of the flow, by target partition. */
  public Map<TopicPartition, Long> readAll() {
    return offsets(readAllCommitted());
  }

  /** All committed progress of the flow with each partition's reported gaps, by target partition. */
  public Map<TopicPartition, Progress> readAllProgress() {
    return progress(readAllCommitted());
  }

  private static Map<TopicPartition, Progress> progress(Map<TopicPartition, OffsetAndMetadata> committed) {
    Map<TopicPartition, Progress> out = new HashMap<>();
    committed.forEach((tp, om) -> {
      if (om != null) {
        out.put(tp, Progress.of(om));
      }
    });
    return out;
  }

  private Map<TopicPartition, OffsetAndMetadata> readAllCommitted() {
    return KafkaCalls.await(target.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata(), TIMEOUT_MS,
        "read progress of group " + group + " on " + where);
  }

  /** Target topics the flow has committed progress for: it replicated them before. */
  public Set<String> topics() {
    Set<String> topics = new TreeSet<>();
    readAll().keySet().forEach(tp -> topics.add(tp.topic()));
    return topics;
  }

  private static Map<TopicPartition, Long> offsets(Map<TopicPartition, OffsetAndMetadata> committed) {
    Map<TopicPartition, Long> out = new HashMap<>();
    committed.forEach((tp, om) -> {
      if (om != null) {
        out.put(tp, om.offset());
      }
    });
    return out;
  }
}
