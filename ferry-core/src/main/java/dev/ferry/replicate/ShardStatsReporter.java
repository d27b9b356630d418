package dev.ferry.replicate;

import dev.ferry.client.FerryNames;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A shard's throughput for the shard topic, every few seconds, written by its main lane in a transaction it commits
 * anyway (so only the shard's real owner can write it). {@code ferry status} and load balancing read it.
 *
 * <p>Not thread-safe: the main lane's thread uses it.
 */
final class ShardStatsReporter {
  static final Duration EVERY = Duration.ofSeconds(5);

  private final String topic;
  private final int shard;
  private final String member;
  private final ShardStats.Counters totals;
  private final LongSupplier nanoClock;
  private final LongSupplier wallClockMs;
  private long writtenNanos;
  private long records;
  private long bytes;

  /** {@code totals}: what this process replicated for the shard so far (it may have owned the shard before). */
  ShardStatsReporter(String flow, int shard, String member, ShardStats.Counters totals, LongSupplier nanoClock, LongSupplier wallClockMs) {
    this.topic = FerryNames.shardTopic(flow);
    this.shard = shard;
    this.member = member;
    this.totals = totals;
    this.nanoClock = nanoClock;
    this.wallClockMs = wallClockMs;
    this.writtenNanos = nanoClock.getAsLong();
    this.records = totals.records();
    this.bytes = totals.bytes();
  }

  /**
   * Whether a report is due and has something to say: records replicated by either lane since the last one. A main lane
   * with nothing of its own to commit then commits to write it, so what the slow lane copies is reported too.
   */
  boolean hasNews() {
    return nanoClock.getAsLong() - writtenNanos >= EVERY.toNanos() && totals.records() != records;
  }

  /**
   * The stats record to write with the transaction being committed ({@code txRecords} records, {@code txBytes} bytes,
   * not yet in the totals), when the last one is {@link #EVERY} old.
   */
  Optional<ProducerRecord<byte[], byte[]>> due(long txRecords, long txBytes, int slowPartitions) {
    long now = nanoClock.getAsLong();
    if (now - writtenNanos < EVERY.toNanos()) {
      return Optional.empty();
    }
    double seconds = (now - writtenNanos) / 1e9;
    long allRecords = totals.records() + txRecords;
    long allBytes = totals.bytes() + txBytes;
    ShardStats stats = new ShardStats(wallClockMs.getAsLong(), member, (allRecords - records) / seconds, (allBytes - bytes) / seconds,
        slowPartitions, totals.drainLatency());
    writtenNanos = now;
    records = allRecords;
    bytes = allBytes;
    return Optional.of(new ProducerRecord<>(topic, shard, ShardStats.KEY, stats.encode()));
  }
}
