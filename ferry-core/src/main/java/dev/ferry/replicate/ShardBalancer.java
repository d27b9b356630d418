package dev.ferry.replicate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Decides which process owns which shard: balanced by measured load (bytes/s), moving as few shards as it can. Pure
 * logic, run by the group leader inside Kafka's rebalance (see {@link LoadAwareAssignor}).
 *
 * <p>Each shard costs its load plus a small base (so idle shards still spread evenly by count). Shards keep their
 * current owner; shards without one go to the least-loaded process; then, while moving one shard from the most to the
 * least loaded process lowers the higher of the two by at least {@link #MIN_GAIN}, the best such shard moves.
 */
public final class ShardBalancer {
  /** A move must lower the busiest process's load by this fraction, so small fluctuations do not move shards. */
  static final double MIN_GAIN = 0.05;

  private ShardBalancer() {}

  /**
   * @param shards number of shards
   * @param members the processes (member ids), in a stable order
   * @param current current owner of each shard (shards of members that left must not appear)
   * @param load measured bytes/s of shards; a shard without a figure counts as the average of those with one
   * @return the owner of every shard
   */
  public static Map<Integer, String> plan(int shards, List<String> members, Map<Integer, String> current, Map<Integer, Double> load) {
    if (members.isEmpty()) {
      return Map.of();
    }
    double known = load.values().stream().mapToDouble(v -> Math.max(0, v)).sum();
    double average = load.isEmpty() ? 0 : known / load.size();
    double base = Math.max(1.0, 0.01 * average);
    double[] cost = new double[shards];
    for (int s = 0; s < shards; s++) {
      cost[s] = Math.max(0, load.getOrDefault(s, average)) + base;
    }
    Map<String, Double> total = new HashMap<>();
    Map<String, List<Integer>> owned = new TreeMap<>();
    members.forEach(m -> {
      total.put(m, 0.0);
      owned.put(m, new ArrayList<>());
    });
    Map<Integer, String> plan = new TreeMap<>();
    List<Integer> unowned = new ArrayList<>();
    for (int s = 0; s < shards; s++) {
      String owner = current.get(s);
      if (owner != null && total.containsKey(owner)) {
        give(plan, total, owned, s, owner, cost);
      } else {
        unowned.add(s);
      }
    }
    unowned.sort(Comparator.comparingDouble((Integer s) -> -cost[s]).thenComparing(s -> s));
    for (int s : unowned) {
      give(plan, total, owned, s, lightest(members, total, owned), cost);
    }
    for (int round = 0; round < shards * members.size(); round++) {
      String heavy = members.stream().max(Comparator.comparingDouble(total::get)).orElseThrow();
      String light = lightest(members, total, owned);
      double gap = total.get(heavy) - total.get(light);
      Integer best = null;
      double bestMax = total.get(heavy);
      for (int s : owned.get(heavy)) {
        if (cost[s] >= gap) {
          continue;
        }
        double newMax = Math.max(total.get(heavy) - cost[s], total.get(light) + cost[s]);
        if (newMax < bestMax) {
          bestMax = newMax;
          best = s;
        }
      }
      if (best == null || bestMax > total.get(heavy) * (1 - MIN_GAIN)) {
        break;
      }
      owned.get(heavy).remove(best);
      total.put(heavy, total.get(heavy) - cost[best]);
      give(plan, total, owned, best, light, cost);
    }
    return plan;
  }

  private static void give(Map<Integer, String> plan, Map<String, Double> total, Map<String, List<Integer>> owned, int shard, String member,
      double[] cost) {
    plan.put(shard, member);
    total.put(member, total.get(member) + cost[shard]);
    owned.get(member).add(shard);
  }

  private static String lightest(List<String> members, Map<String, Double> total, Map<String, List<Integer>> owned) {
    return members.stream().min(Comparator.comparingDouble((String m) -> total.get(m)).thenComparingInt(m -> owned.get(m).size()))
        .orElseThrow();
  }
}
