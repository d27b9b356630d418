package dev.ferry.cli;

import dev.ferry.FerryException;
import dev.ferry.flow.Replicator;
import dev.ferry.replicate.ReplicationStatus;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * Shows a flow catching up a large backlog when it starts in this process: once it runs its shards, the records its
 * partitions are behind their source's end (at least {@link #LARGE}), then their progress to that end ({@link Progress}:
 * a bar on a terminal, a line every few seconds otherwise), and a last line when it is there.
 */
final class CatchUpProgress implements Runnable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CatchUpProgress.class);
  /** A backlog smaller than this is caught up in seconds: nothing is shown. */
  static final long LARGE = 100_000;
  private static final Duration JOIN_WAIT = Duration.ofMinutes(2);
  /** No progress for this long: the partitions moved to another process, or their replication stopped. */
  private static final Duration STALLED = Duration.ofMinutes(2);

  private final Replicator flow;
  private final PrintWriter out;

  private CatchUpProgress(Replicator flow, PrintWriter out) {
    this.flow = flow;
    this.out = out;
  }

  /** Follows the flow's catch-up on a thread of its own (a daemon: it never holds the process up). */
  static void follow(Replicator flow, PrintWriter out) {
    Thread t = new Thread(new CatchUpProgress(flow, out), "ferry-" + flow.flow().name() + "-catch-up");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void run() {
    try {
      Map<TopicPartition, Long> start = awaitPositions();
      if (start.isEmpty()) {
        return;
      }
      Map<TopicPartition, Long> ends = flow.sourceEnds(start.keySet());
      long total = 0;
      for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
        total += Math.max(0, e.getValue() - start.getOrDefault(e.getKey(), e.getValue()));
      }
      if (total < LARGE) {
        return;
      }
      ReplicationStatus first = flow.status().replication();
      long bytes0 = bytes(first);
      long records0 = first.replicatedRecords();
      long began = System.nanoTime();
      long lastDone = -1;
      long lastMove = began;
      try (Progress progress = new Progress(out, "catching up " + flow.flow().name(), "records")) {
        while (true) {
          ReplicationStatus s = flow.status().replication();
          long done = 0;
          for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
            long from = start.getOrDefault(e.getKey(), e.getValue());
            long at = s.committedPositions().getOrDefault(e.getKey(), from);
            done += Math.min(Math.max(at, from), e.getValue()) - from;
          }
          long records = s.replicatedRecords() - records0;
          double perRecord = records > 0 ? (double) (bytes(s) - bytes0) / records : 0;
          progress.update(done, total, Math.round((total - done) * perRecord));
          if (done >= total) {
            break;
          }
          long now = System.nanoTime();
          if (done != lastDone) {
            lastDone = done;
            lastMove = now;
          } else if (now - lastMove > STALLED.toNanos()) {
            // its partitions moved to another process (a rebalance), or replication stopped: ferry status tells which
            out.printf("flow %s: backlog progress no longer followed (no progress for %d s; see ferry status)%n", flow.flow().name(),
                STALLED.toSeconds());
            out.flush();
            return;
          }
          if (flow.awaitEnd(Duration.ofSeconds(1))) {
            return; // stopped or failed: its own messages say so
          }
        }
      }
      out.printf("flow %s caught up its backlog of %d records in %.0f s%n", flow.flow().name(), total, (System.nanoTime() - began) / 1e9);
      out.flush();
    } catch (FerryException e) {
      // the flow goes on; only its progress is not shown
      LOG.atInfo().addKeyValue("flow", flow.flow().name()).log("backlog at start not measured: {}", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The positions of the partitions this process runs, once it runs some (empty if it does not within a while). */
  private Map<TopicPartition, Long> awaitPositions() throws InterruptedException {
    long deadline = System.nanoTime() + JOIN_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      ReplicationStatus s = flow.status().replication();
      if (s.joined() && !s.committedPositions().isEmpty()) {
        Thread.sleep(1000); // the shards' lanes add their partitions as they start
        return new HashMap<>(flow.status().replication().committedPositions());
      }
      if (flow.awaitEnd(Duration.ofMillis(500))) {
        return Map.of();
      }
    }
    return Map.of();
  }

  private static long bytes(ReplicationStatus s) {
    return s.shardBytes().values().stream().mapToLong(Long::longValue).sum();
  }
}
