package dev.ferry.replicate;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * When partitions change lane. Main lane: a transaction whose writes are not all acknowledged after the stall timeout
 * (ten commit intervals, at least 2 s), while only some partitions are still waiting, moves those to the slow lane.
 * Slow lane: once its commits have been quick (under 1 s) for 150 commit intervals, its partitions go back.
 *
 * <p>Not thread-safe: one lane's thread uses it. Time comes from the given clock (nanoseconds).
 */
final class LanePolicy {
  /** A slow-lane commit that takes less than this counts as quick. */
  static final Duration QUICK_COMMIT = Duration.ofSeconds(1);
  private static final Duration MIN_STALL = Duration.ofSeconds(2);

  private final Duration stallTimeout;
  private final Duration returnAfter;
  private final LongSupplier clock;
  private OptionalLong quickSince = OptionalLong.empty();

  LanePolicy(Duration commitInterval, LongSupplier nanoClock) {
    Duration tenIntervals = commitInterval.multipliedBy(10);
    this.stallTimeout = tenIntervals.compareTo(MIN_STALL) > 0 ? tenIntervals : MIN_STALL;
    this.returnAfter = commitInterval.multipliedBy(150);
    this.clock = nanoClock;
  }

  /** How long the main lane waits for its writes before it looks for partitions holding up the others. */
  Duration stallTimeout() {
    return stallTimeout;
  }

  /**
   * Main lane, once the stall timeout passed: of the {@code written} partitions of the transaction, those still
   * {@code waiting} move to the slow lane when they are at most half; else the target is slow for most partitions (not
   * a few holding up the rest) and the lane just waits: the result is empty.
   */
  static <T> List<T> toSlowLane(int written, List<T> waiting) {
    return waiting.isEmpty() || waiting.size() * 2 > written ? List.of() : waiting;
  }

  /**
   * Slow lane, after each commit, which took {@code commitNanos}: whether its partitions go back to the main lane now.
   * {@code hasPartitions} false keeps the lane's quick streak without moving anything.
   */
  boolean backToMainLane(long commitNanos, boolean hasPartitions) {
    if (commitNanos >= QUICK_COMMIT.toNanos()) {
      quickSince = OptionalLong.empty();
      return false;
    }
    long now = clock.getAsLong();
    if (quickSince.isEmpty()) {
      quickSince = OptionalLong.of(now);
      return false;
    }
    if (now - quickSince.getAsLong() >= returnAfter.toNanos() && hasPartitions) {
      quickSince = OptionalLong.empty();
      return true;
    }
    return false;
  }
}
