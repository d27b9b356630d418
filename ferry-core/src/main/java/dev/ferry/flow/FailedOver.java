package dev.ferry.flow;

import dev.ferry.FerryException;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.kafka.TopicLeaders;
import dev.ferry.topics.StateTopic;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The durable record, in the flow's state topic on the target, that the flow failed over: from then on the target is
 * where consumers and producers work, and replication into it would mix the source's newer records into their topics.
 * {@code ferry run} refuses such a flow (a running process stops) until it is told to replicate again on purpose.
 *
 * @param at when the failover began
 * @param shards the flow's shard count then (the shards it fenced)
 */
public record FailedOver(Instant at, int shards) {
  private static final String KEY = "failed-over";
  private static final Pattern VALUE = Pattern.compile("v1;at=(\\d+);shards=(\\d+)");
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** The one-line refusal for a flow that failed over. */
  public String refusal(FlowConfig flow) {
    return "flow " + flow.name() + " failed over to " + flow.target().describe() + " at " + at + ": consumers and producers work there now, and"
        + " replicating into it would mix the source's records into their topics; replication refused (to replicate into it again on"
        + " purpose, start with --resume-after-failover)";
  }

  /** Records that {@code flow} failed over (again: the record of an earlier, unfinished failover is replaced). */
  public static void record(FlowConfig flow, Admin target, FailedOver f) {
    ensureTopic(flow, target);
    StateTopic.write(flow, KEY, ("v1;at=" + f.at.toEpochMilli() + ";shards=" + f.shards).getBytes(StandardCharsets.UTF_8), TIMEOUT);
  }

  /** Forgets the failover: the flow replicates again. */
  public static void clear(FlowConfig flow, Admin target) {
    ensureTopic(flow, target);
    StateTopic.write(flow, KEY, null, TIMEOUT);
  }

  /** The failover recorded for {@code flow}, if one is (and was not cleared since). */
  public static Optional<FailedOver> read(FlowConfig flow) {
    try (StateReader reader = new StateReader(flow)) {
      return reader.poll(Duration.ofSeconds(30));
    } catch (org.apache.kafka.common.KafkaException e) {
      throw new FerryException(FerryException.Reason.UNREACHABLE, "read " + FerryNames.stateTopic(flow.name()) + " on " + flow.target().describe() + ": "
          + e.getMessage(), e);
    }
  }

  static Optional<FailedOver> decode(byte[] value) {
    if (value == null) {
      return Optional.empty();
    }
    Matcher m = VALUE.matcher(new String(value, StandardCharsets.UTF_8));
    if (!m.matches()) {
      // written by a later Ferry: still a failover, of an unknown shard count
      return Optional.of(new FailedOver(Instant.EPOCH, 0));
    }
    return Optional.of(new FailedOver(Instant.ofEpochMilli(Long.parseLong(m.group(1))), Integer.parseInt(m.group(2))));
  }

  static boolean isFailoverKey(byte[] key) {
    return key != null && KEY.equals(new String(key, StandardCharsets.UTF_8));
  }

  /** The state topic, created where missing (a flow that never ran with this Ferry may not have it yet). */
  static void ensureTopic(FlowConfig flow, Admin target) {
    String topic = FerryNames.stateTopic(flow.name());
    try {
      KafkaCalls.await(target.createTopics(List.of(StateTopic.newTopic(flow))).all(), TIMEOUT.toMillis(), "create " + topic + " on " + flow.target().describe());
    } catch (FerryException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
    TopicLeaders.await(target, List.of(topic), TIMEOUT, flow.target().describe());
  }
}
