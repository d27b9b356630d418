package dev.ferry.offsets;

import java.util.ArrayList;
import java.util.List;

/** Folds (source offset, target offset) pairs of replicated records, in order, into {@link OffsetRun}s. */
public final class RunBuilder {
  private final List<OffsetRun> runs = new ArrayList<>();
  private long sourceStart = -1;
  private long targetStart = -1;
  private int count;

  public void add(long sourceOffset, long targetOffset) {
    if (count > 0 && sourceOffset == sourceStart + count && targetOffset == targetStart + count && count < Integer.MAX_VALUE) {
      count++;
      return;
    }
    if (count > 0 && (sourceOffset < sourceStart + count || targetOffset < targetStart + count)) {
      throw new IllegalArgumentException(
          "offsets must increase: " + sourceOffset + "->" + targetOffset + " after run " + sourceStart + "->" + targetStart + " x" + count);
    }
    flush();
    sourceStart = sourceOffset;
    targetStart = targetOffset;
    count = 1;
  }

  private void flush() {
    if (count > 0) {
      runs.add(new OffsetRun(sourceStart, targetStart, count));
      count = 0;
    }
  }

  /** The target offset right after the last one added since the last {@link #drain()}; -1 when none was added. */
  public long nextTarget() {
    if (count > 0) {
      return targetStart + count;
    }
    return runs.isEmpty() ? -1 : runs.get(runs.size() - 1).targetEnd();
  }

  /** The runs so far; the builder is empty afterwards. */
  public List<OffsetRun> drain() {
    flush();
    List<OffsetRun> out = List.copyOf(runs);
    runs.clear();
    return out;
  }
}
