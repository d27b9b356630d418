package dev.ferry.replicate;

import dev.ferry.kafka.Incarnation;
import dev.ferry.kafka.Incarnations;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;

/**
 * Asks both clusters which incarnation (topic id) of source topics and their target topics exists now. A lane asks
 * after its transaction's last read and before it commits: when the ids are still the ones its partitions started
 * with, every record it read and wrote belongs to those topics, since an id never comes back once its topic is deleted.
 */
@FunctionalInterface
interface IncarnationCheck {
  /** No check: the incarnations are taken as they were published (tests without topic ids). */
  IncarnationCheck NONE = topics -> CompletableFuture.completedFuture(null);

  /**
   * The incarnations now of these source topics (source topic to target topic); a topic deleted on either side is left
   * out. Completes exceptionally when a cluster cannot be asked; with null when nothing is checked.
   */
  CompletableFuture<Map<String, Incarnation>> current(Map<String, String> targetTopicOf);

  /** Asks the clusters with these admin clients (used, not closed). */
  static IncarnationCheck of(Admin source, Admin target) {
    return targetTopicOf -> Incarnations.current(source, target, targetTopicOf);
  }
}
