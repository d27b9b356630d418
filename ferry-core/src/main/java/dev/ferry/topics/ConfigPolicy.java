package dev.ferry.topics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import dev.ferry.config.SyncedConfigs;

/**
 * Which topic configs a target topic takes from its source topic, and which rules the target's own configs must keep.
 *
 * <p><b>Source-owned</b> configs describe the data (how long it is kept, how it is compacted, how large a record may
 * be, how segments roll): the target follows the source's effective value, whatever is default on either broker;
 * retention and record size only upwards (a DR copy may keep more, never less, than its source).
 * <b>Target-owned</b> configs describe placement and availability on the target cluster (min.insync.replicas,
 * throttles, unclean leader election, tiered storage, the timestamp type that keeps source timestamps): never copied,
 * checked against rules instead. A flow can leave source-owned configs out of the sync ({@code exclude-configs}) and
 * set target values over both ({@code topic-configs}).
 */
public final class ConfigPolicy {
  /** Configs the target topic takes from the source topic. */
  public static final Set<String> SOURCE_OWNED = dev.ferry.config.SyncedConfigs.SOURCE_OWNED;

  /** One config of a target topic that differs from what the policy wants there. */
  public record Change(String key, Optional<String> sourceValue, Optional<String> targetValue, String wanted, boolean override) {
    @Override
    public String toString() {
      return key + ": " + targetValue.orElse("(unset)") + " -> " + wanted + (override ? " (topic-configs)" : " (as on the source)");
    }
  }

  private final Set<String> excluded;
  private final Map<String, String> overrides;

  /**
   * @param excluded source-owned configs left out of the sync
   * @param overrides values every target topic of the flow takes, over the source's
   */
  public ConfigPolicy(Set<String> excluded, Map<String, String> overrides) {
    this.excluded = Set.copyOf(excluded);
    this.overrides = Map.copyOf(overrides);
  }

  /** The configs a new target topic is created with: the source's non-default source-owned ones, and the overrides. */
  public Map<String, String> forNewTopic(Map<String, String> sourceNonDefault) {
    Map<String, String> out = new TreeMap<>();
    sourceNonDefault.forEach((k, v) -> {
      if (synced(k) && v != null) {
        out.put(k, v);
      }
    });
    out.putAll(overrides);
    return out;
  }

  /**
   * What to change on a target topic: every synced config whose effective value differs from the source's, and every
   * override the target topic does not have.
   *
   * @param source the source topic's effective configs (every key, defaults included)
   * @param target the target topic's effective configs
   */
  public List<Change> changes(Map<String, String> source, Map<String, String> target) {
    Map<String, Change> out = new TreeMap<>();
    for (String k : new TreeSet<>(source.keySet())) {
      // a key the target's brokers do not know (an older version) is left alone
      if (synced(k) && !overrides.containsKey(k) && source.get(k) != null && target.containsKey(k) && !source.get(k).equals(target.get(k))
          && !(SyncedConfigs.AT_LEAST.contains(k) && atLeast(target.get(k), source.get(k)))) {
        out.put(k, new Change(k, Optional.ofNullable(source.get(k)), Optional.ofNullable(target.get(k)), source.get(k), false));
      }
    }
    overrides.forEach((k, v) -> {
      if (!v.equals(target.get(k))) {
        out.put(k, new Change(k, Optional.ofNullable(source.get(k)), Optional.ofNullable(target.get(k)), v, true));
      }
    });
    return new ArrayList<>(out.values());
  }

  /**
   * Rules of target-owned configs a target topic breaks, one line each: min.insync.replicas above its replication
   * factor (every write would fail), and, where retention is left out of the sync, a retention shorter than the source's
   * that no override asks for (the DR copy would lose data first).
   */
  public List<String> violations(String targetTopic, int replicationFactor, Map<String, String> source, Map<String, String> target) {
    List<String> out = new ArrayList<>();
    long minIsr = number(target.get("min.insync.replicas"), 1);
    if (minIsr > replicationFactor) {
      out.add(targetTopic + ": min.insync.replicas=" + minIsr + " is above its replication factor " + replicationFactor
          + ": every write with acks=all fails");
    }
    for (String k : List.of("retention.ms", "retention.bytes")) {
      if (overrides.containsKey(k) || synced(k)) {
        continue; // asked for, or kept equal by the sync (a difference is a change, not a rule broken)
      }
      long s = number(source.get(k), -1);
      long t = number(target.get(k), -1);
      if (t >= 0 && (s < 0 || t < s)) {
        out.add(targetTopic + ": " + k + "=" + t + " is shorter than the source's " + (s < 0 ? "unlimited" : String.valueOf(s))
            + ": the DR copy would lose records first");
      }
    }
    return out;
  }

  /** Whether {@code value} is at least {@code floor}, -1 (or any negative) being unlimited. */
  private static boolean atLeast(String value, String floor) {
    long v = number(value, Long.MIN_VALUE);
    long f = number(floor, Long.MIN_VALUE);
    if (v == Long.MIN_VALUE || f == Long.MIN_VALUE) {
      return false;
    }
    return v < 0 || f >= 0 && v >= f;
  }

  /** Whether a config follows the source. */
  public boolean synced(String key) {
    return SOURCE_OWNED.contains(key) && !excluded.contains(key);
  }

  private static long number(String v, long otherwise) {
    try {
      return v == null ? otherwise : Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return otherwise;
    }
  }
}
