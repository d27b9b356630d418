package dev.ferry.flow;

import dev.ferry.FerryException;
import dev.ferry.kafka.KafkaCalls;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * Waits until a running flow has replicated what its source held (read_committed end offsets) when the wait began:
 * replication lag zero as of the call. For the drill and tests, which need to know that everything written so far is on
 * the target; partitions and topics with a problem are left out (they wait for an operator).
 */
final class CatchUp {
  private static final long TIMEOUT_MS = 30_000;

  private CatchUp() {}

  /** The source's read_committed end offsets of these partitions. */
  static Map<TopicPartition, Long> ends(Admin source, dev.ferry.config.FlowConfig flow, java.util.Collection<TopicPartition> partitions) {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    partitions.forEach(tp -> request.put(tp, OffsetSpec.latest()));
    Map<TopicPartition, Long> ends = new HashMap<>();
    if (request.isEmpty()) {
      return ends;
    }
    KafkaCalls.await(source.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all(), TIMEOUT_MS,
        "list end offsets on " + flow.source().describe()).forEach((tp, info) -> ends.put(tp, info.offset()));
    return ends;
  }

  /** @param selected partition count of every selected source topic */
  static void await(Replicator r, Admin source, Map<String, Integer> selected, Duration timeout) {
    Map<String, ?> topicProblems = r.status().topicProblems();
    List<TopicPartition> partitions = new java.util.ArrayList<>();
    selected.forEach((topic, count) -> {
      if (!topicProblems.containsKey(topic)) {
        for (int p = 0; p < count; p++) {
          partitions.add(new TopicPartition(topic, p));
        }
      }
    });
    Map<TopicPartition, Long> ends = ends(source, r.flow(), partitions);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      r.failure().ifPresent(e -> {
        throw e;
      });
      FlowStatus status = r.status();
      Map<TopicPartition, Long> at = status.replication().committedPositions();
      List<TopicPartition> behind = ends.entrySet().stream()
          .filter(e -> at.getOrDefault(e.getKey(), -1L) < e.getValue() && !status.replication().partitionProblems().containsKey(e.getKey()))
          .map(Map.Entry::getKey).toList();
      if (behind.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        TopicPartition tp = behind.get(0);
        throw new FerryException(FerryException.Reason.FAILED, "flow " + r.flow().name() + " did not catch up within " + timeout + ": "
            + behind.size() + " partitions behind, such as " + tp + " at " + at.getOrDefault(tp, -1L) + " of " + ends.get(tp));
      }
      try {
        if (r.awaitEnd(Duration.ofMillis(50)) && r.failure().isEmpty()) {
          throw new FerryException(FerryException.Reason.FAILED, "flow " + r.flow().name() + " was closed before it caught up");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FerryException(FerryException.Reason.FAILED, "interrupted while waiting for flow " + r.flow().name() + " to catch up");
      }
    }
  }
}
