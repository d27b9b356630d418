package dev.ferry.groups;

import dev.ferry.client.Checkpoint;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What one checkpoint round did.
 *
 * @param groups groups followed this round
 * @param checkpoints every group's checkpoints this round
 * @param synced groups whose target offsets were moved forward, with how many partitions
 * @param activeOnTarget groups not synced because they have members on the target, with the reason
 * @param syncFailed groups whose sync failed for another reason (not authorized, no answer), retried next round
 * @param unreadable groups whose committed offsets could not be read on the source (a transaction stuck on them, no
 *     permission): not checkpointed this round, the others were
 */
public record CheckpointRound(Instant at, Duration took, int groups, List<Checkpoint> checkpoints, Map<String, Integer> synced,
    Map<String, String> activeOnTarget, Map<String, String> syncFailed, Map<String, String> unreadable) {

  /** Offsets consumed on the source but not replicated yet, over all groups and partitions. */
  public long recordsAtRisk() {
    return checkpoints.stream().mapToLong(Checkpoint::recordsAhead).sum();
  }
}
