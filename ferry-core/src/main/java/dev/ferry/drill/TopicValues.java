package dev.ferry.drill;

import dev.ferry.config.ClusterConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** The rehearsal's checks on what a topic holds: the numbered values {@link Workload} writes ({@code <topic>-<i>}). */
final class TopicValues {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private TopicValues() {}

  /** The values of records {@code from .. from+count-1} of {@code topic}. */
  static Set<String> numbered(String topic, int from, int count) {
    return IntStream.range(from, from + count).mapToObj(i -> topic + "-" + i).collect(Collectors.toSet());
  }

  /** The committed values of {@code transactions} transactions of {@code perTransaction} records, every 5th aborted. */
  static Set<String> committedTransactions(String topic, int from, int transactions, int perTransaction, int abortEvery) {
    Set<String> out = new HashSet<>();
    for (int t = 0; t < transactions; t++) {
      if (abortEvery <= 0 || t % abortEvery != abortEvery - 1) {
        out.addAll(numbered(topic, from + t * perTransaction, perTransaction));
      }
    }
    return out;
  }

  /** The values of a topic's records (read_committed), by partition in offset order: read once, checked many ways. */
  static Map<Integer, List<String>> read(ClusterConfig c, String topic) {
    Map<Integer, List<String>> out = new HashMap<>();
    Verifier.readAll(c, topic, TIMEOUT, (tp, r) -> out.computeIfAbsent(tp.partition(), p -> new ArrayList<>()).add(new String(r.value(),
        StandardCharsets.UTF_8)));
    return out;
  }

  /**
   * What a topic holds against {@code expected}: records found, lost (expected, absent), duplicated (found more than
   * once), and in the last column those found that were not expected.
   */
  static Rehearsal.Row check(String what, Map<Integer, List<String>> topic, Set<String> expected) {
    Map<String, Long> counts = new HashMap<>();
    topic.values().forEach(values -> values.forEach(v -> counts.merge(v, 1L, Long::sum)));
    long lost = expected.stream().filter(v -> !counts.containsKey(v)).count();
    long duplicated = counts.values().stream().mapToLong(n -> n - 1).sum();
    long unexpected = counts.keySet().stream().filter(v -> !expected.contains(v)).count();
    return new Rehearsal.Row(what, counts.values().stream().mapToLong(Long::longValue).sum(), lost, duplicated, unexpected);
  }

  /**
   * Whether the records two topics have in common are in the same order in each partition: the records compared, and in
   * the last column those out of order.
   */
  static Rehearsal.Row order(String what, Map<Integer, List<String>> xs, Map<Integer, List<String>> ys) {
    long compared = 0;
    long outOfOrder = 0;
    for (Map.Entry<Integer, List<String>> e : xs.entrySet()) {
      List<String> other = ys.getOrDefault(e.getKey(), List.of());
      Set<String> inOther = new HashSet<>(other);
      Set<String> inThis = new HashSet<>(e.getValue());
      List<String> a = e.getValue().stream().filter(inOther::contains).toList();
      List<String> b = other.stream().filter(inThis::contains).toList();
      compared += a.size();
      for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
        if (!a.get(i).equals(b.get(i))) {
          outOfOrder++;
        }
      }
    }
    return new Rehearsal.Row(what, compared, 0, 0, outOfOrder);
  }
}
