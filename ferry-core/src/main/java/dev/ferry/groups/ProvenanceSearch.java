package dev.ferry.groups;

import dev.ferry.FerryException;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Clients;
import dev.ferry.offsets.PartitionOffsetMap.TargetBounds;
import dev.ferry.provenance.Provenance;
import dev.ferry.provenance.ProvenanceCodec;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles a translation the offset map only bounds (a position older than the map's exact window) by reading the
 * provenance headers of the target records between the bounds: a binary search for the first record copied from the
 * source partition at or after the position. A few small reads, whatever the lag; results are cached.
 *
 * <p>Without provenance headers (a flow run with {@code --no-provenance}, or a record between the bounds without a
 * readable header) nothing can be told apart: the lower bound is used, which re-reads at most the records between the
 * bounds and never skips one.
 *
 * <p>Not thread-safe: one owner thread.
 */
public final class ProvenanceSearch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProvenanceSearch.class);
  private static final int CACHED = 10_000;
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  private final FlowConfig flow;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<String, Long> cache = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
      return size() > CACHED;
    }
  };
  private long reads;
  private boolean unmarkedReported;

  public ProvenanceSearch(FlowConfig flow) {
    this.flow = flow;
    Properties p = Clients.readerProperties(flow.target());
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500");
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(256 * 1024));
    this.consumer = new KafkaConsumer<>(p);
  }

  /** Polls of the target so far (for tests and logs). */
  public long reads() {
    return reads;
  }

  /**
   * The target offset of the first record copied from {@code source} at or after source position {@code position},
   * which the map says lies within {@code bounds} on {@code target} (the record at {@code bounds.high()} is one such).
   *
   * @param generation the map's generation (a cached answer holds for one)
   */
  public long settle(TopicPartition source, TopicPartition target, int generation, long position, TargetBounds bounds) {
    if (bounds.exact() || !flow.provenance()) {
      return bounds.low();
    }
    String key = source + "/" + generation + "/" + position;
    Long cached = cache.get(key);
    if (cached != null) {
      return cached;
    }
    long answer;
    try {
      answer = search(source, target, position, bounds);
    } catch (Unmarked e) {
      answer = bounds.low(); // a record without a readable header among them: never skip, re-read at most up to here
      if (!unmarkedReported) {
        unmarkedReported = true;
        LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("partition", target.toString()).log("{}@{} has no readable provenance header"
            + " (written while provenance was off, or by someone else under its name): positions near it translate to the earliest they can be,"
            + " which re-reads up to {} records", target, e.offset, bounds.high() - bounds.low());
      }
    }
    cache.put(key, answer);
    return answer;
  }

  /**
   * Invariant: the answer is in [lo, end) or is {@code best}, a record of ours at or after the position; no record of ours
   * in [end, best) is. Each probe reads from the middle of [lo, end) up to the first record of ours at or after the
   * position, and halves the window or better.
   */
  private long search(TopicPartition source, TopicPartition target, long position, TargetBounds bounds) {
    long lo = bounds.low();
    long end = bounds.high();
    long best = bounds.high();
    consumer.assign(List.of(target));
    while (lo < end) {
      long mid = lo + (end - lo) / 2;
      consumer.seek(target, mid);
      long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
      boolean settled = false;
      long lastBefore = -1;
      while (!settled) {
        if (System.nanoTime() > deadline) {
          throw new FerryException(FerryException.Reason.UNREACHABLE, "reading " + target + " on " + flow.target().describe() + " to translate a "
              + "position of " + source + " took longer than " + READ_TIMEOUT);
        }
        List<ConsumerRecord<byte[], byte[]>> records = consumer.poll(Duration.ofMillis(200)).records(target);
        reads++;
        for (ConsumerRecord<byte[], byte[]> r : records) {
          if (r.offset() >= end) {
            settled = true;
            break;
          }
          Provenance p;
          try {
            p = ProvenanceCodec.read(r.headers());
          } catch (RuntimeException e) {
            throw new Unmarked(r.offset());
          }
          if (p == null) {
            throw new Unmarked(r.offset()); // ours without a header, or someone else's: cannot tell
          }
          if (!ours(p, source)) {
            continue; // copied from elsewhere (another cluster, another partition)
          }
          if (p.sourceOffset() >= position) {
            best = r.offset();
            end = r.offset();
            settled = true;
            break;
          }
          lastBefore = r.offset();
        }
        if (!settled && (consumer.position(target) >= end || lastBefore >= 0)) {
          settled = true; // up to here every record of ours is before the position (or there is none)
        }
      }
      if (lastBefore >= 0) {
        lo = Math.max(lo, lastBefore + 1);
      } else if (end > mid) {
        end = mid; // nothing of ours at or after the position in [mid, end)
      }
    }
    return best;
  }

  /** A record between the bounds whose origin cannot be told. */
  private static final class Unmarked extends RuntimeException {
    final long offset;

    Unmarked(long offset) {
      super(null, null, false, false);
      this.offset = offset;
    }
  }

  private boolean ours(Provenance p, TopicPartition source) {
    return p.sourcePartition() == source.partition() && p.path().get(p.path().size() - 1).equals(flow.source().alias());
  }

  @Override
  public void close() {
    consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
  }
}
