package dev.ferry.kafka;

import dev.ferry.FerryException;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;

/** Waits for topics to be writable. */
public final class TopicLeaders {
  private static final long TIMEOUT_MS = 30_000;

  private TopicLeaders() {}

  /**
   * Waits until every partition of {@code topics} has a leader. Producing to a topic in the moment after its creation
   * can fail (NOT_LEADER_OR_FOLLOWER, then out-of-order sequences); waiting for leaders first avoids that.
   */
  public static void await(Admin admin, Collection<String> topics, Duration timeout, String where) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Map<String, TopicDescription> d;
      try {
        d = KafkaCalls.await(admin.describeTopics(topics).allTopicNames(), TIMEOUT_MS, "describe " + topics + " on " + where);
      } catch (FerryException e) {
        if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
          throw e;
        }
        d = Map.of();
      }
      boolean ready = d.size() == topics.size() && d.values().stream()
          .allMatch(t -> t.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
      if (ready) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new FerryException(FerryException.Reason.FAILED, "topics " + topics + " on " + where + " have no leader after " + timeout);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FerryException(FerryException.Reason.FAILED, "interrupted while waiting for leaders of " + topics);
      }
    }
  }
}
