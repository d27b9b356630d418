package dev.ferry.replicate;

import dev.ferry.config.ClusterConfig;
import dev.ferry.drill.Verifier;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** The values of a topic's records as {@code Workload.plain} writes them ({@code <topic>-<i>}), for exactly-once checks. */
public final class TargetValues {
  private TargetValues() {}

  /** How many times each value is in the topic (read_committed). */
  public static Map<String, Long> counts(ClusterConfig cluster, String topic) {
    Map<String, Long> out = new TreeMap<>();
    Verifier.readAll(cluster, topic, Duration.ofSeconds(60), (tp, r) -> out.merge(new String(r.value(), StandardCharsets.UTF_8), 1L, Long::sum));
    return out;
  }

  /** The values {@code Workload.plain} writes for records {@code from .. from+count-1}. */
  public static Set<String> written(String topic, int from, int count) {
    return IntStream.range(from, from + count).mapToObj(i -> topic + "-" + i).collect(Collectors.toSet());
  }
}
