package dev.ferry.offsets;

/**
 * {@code count} replicated records whose source offsets are {@code sourceStart ..} and whose target offsets are
 * {@code targetStart ..}, both without gaps. A gap on either side (transaction marker, compaction hole, filtered
 * record, foreign write on the target) ends a run.
 */
public record OffsetRun(long sourceStart, long targetStart, int count) {
  public OffsetRun {
    if (sourceStart < 0 || targetStart < 0 || count < 1) {
      throw new IllegalArgumentException("bad run " + sourceStart + "->" + targetStart + " x" + count);
    }
  }

  public long sourceEnd() {
    return sourceStart + count;
  }

  public long targetEnd() {
    return targetStart + count;
  }
}
