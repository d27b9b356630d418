package dev.ferry.kafka;

import dev.ferry.FerryException;
import dev.ferry.config.ClusterConfig;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.utils.ExponentialBackoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Whether a cluster answers: once (commands), or until it does (a long-running flow waiting for a cluster to come up). */
public final class ClusterProbe {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterProbe.class);
  private static final ExponentialBackoff BACKOFF = new ExponentialBackoff(1_000, 2, 30_000, 0.2);

  private ClusterProbe() {}

  /** Checks that a cluster answers within {@code timeout}; the error names the cluster and its bootstrap servers. */
  public static void probe(Admin admin, ClusterConfig cluster, String role, Duration timeout) {
    try {
      KafkaCalls.await(admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis())).clusterId(),
          timeout.toMillis() + 1000, "reach " + role + " cluster " + cluster.describe());
    } catch (FerryException e) {
      throw new FerryException(e.reason(), "cannot reach " + role + " cluster " + cluster.describe()
          + (e.reason() == FerryException.Reason.UNREACHABLE ? ": no answer from its bootstrap servers" : ": " + e.getMessage()), e);
    }
  }

  /** As {@link #probe(Admin, ClusterConfig, String, Duration)} with an admin client of its own. */
  public static void probe(ClusterConfig cluster, String role, Duration timeout) {
    try (Admin admin = Admin.create(Clients.admin(cluster))) {
      probe(admin, cluster, role, timeout);
    }
  }

  /** Whether the cluster answers within {@code timeout}; logs why not. */
  public static boolean answers(Admin admin, ClusterConfig cluster, String role, Duration timeout) {
    try {
      probe(admin, cluster, role, timeout);
      return true;
    } catch (FerryException e) {
      LOG.atWarn().addKeyValue("cluster", cluster.alias()).log(e.getMessage());
      return false;
    }
  }

  /**
   * Probes until the cluster answers, waiting between attempts with exponential backoff (1 s doubling up to 30 s, 20%
   * jitter). Only "no answer" is retried; any other failure (authentication, authorization) is thrown at once, as is
   * the last failure once {@code cancelled} says to give up.
   *
   * @param pause waits the given time, returning early when the caller is closed
   */
  public static void awaitReachable(Admin admin, ClusterConfig cluster, String role, BooleanSupplier cancelled, Sleeper pause) {
    for (int attempt = 0; ; attempt++) {
      try {
        probe(admin, cluster, role, Duration.ofSeconds(15));
        return;
      } catch (FerryException e) {
        if (e.reason() != FerryException.Reason.UNREACHABLE || cancelled.getAsBoolean()) {
          throw e;
        }
        long wait = BACKOFF.backoff(attempt);
        LOG.atWarn().addKeyValue("cluster", cluster.alias()).log("{}; retrying in {} s", e.getMessage(), String.format("%.1f", wait / 1000.0));
        pause.sleep(Duration.ofMillis(wait));
      }
    }
  }

  /** A wait that the waiting component can cut short (when it is closed). */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d);
  }
}
