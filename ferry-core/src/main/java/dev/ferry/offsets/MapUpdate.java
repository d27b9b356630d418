package dev.ferry.offsets;

import java.util.List;

/**
 * What one replication transaction adds to the offset map of one source partition: the runs it wrote (in order) and
 * {@code sourceNext}, the next source offset to replicate once it commits (past any markers, aborted or filtered
 * records the transaction consumed without writing).
 */
public record MapUpdate(long sourceNext, List<OffsetRun> runs) {
  public MapUpdate {
    runs = List.copyOf(runs);
    long prevS = -1;
    long prevT = -1;
    for (OffsetRun r : runs) {
      if (r.sourceStart() < prevS || r.targetStart() < prevT) {
        throw new IllegalArgumentException("runs out of order: " + runs);
      }
      prevS = r.sourceEnd();
      prevT = r.targetEnd();
    }
    if (prevS > sourceNext) {
      throw new IllegalArgumentException("sourceNext " + sourceNext + " is before the end of the runs " + prevS);
    }
  }
}
