package dev.ferry.failback;

import dev.ferry.config.FlowConfig;
import dev.ferry.topics.StateTopic;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a failback stands, kept in the forward flow's state topic on B (beside its failover record) so that it outlives
 * every process and the steps can tell their order: {@code start} records that the failback began, with the end of
 * each of A's partitions then (what the reverse flow writes comes after: the divergence ends there), and {@code finish}
 * that it ended.
 *
 * @param phase started or finished
 * @param at when that phase began
 * @param primaryEnds A's end offset of every partition the forward flow replicated, when the failback started
 */
public record FailbackState(Phase phase, Instant at, Map<TopicPartition, Long> primaryEnds) {
  static final String KEY = "failback";
  private static final Pattern VALUE = Pattern.compile("v1;phase=(started|finished);at=(\\d+);ends=(.*)");
  private static final Pattern END = Pattern.compile("(.+)-(\\d+)=(\\d+)");
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** The steps a failback records. */
  public enum Phase { STARTED, FINISHED }

  public FailbackState {
    primaryEnds = Map.copyOf(primaryEnds);
  }

  /** The failback state of {@code forward}, if one was recorded. */
  public static Optional<FailbackState> read(FlowConfig forward) {
    return decode(StateTopic.read(forward, TIMEOUT).get(KEY));
  }

  /** Records it (the forward flow's state topic must exist: it does once the flow failed over). */
  public void write(FlowConfig forward) {
    StateTopic.write(forward, KEY, encode().getBytes(StandardCharsets.UTF_8), TIMEOUT);
  }

  /** Whether this state belongs to the failover that began at {@code failedOverAt} (and not to an earlier one). */
  public boolean after(Instant failedOverAt) {
    return !at.isBefore(failedOverAt);
  }

  String encode() {
    StringBuilder ends = new StringBuilder();
    primaryEnds.entrySet().stream().sorted(Map.Entry.comparingByKey(java.util.Comparator.comparing(TopicPartition::toString))).forEach(e -> ends.append(ends.isEmpty() ? "" : ",").append(e.getKey()).append('=').append(e.getValue()));
    return "v1;phase=" + phase.name().toLowerCase(java.util.Locale.ROOT) + ";at=" + at.toEpochMilli() + ";ends=" + ends;
  }

  static Optional<FailbackState> decode(byte[] value) {
    if (value == null) {
      return Optional.empty();
    }
    Matcher m = VALUE.matcher(new String(value, StandardCharsets.UTF_8));
    if (!m.matches()) {
      return Optional.empty(); // written by a later Ferry: not ours to interpret
    }
    Map<TopicPartition, Long> ends = new java.util.HashMap<>();
    if (!m.group(3).isEmpty()) {
      // topic names hold no comma or '=' (Kafka allows letters, digits, '.', '_' and '-')
      for (String e : m.group(3).split(",")) {
        Matcher em = END.matcher(e);
        if (em.matches()) {
          ends.put(new TopicPartition(em.group(1), Integer.parseInt(em.group(2))), Long.parseLong(em.group(3)));
        }
      }
    }
    return Optional.of(new FailbackState(Phase.valueOf(m.group(1).toUpperCase(java.util.Locale.ROOT)), Instant.ofEpochMilli(Long.parseLong(m.group(2))),
        ends));
  }
}
