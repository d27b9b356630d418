package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.offsets.MapUpdate;
import dev.ferry.offsets.OffsetRun;
import dev.ferry.offsets.PartitionOffsetMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** A lane never replicates on from a map that disagrees with the partition's committed progress. */
class MapCacheTest {
  private static final FlowConfig FLOW = FlowConfig.of(new ClusterConfig("A", "127.0.0.1:1"), new ClusterConfig("B", "127.0.0.1:2"),
      TopicSelection.of("t", null));
  private static final TopicPartition T0 = new TopicPartition("t", 0);

  private final Map<TopicPartition, Long> onTopic = new HashMap<>(); // the map topic: where each partition's map ends
  private int loads;
  private final MapCache cache = new MapCache(FLOW, 1, missing -> {
    loads++;
    Map<TopicPartition, PartitionOffsetMap> out = new HashMap<>();
    missing.keySet().forEach(s -> {
      if (onTopic.containsKey(s)) {
        out.put(s, mapEndingAt(onTopic.get(s)));
      }
    });
    return out;
  });
  private final List<String> problems = new ArrayList<>();

  private static PartitionOffsetMap mapEndingAt(long next) {
    PartitionOffsetMap m = new PartitionOffsetMap();
    m.apply(new MapUpdate(next, List.of(new OffsetRun(0, 0, (int) next))));
    return m;
  }

  @Test
  void aMapBehindTheProgressIsReadAgainFromTheTopic() {
    onTopic.put(T0, 10L);
    assertThat(cache.consistent(progress(10L), (s, m) -> problems.add(m)).get(T0).sourceNext()).hasValue(10);
    // another process (a stale owner) committed more of the partition meanwhile: the cached map is behind
    onTopic.put(T0, 25L);
    assertThat(cache.consistent(progress(25L), (s, m) -> problems.add(m)).get(T0).sourceNext()).hasValue(25);
    assertThat(loads).isEqualTo(2);
    assertThat(problems).isEmpty();
  }

  @Test
  void aMapThatKeepsDisagreeingStopsItsPartition() {
    onTopic.put(T0, 10L);
    Map<TopicPartition, PartitionOffsetMap> maps = cache.consistent(progress(40L), (s, m) -> problems.add(m));
    assertThat(maps).doesNotContainKey(T0);
    assertThat(problems).singleElement().satisfies(m -> assertThat(m).startsWith(
        "offset map of t-0 ends at source offset 10 but its committed progress is 40; replication of t-0 stopped"));
  }

  @Test
  void aPartitionWithoutProgressTakesWhatTheMapHas() {
    Map<TopicPartition, Long> none = new HashMap<>();
    none.put(T0, null);
    assertThat(cache.consistent(none, (s, m) -> problems.add(m)).get(T0).sourceNext()).isEmpty();
    assertThat(problems).isEmpty();
  }

  private static Map<TopicPartition, Long> progress(long next) {
    return Map.of(T0, next);
  }
}
