package dev.ferry.offsets;

import java.util.Arrays;
import java.util.OptionalLong;

/**
 * The exact map between offsets of one source partition and its replica on the target, built from {@link MapUpdate}s.
 *
 * <p>Positions are consumer positions (the offset of the next record to read), so translating a committed offset
 * gives the position of the first replicated record at or after it. Offsets that hold no replicated record (markers,
 * compaction holes, filtered records, foreign writes on the target) translate to the next one that does.
 *
 * <p>A run that starts before the end of the map on either side (the source or target topic was recreated, or a
 * partition was replicated again after its progress was lost) begins a new <em>generation</em>: the map keeps only what
 * was written from then on, since the earlier runs describe records that are gone or were copied again. Positions
 * before the new generation's first source offset are then not translatable. Nothing is thrown: one partition's history
 * never stops the others' translation.
 */
public final class PartitionOffsetMap {
  private long[] sourceStart = new long[8];
  private long[] targetStart = new long[8];
  private int[] count = new int[8];
  private int size;
  private long sourceNext = -1;
  private int generation;
  /** The first source position the current generation can translate (0 in the first generation). */
  private long firstSource;

  /**
   * Adds what one committed transaction wrote. Updates must come in commit order. Returns true when the update began a
   * new generation (see the class comment).
   */
  public boolean apply(MapUpdate update) {
    boolean restarted = false;
    for (OffsetRun r : update.runs()) {
      if (overlaps(r)) {
        restart(r.sourceStart());
        restarted = true;
      }
      append(r);
    }
    sourceNext = restarted ? update.sourceNext() : Math.max(sourceNext, update.sourceNext());
    return restarted;
  }

  private boolean overlaps(OffsetRun r) {
    if (size == 0) {
      return false;
    }
    int last = size - 1;
    return r.sourceStart() < sourceStart[last] + count[last] || r.targetStart() < targetStart[last] + count[last];
  }

  private void restart(long from) {
    size = 0;
    generation++;
    firstSource = from;
  }

  /** How many times the map began a new generation: 0 for a partition replicated once, without a replay. */
  public int generation() {
    return generation;
  }

  /** The first source position the map can translate. */
  public long firstSource() {
    return firstSource;
  }

  private void append(OffsetRun r) {
    if (size > 0) {
      int last = size - 1;
      long lastSourceEnd = sourceStart[last] + count[last];
      long lastTargetEnd = targetStart[last] + count[last];
      if (r.sourceStart() == lastSourceEnd && r.targetStart() == lastTargetEnd && (long) count[last] + r.count() <= Integer.MAX_VALUE) {
        count[last] += r.count();
        return;
      }
    }
    if (size == count.length) {
      sourceStart = Arrays.copyOf(sourceStart, size * 2);
      targetStart = Arrays.copyOf(targetStart, size * 2);
      count = Arrays.copyOf(count, size * 2);
    }
    sourceStart[size] = r.sourceStart();
    targetStart[size] = r.targetStart();
    count[size] = r.count();
    size++;
  }

  /** The next source offset to replicate: every position before it is translatable. Empty when nothing is known. */
  public OptionalLong sourceNext() {
    return sourceNext < 0 ? OptionalLong.empty() : OptionalLong.of(sourceNext);
  }

  /** The target position just after the last replicated record; empty when no record was replicated. */
  public OptionalLong targetNext() {
    return size == 0 ? OptionalLong.empty() : OptionalLong.of(lastTargetEnd());
  }

  private long lastTargetEnd() {
    return targetStart[size - 1] + count[size - 1];
  }

  public int runCount() {
    return size;
  }

  /**
   * The target position for a consumer whose committed source position is {@code sourcePosition}: the target offset
   * of the first replicated record at or after it. Empty when that position has not been replicated yet (it is past
   * {@link #sourceNext()}), before the {@link #firstSource()} of a later generation, or when nothing is known of the
   * partition.
   */
  public OptionalLong targetOffset(long sourcePosition) {
    if (sourceNext < 0 || sourcePosition > sourceNext || generation > 0 && sourcePosition < firstSource) {
      return OptionalLong.empty();
    }
    // first run that ends after the position: the position is inside it or before it
    int i = firstEndingAfter(sourceStart, sourcePosition);
    if (i == size) {
      return OptionalLong.of(size == 0 ? 0 : lastTargetEnd());
    }
    long inRun = sourcePosition - sourceStart[i];
    return OptionalLong.of(inRun > 0 ? targetStart[i] + inRun : targetStart[i]);
  }

  /**
   * The source position for a consumer whose committed target position is {@code targetPosition}: the source offset
   * of the first replicated record at or after it; {@link #sourceNext()} when the position is past every replicated
   * record. Empty when nothing is known of the partition.
   */
  public OptionalLong sourceOffset(long targetPosition) {
    if (sourceNext < 0) {
      return OptionalLong.empty();
    }
    int i = firstEndingAfter(targetStart, targetPosition);
    if (i == size) {
      return OptionalLong.of(sourceNext);
    }
    long inRun = targetPosition - targetStart[i];
    return OptionalLong.of(inRun > 0 ? sourceStart[i] + inRun : sourceStart[i]);
  }

  /** Index of the first run whose end (start + count) is after {@code position}; {@code size} if none. */
  private int firstEndingAfter(long[] starts, long position) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (starts[mid] + count[mid] <= position) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
