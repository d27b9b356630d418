package dev.ferry.topics;

import dev.ferry.FerryException;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Incarnation;
import dev.ferry.kafka.Incarnations;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

/**
 * A new topic incarnation that began on a target partition: the source topic (or the target topic) was deleted and
 * created again, and from {@code targetStart} on the target partition holds records of the new incarnation, from source
 * offset {@code sourceStart}. Written by the replication, in the transaction that copies the first records of the new
 * incarnation, to the flow's state topic on the target (compacted, one record per partition and incarnation), so the
 * boundary between old and new data stays known after every process is gone.
 */
public record Recreation(TopicPartition source, String targetTopic, Incarnation before, Incarnation after, long sourceStart, long targetStart,
    Instant at) {
  private static final String KEY_PREFIX = "recreated;";
  private static final Pattern VALUE = Pattern.compile(
      "v1;at=(\\d+);target=([^;]+);before=([^;]+);after=([^;]+);source-start=(\\d+);target-start=(\\d+)");

  /** Whether the source topic changed (else the target topic was deleted and created again under the flow). */
  public boolean sourceRecreated() {
    return before.sourceDiffers(after);
  }

  /** One line for the log. */
  public String describe() {
    return what() + "; " + targetTopic + "-" + source.partition() + " holds the new topic from offset " + targetStart + " (source offset "
        + sourceStart + ")";
  }

  private String what() {
    return sourceRecreated() ? "source topic " + source.topic() + " was created again (topic id " + before.source() + " -> " + after.source() + ")"
        : "target topic " + targetTopic + " was created again (topic id " + before.target() + " -> " + after.target() + ")";
  }

  /** The record to write to the flow's state topic. */
  public ProducerRecord<byte[], byte[]> toRecord(FlowConfig flow) {
    String key = KEY_PREFIX + source.topic() + ";" + source.partition() + ";" + after.encode();
    String value = "v1;at=" + at.toEpochMilli() + ";target=" + targetTopic + ";before=" + before.encode() + ";after=" + after.encode()
        + ";source-start=" + sourceStart + ";target-start=" + targetStart;
    return new ProducerRecord<>(FerryNames.stateTopic(flow.name()), 0, key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
  }

  /** The recreation a state-topic record holds; empty for another kind of record or one this Ferry cannot read. */
  static Optional<Recreation> decode(byte[] key, byte[] value) {
    if (key == null || value == null) {
      return Optional.empty();
    }
    String k = new String(key, StandardCharsets.UTF_8);
    if (!k.startsWith(KEY_PREFIX)) {
      return Optional.empty();
    }
    String[] parts = k.substring(KEY_PREFIX.length()).split(";");
    Matcher m = VALUE.matcher(new String(value, StandardCharsets.UTF_8));
    if (parts.length != 3 || !m.matches()) {
      return Optional.empty();
    }
    Optional<Incarnation> before = Incarnation.decode(m.group(3));
    Optional<Incarnation> after = Incarnation.decode(m.group(4));
    if (before.isEmpty() || after.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(new Recreation(new TopicPartition(parts[0], Integer.parseInt(parts[1])), m.group(2), before.get(), after.get(),
          Long.parseLong(m.group(5)), Long.parseLong(m.group(6)), Instant.ofEpochMilli(Long.parseLong(m.group(1)))));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * Every recreation recorded for {@code flow}, oldest first, by target partition and new incarnation (a later record for
   * the same ones replaces an earlier). Empty when the flow has no state topic yet.
   */
  public static List<Recreation> readAll(FlowConfig flow, Duration timeout) {
    List<Recreation> out = new ArrayList<>();
    StateTopic.read(flow, timeout).forEach((key, value) -> decode(key.getBytes(StandardCharsets.UTF_8), value).ifPresent(out::add));
    out.sort(Comparator.comparing(Recreation::at).thenComparing(r -> r.source().toString()));
    return out;
  }

  /** {@link #summaries} of every recreation recorded for {@code flow}, the target's topic ids asked of {@code target}. */
  public static List<String> summaries(FlowConfig flow, Admin target, Duration timeout) {
    List<Recreation> all = readAll(flow, timeout);
    if (all.isEmpty()) {
      return List.of();
    }
    Set<String> topics = new TreeSet<>();
    all.forEach(r -> topics.add(r.targetTopic));
    try {
      return summaries(all, Incarnations.ids(target, topics).get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FerryException(FerryException.Reason.FAILED, "asking " + flow.target().describe() + " for topic ids: interrupted", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new FerryException(FerryException.Reason.UNREACHABLE, "asking " + flow.target().describe() + " for topic ids: " + e.getMessage(), e);
    }
  }

  /**
   * One line per recreated topic whose target topic is still the incarnation the recreation wrote into ({@code targetIds}:
   * the target topics' ids now; a target topic deleted since took its boundaries with it), with the first offset of the
   * new incarnation in each target partition.
   */
  public static List<String> summaries(List<Recreation> all, Map<String, Uuid> targetIds) {
    Map<String, List<Recreation>> byEvent = new LinkedHashMap<>();
    for (Recreation r : all) {
      if (r.after.target().equals(targetIds.get(r.targetTopic))) {
        byEvent.computeIfAbsent(r.targetTopic + " " + r.before.encode() + " " + r.after.encode(), k -> new ArrayList<>()).add(r);
      }
    }
    List<String> out = new ArrayList<>();
    byEvent.values().forEach(rs -> {
      Recreation first = rs.get(0);
      StringBuilder b = new StringBuilder(first.what()).append(" at ").append(first.at).append("; ").append(first.targetTopic)
          .append(" holds the new topic from offsets");
      rs.stream().sorted(Comparator.comparingInt(r -> r.source.partition()))
          .forEach(r -> b.append(' ').append(r.source.partition()).append(':').append(r.targetStart));
      out.add(b.toString());
    });
    return out;
  }
}
