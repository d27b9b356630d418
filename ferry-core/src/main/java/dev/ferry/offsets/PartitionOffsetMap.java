package dev.ferry.offsets;

import dev.ferry.kafka.Incarnation;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The map between offsets of one source partition and its replica on the target, built from {@link MapUpdate}s, in
 * bounded memory.
 *
 * <p>Positions are consumer positions (the offset of the next record to read), so translating a committed offset
 * gives the position of the first replicated record at or after it. Offsets that hold no replicated record (markers,
 * compaction holes, filtered records, foreign writes on the target) translate to the next one that does.
 *
 * <p>The map keeps the most recent {@link #EXACT_RUNS} runs exactly. Older runs leave an <em>anchor</em> behind (where a
 * run began on both sides): at most {@link #MAX_ANCHORS} of them, thinned evenly as they grow. A position in the exact
 * window translates exactly; an older one translates to {@link TargetBounds} between two anchors, which the provenance
 * headers of the target records between them settle exactly (see {@code ProvenanceSearch}). Memory and the map's
 * snapshots stay the same size however long the flow runs.
 *
 * <p>An update written for another incarnation of the source or target topic (topic ids: the topic was deleted and
 * created again), or a run that starts before the end of the map on either side (a partition replicated again after its
 * progress was lost, or a map of updates without topic ids), begins a new <em>generation</em>: the map keeps only what
 * was written from then on, since the earlier runs describe records that are gone or were copied again. The map's
 * {@link #incarnation()} says which topics its generation describes: callers translate only for those. Positions
 * before the new generation's first source offset are then not translatable. Nothing is thrown: one partition's history
 * never stops the others' translation.
 *
 * <p>Updates carry a sequence number (per partition, from 1): an update the map already holds is ignored, and one that
 * skips numbers leaves the map incomplete (nothing is translated) until a snapshot restores it.
 *
 * <p>Not thread-safe.
 */
public final class PartitionOffsetMap {
  /** Runs kept exactly: the last ones written. */
  public static final int EXACT_RUNS = 1024;
  /** Anchors kept of older runs. */
  public static final int MAX_ANCHORS = 256;

  /** Where the first replicated record at or after a source position lies on the target: exact when both are equal. */
  public record TargetBounds(long low, long high) {
    public boolean exact() {
      return low == high;
    }
  }

  private final int exactRuns;
  private final int maxAnchors;
  private long[] sourceStart = new long[8];
  private long[] targetStart = new long[8];
  private int[] count = new int[8];
  /** Live runs are {@code head .. size-1}. */
  private int head;
  private int size;
  private long[] anchorSource = new long[8];
  private long[] anchorTarget = new long[8];
  private int anchors;
  /** Every how many dropped runs one becomes an anchor (doubles when the anchors are thinned). */
  private int stride = 1;
  private long dropped;
  private long sourceNext = -1;
  private int generation;
  /** The first source position the current generation can translate (0 in the first generation). */
  private long firstSource;
  private long seq;
  private boolean incomplete;
  private Incarnation incarnation = Incarnation.UNKNOWN;

  public PartitionOffsetMap() {
    this(EXACT_RUNS, MAX_ANCHORS);
  }

  /** A map that keeps {@code exactRuns} runs exactly and up to {@code maxAnchors} anchors (at least 2) of older ones. */
  public PartitionOffsetMap(int exactRuns, int maxAnchors) {
    if (exactRuns < 1 || maxAnchors < 2) {
      throw new IllegalArgumentException("exactRuns " + exactRuns + ", maxAnchors " + maxAnchors);
    }
    this.exactRuns = exactRuns;
    this.maxAnchors = maxAnchors;
  }

  /** Adds the next update (numbered after the last one the map holds); see {@link #apply(long, MapUpdate)}. */
  public boolean apply(MapUpdate update) {
    return apply(seq + 1, update);
  }

  /**
   * Adds what one committed transaction wrote, numbered {@code updateSeq}. Updates must come in commit order; one the map
   * already holds is ignored. Returns true when the update began a new generation (see the class comment).
   */
  public boolean apply(long updateSeq, MapUpdate update) {
    if (updateSeq <= seq) {
      return false;
    }
    if (updateSeq > seq + 1) {
      incomplete = true; // updates in between are missing: a snapshot at or after them restores the map
    }
    seq = updateSeq;
    boolean restarted = false;
    Incarnation written = update.incarnation();
    if (incarnation.differs(written) && sourceNext >= 0) {
      restart(0); // the topics were created again: the new ones are replicated from their start
      restarted = true;
    }
    if (written.known()) {
      incarnation = written;
    }
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

  /** Adds an update of the first map format, which has no sequence number. */
  public boolean applyUnnumbered(MapUpdate update) {
    long before = seq;
    boolean restarted = apply(seq + 1, update);
    seq = before;
    return restarted;
  }

  private boolean overlaps(OffsetRun r) {
    if (size == head) {
      return false;
    }
    int last = size - 1;
    return r.sourceStart() < sourceStart[last] + count[last] || r.targetStart() < targetStart[last] + count[last];
  }

  private void restart(long from) {
    head = 0;
    size = 0;
    anchors = 0;
    stride = 1;
    dropped = 0;
    generation++;
    firstSource = from;
  }

  private void append(OffsetRun r) {
    if (size > head) {
      int last = size - 1;
      long lastSourceEnd = sourceStart[last] + count[last];
      long lastTargetEnd = targetStart[last] + count[last];
      if (r.sourceStart() == lastSourceEnd && r.targetStart() == lastTargetEnd && (long) count[last] + r.count() <= Integer.MAX_VALUE) {
        count[last] += r.count();
        return;
      }
    }
    if (size - head == exactRuns) {
      dropOldest();
    }
    if (size == count.length) {
      if (head > 0) {
        int live = size - head;
        System.arraycopy(sourceStart, head, sourceStart, 0, live);
        System.arraycopy(targetStart, head, targetStart, 0, live);
        System.arraycopy(count, head, count, 0, live);
        head = 0;
        size = live;
      }
      if (size == count.length) {
        int grown = Math.min(Math.max(8, size * 2), 2 * exactRuns);
        sourceStart = Arrays.copyOf(sourceStart, grown);
        targetStart = Arrays.copyOf(targetStart, grown);
        count = Arrays.copyOf(count, grown);
      }
    }
    sourceStart[size] = r.sourceStart();
    targetStart[size] = r.targetStart();
    count[size] = r.count();
    size++;
  }

  /** The oldest exact run leaves the window; every {@link #stride}-th one stays as an anchor. */
  private void dropOldest() {
    if (dropped++ % stride == 0) {
      addAnchor(sourceStart[head], targetStart[head]);
    }
    head++;
  }

  private void addAnchor(long s, long t) {
    if (anchors == maxAnchors) {
      // keep every other anchor (the first among them): twice the spacing, half the count
      int kept = 0;
      for (int i = 0; i < anchors; i += 2) {
        anchorSource[kept] = anchorSource[i];
        anchorTarget[kept] = anchorTarget[i];
        kept++;
      }
      anchors = kept;
      stride *= 2;
    }
    if (anchors == anchorSource.length) {
      anchorSource = Arrays.copyOf(anchorSource, Math.min(anchors * 2, maxAnchors));
      anchorTarget = Arrays.copyOf(anchorTarget, Math.min(anchors * 2, maxAnchors));
    }
    anchorSource[anchors] = s;
    anchorTarget[anchors] = t;
    anchors++;
  }

  /** The number of the last update the map holds (0: none). */
  public long seq() {
    return seq;
  }

  /** Whether updates are missing (nothing is translated until a snapshot restores the map). */
  public boolean incomplete() {
    return incomplete;
  }

  /** How many times the map began a new generation: 0 for a partition replicated once, without a replay. */
  public int generation() {
    return generation;
  }

  /**
   * The incarnations (topic ids) of the source and target topic that the current generation describes; unknown for a map
   * of updates written without them.
   */
  public Incarnation incarnation() {
    return incarnation;
  }

  /** The first source position the map can translate. */
  public long firstSource() {
    return firstSource;
  }

  /** The next source offset to replicate: every position before it is translatable. Empty when nothing is known. */
  public OptionalLong sourceNext() {
    return sourceNext < 0 ? OptionalLong.empty() : OptionalLong.of(sourceNext);
  }

  /** The target position just after the last replicated record; empty when no record was replicated. */
  public OptionalLong targetNext() {
    return size == head ? OptionalLong.empty() : OptionalLong.of(lastTargetEnd());
  }

  private long lastTargetEnd() {
    return targetStart[size - 1] + count[size - 1];
  }

  /** Runs held exactly. */
  public int runCount() {
    return size - head;
  }

  /** Anchors held of older runs. */
  public int anchorCount() {
    return anchors;
  }

  /**
   * The target position for a consumer whose committed source position is {@code sourcePosition}: the target offset of
   * the first replicated record at or after it, when the map knows it exactly. Empty when that position is not
   * replicated yet (past {@link #sourceNext()}), before the {@link #firstSource()} of a later generation, older than the
   * exact window (see {@link #targetBounds(long)}), or when nothing is known of the partition.
   */
  public OptionalLong targetOffset(long sourcePosition) {
    Optional<TargetBounds> b = targetBounds(sourcePosition);
    return b.isPresent() && b.get().exact() ? OptionalLong.of(b.get().low()) : OptionalLong.empty();
  }

  /**
   * Where the first replicated record at or after {@code sourcePosition} lies on the target: exactly in the exact
   * window, else between the target offsets of the anchors around it (the record after the lower anchor's, up to the
   * upper anchor's). Empty when the position is not translatable (see {@link #targetOffset(long)}).
   */
  public Optional<TargetBounds> targetBounds(long sourcePosition) {
    if (sourceNext < 0 || incomplete || sourcePosition > sourceNext || generation > 0 && sourcePosition < firstSource) {
      return Optional.empty();
    }
    if (anchors == 0 || size > head && sourcePosition >= sourceStart[head]) {
      // first live run that ends after the position: the position is inside it or before it
      int i = firstEndingAfter(sourceStart, sourcePosition);
      if (i == size) {
        long end = size == head ? 0 : lastTargetEnd();
        return Optional.of(new TargetBounds(end, end));
      }
      long inRun = sourcePosition - sourceStart[i];
      long t = inRun > 0 ? targetStart[i] + inRun : targetStart[i];
      return Optional.of(new TargetBounds(t, t));
    }
    int a = lastAnchorAtOrBefore(sourcePosition);
    if (a < 0) {
      return Optional.of(new TargetBounds(anchorTarget[0], anchorTarget[0])); // before the first record replicated
    }
    if (anchorSource[a] == sourcePosition) {
      return Optional.of(new TargetBounds(anchorTarget[a], anchorTarget[a]));
    }
    long high = a + 1 < anchors ? anchorTarget[a + 1] : targetStart[head];
    return Optional.of(new TargetBounds(Math.min(anchorTarget[a] + 1, high), high));
  }

  /**
   * The source position for a consumer whose committed target position is {@code targetPosition}: the source offset of
   * the first replicated record at or after it; {@link #sourceNext()} when the position is past every replicated record.
   * Known in the exact window only; empty otherwise, or when nothing is known of the partition.
   */
  public OptionalLong sourceOffset(long targetPosition) {
    if (sourceNext < 0 || incomplete || anchors > 0 && (size == head || targetPosition < targetStart[head])) {
      return OptionalLong.empty();
    }
    int i = firstEndingAfter(targetStart, targetPosition);
    if (i == size) {
      return OptionalLong.of(sourceNext);
    }
    long inRun = targetPosition - targetStart[i];
    return OptionalLong.of(inRun > 0 ? sourceStart[i] + inRun : sourceStart[i]);
  }

  /** Index of the first live run whose end (start + count) is after {@code position}; {@code size} if none. */
  private int firstEndingAfter(long[] starts, long position) {
    int lo = head;
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

  /** Index of the last anchor whose source offset is at or before {@code position}; -1 if none. */
  private int lastAnchorAtOrBefore(long position) {
    int lo = 0;
    int hi = anchors;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (anchorSource[mid] <= position) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo - 1;
  }

  /** The whole state, for a snapshot record. */
  Snapshot snapshot() {
    long[][] anchorPairs = new long[anchors][];
    for (int i = 0; i < anchors; i++) {
      anchorPairs[i] = new long[] {anchorSource[i], anchorTarget[i]};
    }
    OffsetRun[] runs = new OffsetRun[size - head];
    for (int i = head; i < size; i++) {
      runs[i - head] = new OffsetRun(sourceStart[i], targetStart[i], count[i]);
    }
    return new Snapshot(seq, sourceNext, generation, firstSource, stride, dropped, anchorPairs, runs, incarnation);
  }

  /** Replaces the state with a snapshot's (a snapshot restores an incomplete map). */
  void restore(Snapshot s) {
    seq = s.seq();
    sourceNext = s.sourceNext();
    generation = s.generation();
    firstSource = s.firstSource();
    stride = s.stride();
    dropped = s.dropped();
    incomplete = false;
    incarnation = s.incarnation();
    anchors = 0;
    head = 0;
    size = 0;
    for (long[] a : s.anchors()) {
      if (anchors == anchorSource.length) {
        anchorSource = Arrays.copyOf(anchorSource, Math.max(8, anchors * 2));
        anchorTarget = Arrays.copyOf(anchorTarget, Math.max(8, anchors * 2));
      }
      anchorSource[anchors] = a[0];
      anchorTarget[anchors] = a[1];
      anchors++;
    }
    for (OffsetRun r : s.runs()) {
      append(r);
    }
  }

  /** The state of a map at one update, as stored in a snapshot record. */
  record Snapshot(long seq, long sourceNext, int generation, long firstSource, int stride, long dropped, long[][] anchors, OffsetRun[] runs,
      Incarnation incarnation) {}
}
