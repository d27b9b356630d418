package dev.ferry.groups;

import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** Which target offsets a sync commits: the rules, apart from the Admin calls that read and write them. Pure. */
final class SyncPlan {
  private SyncPlan() {}

  /**
   * The offsets to commit, by group: a partition moves when the group has no offset there yet or its translation is
   * ahead of it; backwards only with {@code forceRewind}. With more than {@code maxGroups} groups to move, those whose
   * target offsets are furthest behind their translations (summed over partitions) go first; the rest wait for the
   * next round.
   *
   * @param groups the groups that may be synced (none with members on the target)
   * @param wanted the translated target offsets, by group
   * @param current the groups' committed target offsets
   */
  static Map<String, Map<TopicPartition, Long>> moves(Collection<String> groups, Map<String, Map<TopicPartition, Long>> wanted,
      Map<String, Map<TopicPartition, OffsetAndMetadata>> current, boolean forceRewind, int maxGroups) {
    Map<String, Map<TopicPartition, Long>> moves = new HashMap<>();
    Map<String, Long> behind = new HashMap<>();
    for (String g : groups) {
      Map<TopicPartition, OffsetAndMetadata> now = current.getOrDefault(g, Map.of());
      Map<TopicPartition, Long> m = new HashMap<>();
      long[] distance = {0};
      wanted.getOrDefault(g, Map.of()).forEach((tp, off) -> {
        OffsetAndMetadata at = now.get(tp);
        if (at == null || off > at.offset() || (forceRewind && off != at.offset())) {
          m.put(tp, off);
          distance[0] += off - (at == null ? 0 : at.offset());
        }
      });
      if (!m.isEmpty()) {
        moves.put(g, m);
        behind.put(g, distance[0]);
      }
    }
    if (moves.size() > maxGroups) {
      moves.keySet().stream().sorted(Comparator.comparing((String g) -> behind.get(g)).reversed()).skip(maxGroups).toList()
          .forEach(moves::remove);
    }
    return moves;
  }
}
