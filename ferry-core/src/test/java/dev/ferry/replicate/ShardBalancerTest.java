package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShardBalancerTest {
  private static Map<String, Long> counts(Map<Integer, String> plan) {
    Map<String, Long> out = new HashMap<>();
    plan.values().forEach(m -> out.merge(m, 1L, Long::sum));
    return out;
  }

  @Test
  void idleShardsSpreadEvenlyByCount() {
    Map<Integer, String> plan = ShardBalancer.plan(8, List.of("a", "b", "c"), Map.of(), Map.of());
    assertThat(plan).hasSize(8);
    assertThat(counts(plan).values()).allMatch(n -> n == 2 || n == 3);
  }

  @Test
  void twoHotShardsOnOneProcessAreSplit() {
    Map<Integer, String> current = Map.of(0, "a", 1, "a", 2, "a", 5, "a", 3, "b", 4, "b", 6, "b", 7, "b");
    Map<Integer, Double> load = new HashMap<>();
    for (int s = 0; s < 8; s++) {
      load.put(s, s == 1 || s == 5 ? 10_000_000.0 : 1_000_000.0);
    }
    Map<Integer, String> plan = ShardBalancer.plan(8, List.of("a", "b"), current, load);
    assertThat(plan.get(1)).isNotEqualTo(plan.get(5));
    // only what must move moves: one hot shard, then one cold one to even out 22:4 into 13:13
    long moved = current.entrySet().stream().filter(e -> !plan.get(e.getKey()).equals(e.getValue())).count();
    assertThat(moved).isEqualTo(2);
    double onA = plan.entrySet().stream().filter(e -> e.getValue().equals("a")).mapToDouble(e -> load.get(e.getKey())).sum();
    assertThat(onA).isEqualTo(13_000_000.0);
  }

  @Test
  void aBalancedAssignmentStaysPut() {
    Map<Integer, String> current = Map.of(0, "a", 1, "b", 2, "a", 3, "b");
    Map<Integer, Double> load = Map.of(0, 100.0, 1, 120.0, 2, 90.0, 3, 95.0);
    assertThat(ShardBalancer.plan(4, List.of("a", "b"), current, load)).isEqualTo(current);
  }

  @Test
  void aJoiningProcessTakesShareWithoutMovingTheRestAround() {
    Map<Integer, String> current = Map.of(0, "a", 1, "a", 2, "a", 3, "b", 4, "b", 5, "b");
    Map<Integer, String> plan = ShardBalancer.plan(6, List.of("a", "b", "c"), current, Map.of());
    assertThat(counts(plan)).containsEntry("a", 2L).containsEntry("b", 2L).containsEntry("c", 2L);
    long moved = current.entrySet().stream().filter(e -> !plan.get(e.getKey()).equals(e.getValue())).count();
    assertThat(moved).isEqualTo(2);
  }

  @Test
  void shardsOfADepartedProcessGoToTheLightest() {
    Map<Integer, String> current = Map.of(0, "a", 1, "b");
    Map<Integer, Double> load = Map.of(0, 500.0, 1, 10.0, 2, 10.0, 3, 10.0);
    Map<Integer, String> plan = ShardBalancer.plan(4, List.of("a", "b"), current, load);
    assertThat(plan.get(0)).isEqualTo("a");
    assertThat(plan.get(2)).isEqualTo("b");
    assertThat(plan.get(3)).isEqualTo("b");
  }
}
