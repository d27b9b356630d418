package dev.ferry.kafka;

import dev.ferry.FerryException;
import dev.ferry.config.ClusterConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * Whether a cluster is fit to take traffic again (the failback playbook's first step): every broker holding the topics
 * answers, the KRaft controller quorum has a leader and its voters are caught up, no partition of the topics is
 * offline or under-replicated, and the brokers have the disk for what is to be written to them. Each check is one
 * result with its reason; a cluster that does not answer at all fails the first.
 */
public final class ClusterHealth {
  /** A voter further behind the quorum leader than this many records, or caught up longer ago than {@link #CAUGHT_UP_MS}, lags. */
  static final long VOTER_LAG = 1_000;
  static final long CAUGHT_UP_MS = 30_000;
  private static final long TIMEOUT_MS = 10_000;

  /** One check: its name ("brokers", "controller quorum", "partitions", "disk"), whether it holds, and what was seen. */
  public record Check(String name, boolean ok, String detail) {}

  private ClusterHealth() {}

  /**
   * The checks of {@code cluster} for {@code topics} (those of them that exist), which are to take {@code bytesToWrite}
   * bytes more.
   */
  public static List<Check> check(Admin admin, ClusterConfig cluster, Collection<String> topics, long bytesToWrite, long nowMs) {
    List<Check> out = new ArrayList<>();
    String where = cluster.describe();
    Set<Integer> live;
    try {
      live = KafkaCalls.await(admin.describeCluster().nodes(), TIMEOUT_MS, "describe cluster " + where).stream().map(Node::id)
          .collect(Collectors.toCollection(TreeSet::new));
    } catch (FerryException e) {
      out.add(new Check("brokers", false, where + " does not answer: " + e.getMessage()));
      return out;
    }
    Map<String, String> undescribed = new TreeMap<>();
    Map<String, TopicDescription> described;
    try {
      described = topics.isEmpty() ? Map.of() : AdminTopics.describe(admin, topics, "describe topics on " + where, undescribed);
    } catch (FerryException e) {
      out.add(new Check("brokers", false, where + " does not answer about its topics: " + e.getMessage()));
      return out;
    }
    Set<Integer> holding = new TreeSet<>();
    List<String> offline = new ArrayList<>();
    List<String> underReplicated = new ArrayList<>();
    for (TopicDescription d : described.values()) {
      for (TopicPartitionInfo p : d.partitions()) {
        p.replicas().forEach(n -> holding.add(n.id()));
        if (p.leader() == null || p.leader().isEmpty()) {
          offline.add(d.name() + "-" + p.partition());
        } else if (p.isr().size() < p.replicas().size()) {
          underReplicated.add(d.name() + "-" + p.partition() + " (" + p.isr().size() + " of " + p.replicas().size() + " in sync)");
        }
      }
    }
    Set<Integer> missing = new TreeSet<>(holding);
    missing.removeAll(live);
    out.add(missing.isEmpty() ? new Check("brokers", true, live.size() + " broker(s) answer: " + live)
        : new Check("brokers", false, "broker(s) " + missing + " hold replicas of the topics but are not registered with " + where
            + " (down or fenced); " + live.size() + " answer: " + live));
    out.add(quorum(admin, where, nowMs));
    undescribed.forEach((t, why) -> offline.add(t + " (cannot be described: " + why + ")"));
    if (!offline.isEmpty() || !underReplicated.isEmpty()) {
      out.add(new Check("partitions", false, (offline.isEmpty() ? "" : offline.size() + " offline: " + first(offline) + (underReplicated.isEmpty() ? "" : "; "))
          + (underReplicated.isEmpty() ? "" : underReplicated.size() + " under-replicated: " + first(underReplicated))));
    } else {
      out.add(new Check("partitions", true, described.values().stream().mapToInt(d -> d.partitions().size()).sum() + " partition(s) of "
          + described.size() + " topic(s) online and in sync"));
    }
    out.add(disk(admin, where, live, bytesToWrite));
    return out;
  }

  /** Whether the cluster answered at all (one that does not fails the first check and gets no other). */
  public static boolean answered(List<Check> checks) {
    return checks.size() > 1;
  }

  /** Whether every check holds. */
  public static boolean healthy(List<Check> checks) {
    return checks.stream().allMatch(Check::ok);
  }

  private static Check quorum(Admin admin, String where, long nowMs) {
    QuorumInfo q;
    try {
      q = KafkaCalls.await(admin.describeMetadataQuorum().quorumInfo(), TIMEOUT_MS, "describe the metadata quorum of " + where);
    } catch (FerryException e) {
      if (e.getCause() instanceof UnsupportedVersionException) {
        return new Check("controller quorum", true, "not reported (not a KRaft cluster)");
      }
      return new Check("controller quorum", false, "no answer about the controller quorum: " + e.getMessage());
    }
    if (q.leaderId() < 0) {
      return new Check("controller quorum", false, "the controller quorum has no leader");
    }
    long leaderEnd = q.voters().stream().filter(v -> v.replicaId() == q.leaderId()).mapToLong(QuorumInfo.ReplicaState::logEndOffset).max().orElse(0);
    List<String> lagging = new ArrayList<>();
    for (QuorumInfo.ReplicaState v : q.voters()) {
      if (v.replicaId() == q.leaderId()) {
        continue;
      }
      long lag = leaderEnd - v.logEndOffset();
      long caughtUpAgo = v.lastCaughtUpTimestamp().isPresent() ? nowMs - v.lastCaughtUpTimestamp().getAsLong() : Long.MAX_VALUE;
      if (lag > VOTER_LAG || caughtUpAgo > CAUGHT_UP_MS) {
        lagging.add("voter " + v.replicaId() + " (" + lag + " records behind, caught up "
            + (caughtUpAgo == Long.MAX_VALUE ? "never" : caughtUpAgo / 1000 + " s ago") + ")");
      }
    }
    return lagging.isEmpty() ? new Check("controller quorum", true, "leader " + q.leaderId() + ", " + q.voters().size() + " voter(s) caught up")
        : new Check("controller quorum", false, "leader " + q.leaderId() + ", not caught up: " + String.join(", ", lagging));
  }

  private static Check disk(Admin admin, String where, Set<Integer> brokers, long bytesToWrite) {
    Map<Integer, Map<String, LogDirDescription>> dirs;
    try {
      dirs = KafkaCalls.await(admin.describeLogDirs(brokers).allDescriptions(), TIMEOUT_MS, "describe log dirs of " + where);
    } catch (FerryException e) {
      return new Check("disk", false, "free disk not known: " + e.getMessage());
    }
    long leastFree = Long.MAX_VALUE;
    String leastWhere = "";
    for (Map.Entry<Integer, Map<String, LogDirDescription>> b : dirs.entrySet()) {
      for (Map.Entry<String, LogDirDescription> d : b.getValue().entrySet()) {
        if (d.getValue().error() == null && d.getValue().usableBytes().isPresent() && d.getValue().usableBytes().getAsLong() < leastFree) {
          leastFree = d.getValue().usableBytes().getAsLong();
          leastWhere = "broker " + b.getKey() + " " + d.getKey();
        }
      }
    }
    if (leastFree == Long.MAX_VALUE) {
      return new Check("disk", true, "free disk not reported by the brokers; " + bytes(bytesToWrite) + " to write");
    }
    // every byte could land on the fullest broker's log dir; twice that leaves room for the traffic that follows
    boolean ok = leastFree >= 2 * bytesToWrite;
    return new Check("disk", ok, "least free: " + bytes(leastFree) + " (" + leastWhere + "); " + bytes(bytesToWrite) + " to write"
        + (ok ? "" : ", which needs twice that free"));
  }

  private static String first(List<String> items) {
    return items.size() <= 5 ? String.join(", ", items) : String.join(", ", items.subList(0, 5)) + ", ...";
  }

  /** A byte count as people read it: "512 B", "3.2 MiB", "1.5 GiB". */
  public static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
