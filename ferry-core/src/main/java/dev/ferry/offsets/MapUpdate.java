package dev.ferry.offsets;

import dev.ferry.kafka.Incarnation;
import java.util.List;

/**
 * What one replication transaction adds to the offset map of one source partition: the runs it wrote (in order) and
 * {@code sourceNext}, the next source offset to replicate once it commits (past any markers, aborted or filtered
 * records the transaction consumed without writing), and the incarnations (topic ids) of the source and target topic it
 * was written for: an update of another incarnation than the map's begins a new generation.
 */
public record MapUpdate(long sourceNext, List<OffsetRun> runs, Incarnation incarnation) {
  public MapUpdate(long sourceNext, List<OffsetRun> runs) {
    this(sourceNext, runs, Incarnation.UNKNOWN);
  }

  public MapUpdate {
    runs = List.copyOf(runs);
    incarnation = incarnation == null ? Incarnation.UNKNOWN : incarnation;
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
