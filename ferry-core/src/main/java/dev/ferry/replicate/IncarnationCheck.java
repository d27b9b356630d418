package dev.ferry.replicate;

import dev.ferry.kafka.Incarnations;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;

/**
 * Asks the clusters which incarnation (topic id) of topics exists now. A lane asks the source after its transaction's
 * last read and the target after its last write was acknowledged: when the ids are still the ones its partitions
 * started with, every record it read and wrote belongs to those topics, since an id never comes back once its topic is
 * deleted.
 */
interface IncarnationCheck {
  /** No check: the incarnations are taken as they were published (tests without topic ids). */
  IncarnationCheck NONE = new IncarnationCheck() {
    @Override
    public CompletableFuture<Map<String, Uuid>> sourceIds(Collection<String> topics) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Map<String, Uuid>> targetIds(Collection<String> topics) {
      return CompletableFuture.completedFuture(null);
    }
  };

  /**
   * The ids of these source topics now, by name; a topic that does not exist is left out. Completes exceptionally when
   * the source cannot be asked; with null when nothing is checked.
   */
  CompletableFuture<Map<String, Uuid>> sourceIds(Collection<String> topics);

  /** Like {@link #sourceIds(Collection)}, of target topics. */
  CompletableFuture<Map<String, Uuid>> targetIds(Collection<String> topics);

  /** Asks the clusters with these admin clients (used, not closed). */
  static IncarnationCheck of(Admin source, Admin target) {
    return new IncarnationCheck() {
      @Override
      public CompletableFuture<Map<String, Uuid>> sourceIds(Collection<String> topics) {
        return Incarnations.ids(source, topics);
      }

      @Override
      public CompletableFuture<Map<String, Uuid>> targetIds(Collection<String> topics) {
        return Incarnations.ids(target, topics);
      }
    };
  }
}
