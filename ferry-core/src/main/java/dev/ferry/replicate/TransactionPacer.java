package dev.ferry.replicate;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongUnaryOperator;

/**
 * When a shard commits its open transaction. While the shard keeps up with its sources a transaction lasts one commit
 * interval. After a transaction in which every poll returned records (a backlog) the next one is twice as long, up to
 * five commit intervals (and no more than a minute, unless one commit interval is longer), so a catch-up pays the per-transaction cost (flush, commit round trips, markers) less often.
 * The first poll that finds nothing new commits a transaction that has been open for one commit interval, however long
 * it was meant to be: the end of a catch-up reaches the target within about one commit interval.
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

  private final long intervalNanos;
  private final long maxNanos;
  private final LongUnaryOperator draw;
  private long nominalNanos;
  private long drawnNanos;
  private long startNanos;
  private boolean caughtUp;

  TransactionPacer(Duration commitInterval) {
    this(commitInterval, TransactionPacer::withinQuarter);
  }

  /** {@code draw} picks the open transaction's length from its nominal length (tests pass the identity). */
  TransactionPacer(Duration commitInterval, LongUnaryOperator draw) {
    this.intervalNanos = commitInterval.toNanos();
    this.maxNanos = maxNominal(commitInterval).toNanos();
    this.draw = draw;
    this.nominalNanos = intervalNanos;
    this.drawnNanos = draw.applyAsLong(nominalNanos);
  }

  /** A transaction's time starts now (after a commit, or once the shard's partitions are positioned). */
  void startAt(long nowNanos) {
    startNanos = nowNanos;
  }

  /** After a poll that returned nothing ({@code pollEmpty}) or something: whether to commit now. */
  boolean due(long nowNanos, boolean pollEmpty) {
    if (pollEmpty) {
      caughtUp = true;
    }
    long open = nowNanos - startNanos;
    return open >= drawnNanos || (pollEmpty && open >= intervalNanos);
  }

  /** A transaction of {@code records} records was committed: the next one's length follows from how this one went. */
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
