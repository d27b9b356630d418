package dev.ferry.replicate;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongUnaryOperator;

/**
 * When a shard commits its open transaction. Two regimes, told apart by the source consumer's lag after each poll:
 *
 * <ul>
 *   <li><b>Keeping up</b> (every poll hands over all there is): a record waits at most the flow's max latency in the open
 *       transaction. The transaction commits once its first record has waited that long, or after one commit interval,
 *       whichever comes first: steady traffic reaches the target within about max latency plus one commit's round trips.
 *   <li><b>A backlog</b> (a poll hands over a whole poll's worth, {@link #BACKLOG_RECORDS} records, a partition of
 *       the lane has not been read yet, or more than a poll's worth is left to read in them, summed): records are
 *       late by the backlog anyway, so transactions grow for throughput. After a transaction in which every poll was
 *       behind, the next one is twice as long, up to five commit intervals (and no more than a minute, unless one
 *       commit interval is longer), so a catch-up pays the per-transaction cost (flush, commit round trips, markers)
 *       less often.
 * </ul>
 *
 * The first poll that is no longer behind brings the first regime back at once: the end of a catch-up reaches the
 * target within about max latency (or one commit interval if a poll finds nothing new).
 *
 * <p>Each transaction's length is drawn within +-25% of its nominal length. The shards of a process start together and
 * would otherwise commit together every time, all pausing at once while they wait for their commits; spread out, the
 * shards that are not committing keep the machine busy.
 *
 * <p>Not thread-safe: one shard worker's thread uses it.
 */
final class TransactionPacer {
  /** A backlog lengthens transactions up to this many commit intervals. */
  static final int MAX_INTERVALS = 5;
  /**
   * More records than this left to read after a poll (summed over a lane's partitions) is a backlog: one poll hands over
   * at most this many ({@code max.poll.records} of the source consumer).
   */
  static final long BACKLOG_RECORDS = 1000;
  private static final long NONE = Long.MIN_VALUE;

  private final long intervalNanos;
  private final long maxLatencyNanos;
  private final long maxNanos;
  private final LongUnaryOperator draw;
  private long nominalNanos;
  private long drawnNanos;
  private long startNanos;
  private long firstRecordNanos = NONE;
  private boolean caughtUp;

  TransactionPacer(Duration commitInterval, Duration maxLatency) {
    this(commitInterval, maxLatency, TransactionPacer::withinQuarter);
  }

  /** {@code draw} picks the open transaction's length from its nominal length (tests pass the identity). */
  TransactionPacer(Duration commitInterval, Duration maxLatency, LongUnaryOperator draw) {
    this.intervalNanos = commitInterval.toNanos();
    this.maxLatencyNanos = maxLatency.toNanos();
    this.maxNanos = maxNominal(commitInterval).toNanos();
    this.draw = draw;
    this.nominalNanos = intervalNanos;
    this.drawnNanos = draw.applyAsLong(nominalNanos);
  }

  /** A transaction's time starts now (after a commit, or once the shard's partitions are positioned). */
  void startAt(long nowNanos) {
    startNanos = nowNanos;
    firstRecordNanos = NONE;
  }

  /** Records were sent in the open transaction at {@code nowNanos} (the first such call starts its latency clock). */
  void sent(long nowNanos) {
    if (firstRecordNanos == NONE) {
      firstRecordNanos = nowNanos;
    }
  }

  /**
   * After a poll that returned nothing ({@code pollEmpty}) or something, and left a backlog behind ({@code behind}) or
   * not: whether to commit now.
   */
  boolean due(long nowNanos, boolean pollEmpty, boolean behind) {
    long open = nowNanos - startNanos;
    if (!behind) {
      caughtUp = true;
      if (firstRecordNanos != NONE && nowNanos - firstRecordNanos >= maxLatencyNanos) {
        return true;
      }
    }
    return open >= drawnNanos || (pollEmpty && open >= intervalNanos);
  }

  /**
   * How long a poll may wait for records before {@link #due} must be asked again: until the first record's max latency
   * is up, never more than {@code longest}, never less than a millisecond.
   */
  Duration pollTimeout(long nowNanos, Duration longest) {
    if (firstRecordNanos == NONE) {
      return longest;
    }
    long left = firstRecordNanos + maxLatencyNanos - nowNanos;
    return Duration.ofNanos(Math.max(1_000_000, Math.min(longest.toNanos(), left)));
  }

  /**
   * A transaction of {@code records} records was committed: the next one's length follows from how this one went (a
   * backlog throughout doubles it; a poll that kept up, or nothing to commit, sets it back to one commit interval).
   */
  void committed(long records) {
    nominalNanos = caughtUp || records == 0 ? intervalNanos : Math.min(nominalNanos * 2, maxNanos);
    drawnNanos = draw.applyAsLong(nominalNanos);
    caughtUp = false;
  }

  /** The longest nominal length of a transaction: five commit intervals, at most a minute or one commit interval. */
  static Duration maxNominal(Duration commitInterval) {
    Duration five = commitInterval.multipliedBy(MAX_INTERVALS);
    Duration cap = commitInterval.compareTo(Duration.ofMinutes(1)) > 0 ? commitInterval : Duration.ofMinutes(1);
    return five.compareTo(cap) < 0 ? five : cap;
  }

  /** The longest a transaction is open before its commit begins: the longest nominal length, drawn 25% longer. */
  static Duration longest(Duration commitInterval) {
    return maxNominal(commitInterval).multipliedBy(5).dividedBy(4);
  }

  /** The nominal length of the open transaction (before the draw). */
  Duration nominalLength() {
    return Duration.ofNanos(nominalNanos);
  }

  private static long withinQuarter(long nanos) {
    return (long) (nanos * (0.75 + 0.5 * ThreadLocalRandom.current().nextDouble()));
  }
}
