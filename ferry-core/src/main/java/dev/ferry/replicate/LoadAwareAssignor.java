package dev.ferry.replicate;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Configurable;
import org.apache.kafka.common.TopicPartition;

/**
 * Kafka's group rebalance hands out a flow's shards (the partitions of its shard topic) with this assignor: each
 * process sends the load it measured on the shards it owns (bytes/s) with its subscription, and the group leader
 * places shards with {@link ShardBalancer}. Cooperative: a shard that changes owner is first given up by its current
 * owner (which commits and stops it), and the follow-up rebalance gives it to the new one, so no shard ever has two.
 */
public final class LoadAwareAssignor implements ConsumerPartitionAssignor, Configurable {
  /** Consumer config key under which the membership consumer passes its {@link MeasuredLoad}. */
  static final String LOAD_CONFIG = "ferry.measured.shard.load";
  private static final byte VERSION = 1;

  private MeasuredLoad load = new MeasuredLoad();
  /** Leader's memory: the last figure heard for each shard, for shards whose owner has none yet (just moved). */
  private final Map<Integer, Double> lastKnown = new HashMap<>();

  /** The load this process measured on its shards, shared between its membership loop and this assignor. */
  static final class MeasuredLoad {
    private final AtomicReference<Map<Integer, Double>> current = new AtomicReference<>(Map.of());
    private final AtomicReference<Map<Integer, Double>> reported = new AtomicReference<>(Map.of());

    void set(Map<Integer, Double> bytesPerSecond) {
      current.set(Map.copyOf(bytesPerSecond));
    }

    /** The figures to send with the next subscription; remembered as what the group was last told. */
    Map<Integer, Double> forSubscription() {
      Map<Integer, Double> c = current.get();
      reported.set(c);
      return c;
    }

    /** Whether the load changed markedly since the group was last told (worth a rebalance). */
    boolean changedSinceReported(double minBytesPerSecond) {
      Map<Integer, Double> c = current.get();
      Map<Integer, Double> r = reported.get();
      double sumC = c.values().stream().mapToDouble(Double::doubleValue).sum();
      double sumR = r.values().stream().mapToDouble(Double::doubleValue).sum();
      double scale = Math.max(sumC, sumR);
      if (scale < minBytesPerSecond) {
        return false;
      }
      Set<Integer> shards = new TreeSet<>(c.keySet());
      shards.addAll(r.keySet());
      double diff = shards.stream().mapToDouble(s -> Math.abs(c.getOrDefault(s, 0.0) - r.getOrDefault(s, 0.0))).sum();
      return diff > 0.25 * scale;
    }
  }

  @Override
  public void configure(Map<String, ?> configs) {
    if (configs.get(LOAD_CONFIG) instanceof MeasuredLoad m) {
      load = m;
    }
  }

  @Override
  public String name() {
    return "ferry-load-aware";
  }

  @Override
  public List<RebalanceProtocol> supportedProtocols() {
    return List.of(RebalanceProtocol.COOPERATIVE);
  }

  @Override
  public ByteBuffer subscriptionUserData(Set<String> topics) {
    Map<Integer, Double> l = load.forSubscription();
    ByteBuffer b = ByteBuffer.allocate(1 + 4 + l.size() * 12);
    b.put(VERSION).putInt(l.size());
    l.forEach((shard, bps) -> b.putInt(shard).putDouble(bps));
    return b.flip();
  }

  static Map<Integer, Double> decode(ByteBuffer userData) {
    Map<Integer, Double> out = new HashMap<>();
    if (userData == null || userData.remaining() < 5) {
      return out;
    }
    ByteBuffer b = userData.duplicate();
    if (b.get() != VERSION) {
      return out; // a newer Ferry's figures: place by count meanwhile
    }
    int n = b.getInt();
    for (int i = 0; i < n && b.remaining() >= 12; i++) {
      out.put(b.getInt(), b.getDouble());
    }
    return out;
  }

  @Override
  public GroupAssignment assign(Cluster metadata, GroupSubscription groupSubscription) {
    Map<String, Subscription> subs = groupSubscription.groupSubscription();
    Map<String, List<TopicPartition>> out = new HashMap<>();
    subs.keySet().forEach(m -> out.put(m, new ArrayList<>()));
    String topic = subs.values().stream().flatMap(s -> s.topics().stream()).findFirst().orElse(null);
    Integer shards = topic == null ? null : metadata.partitionCountForTopic(topic);
    if (shards != null) {
      Map<Integer, String> current = new HashMap<>();
      Map<Integer, Integer> generation = new HashMap<>();
      subs.forEach((member, sub) -> {
        int gen = sub.generationId().orElse(-1);
        for (TopicPartition tp : sub.ownedPartitions()) {
          if (tp.topic().equals(topic) && tp.partition() < shards && gen >= generation.getOrDefault(tp.partition(), Integer.MIN_VALUE)) {
            current.put(tp.partition(), member); // a stale claim (older generation) loses
            generation.put(tp.partition(), gen);
          }
        }
      });
      Map<Integer, Double> measured = new HashMap<>();
      subs.forEach((member, sub) -> decode(sub.userData()).forEach((shard, bps) -> {
        if (member.equals(current.get(shard))) {
          measured.put(shard, bps);
        }
      }));
      lastKnown.putAll(measured);
      lastKnown.keySet().removeIf(shard -> shard >= shards);
      Map<Integer, String> plan = ShardBalancer.plan(shards, new ArrayList<>(new TreeSet<>(subs.keySet())), current, Map.copyOf(lastKnown));
      plan.forEach((shard, member) -> {
        String owner = current.get(shard);
        if (owner == null || owner.equals(member)) {
          out.get(member).add(new TopicPartition(topic, shard));
        }
        // else its owner gives it up now and the follow-up rebalance gives it to the new owner
      });
    }
    Map<String, Assignment> assignments = new HashMap<>();
    out.forEach((m, tps) -> assignments.put(m, new Assignment(tps)));
    return new GroupAssignment(assignments);
  }
}
