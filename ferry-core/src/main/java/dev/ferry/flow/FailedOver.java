package dev.ferry.flow;

import dev.ferry.FerryException;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.kafka.TopicLeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
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
  private static final long TIMEOUT_MS = 30_000;

  /** The one-line refusal for a flow that failed over. */
  public String refusal(FlowConfig flow) {
    return "flow " + flow.name() + " failed over to " + flow.target().describe() + " at " + at + ": consumers and producers work there now, and"
        + " replicating into it would mix the source's records into their topics; replication refused (to replicate into it again on"
        + " purpose, start with --resume-after-failover)";
  }

  /** Records that {@code flow} failed over (again: the record of an earlier, unfinished failover is replaced). */
  public static void record(FlowConfig flow, Admin target, FailedOver f) {
    ensureTopic(flow, target);
    write(flow, ("v1;at=" + f.at.toEpochMilli() + ";shards=" + f.shards).getBytes(StandardCharsets.UTF_8));
  }

  /** Forgets the failover: the flow replicates again. */
  static void clear(FlowConfig flow, Admin target) {
    ensureTopic(flow, target);
    write(flow, null);
  }

  /** The failover recorded for {@code flow}, if one is (and was not cleared since). */
  public static Optional<FailedOver> read(FlowConfig flow) {
    try (StateReader reader = new StateReader(flow)) {
      return reader.poll(Duration.ofSeconds(30));
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

  /** The state topic (one compacted partition), created where missing. */
  static void ensureTopic(FlowConfig flow, Admin target) {
    String topic = FerryNames.stateTopic(flow.name());
    try {
      KafkaCalls.await(target.createTopics(List.of(new NewTopic(topic, Optional.of(1), flow.replicationFactor())
          .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact")))).all(), TIMEOUT_MS, "create " + topic + " on " + flow.target().describe());
    } catch (FerryException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
    TopicLeaders.await(target, List.of(topic), Duration.ofSeconds(30), flow.target().describe());
  }

  private static void write(FlowConfig flow, byte[] value) {
    String topic = FerryNames.stateTopic(flow.name());
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Clients.checkpointProducer(flow.target(), FerryNames.checkpointClientId(flow.name())))) {
      p.send(new ProducerRecord<>(topic, 0, KEY.getBytes(StandardCharsets.UTF_8), value)).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FerryException(FerryException.Reason.FAILED, "write to " + topic + " on " + flow.target().describe() + ": interrupted", e);
    } catch (ExecutionException e) {
      throw KafkaCalls.translate(e.getCause(), "write to " + topic + " on " + flow.target().describe());
    } catch (TimeoutException e) {
      throw new FerryException(FerryException.Reason.UNREACHABLE, "write to " + topic + " on " + flow.target().describe() + ": no answer within "
          + TIMEOUT_MS + " ms", e);
    }
  }
}
