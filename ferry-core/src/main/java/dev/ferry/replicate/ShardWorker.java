package dev.ferry.replicate;

import dev.ferry.FerryException;
import dev.ferry.kafka.KafkaCalls;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one lane of one shard on its own thread until {@link #stop(boolean)}: a {@link ShardLane} life after the other.
 * A lane whose producer is fenced while this process owns the shard (a stale owner woke up) or fails without being
 * fenced starts new clients from the committed progress; anything else stops the flow with a one-line error.
 */
final class ShardWorker implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(ShardWorker.class);
  /** Restarts after a producer failure with no commit in between; one more fails the flow. */
  private static final int MAX_RESTARTS_WITHOUT_COMMIT = 3;

  /** A shard replicates in two lanes, each with its own transactional.id, so a slow partition cannot hold up the rest. */
  enum Lane { MAIN, SLOW }

  private final FlowContext ctx;
  private final int shard;
  private final Lane lane;
  private final ShardLanes lanes;
  private final LongSupplier clock;
  private volatile boolean stopping;
  private volatile boolean clean = true;
  private volatile ShardLane life;
  private int restartsWithoutCommit;

  ShardWorker(FlowContext ctx, int shard, ShardLanes lanes, Lane lane) {
    this.ctx = ctx;
    this.shard = shard;
    this.lanes = lanes;
    this.lane = lane;
    this.clock = System::nanoTime;
  }

  /** Asks the lane to stop; {@code commit} says whether to commit the open transaction first (else abort it). */
  void stop(boolean commit) {
    clean = commit;
    stopping = true;
    ShardLane l = life;
    if (l != null) {
      l.wakeup();
    }
  }

  @Override
  public void run() {
    while (true) {
      ShardLane l = new ShardLane(ctx, shard, lanes, lane, () -> stopping, clock);
      life = l;
      try {
        try {
          l.start();
          while (!stopping) {
            l.step();
          }
          l.finish(clean);
        } finally {
          l.close(clean);
          if (l.commits() > 0) {
            restartsWithoutCommit = 0;
          }
        }
        return;
      } catch (ShardTransaction.ProducerFailed e) {
        restartsWithoutCommit++;
        if (!restartAfterFailure(e)) {
          return;
        }
      } catch (KafkaException e) {
        if (!restartAfterFault(e, l)) {
          return;
        }
      } catch (FerryException e) {
        ctx.reportFatal(e);
        return;
      } catch (RuntimeException e) {
        ctx.reportFatal(KafkaCalls.translate(e, "shard " + shard + " of flow " + ctx.flow().name()));
        return;
      }
    }
  }

  /** A producer that can neither commit nor abort: restart from the committed progress, unless that keeps failing. */
  private boolean restartAfterFailure(ShardTransaction.ProducerFailed e) {
    if (stopping) {
      LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
          .log("{}; stopping without a last commit (whoever runs the shard next reads on from its committed progress)", e.getMessage());
      return false;
    }
    if (restartsWithoutCommit > MAX_RESTARTS_WITHOUT_COMMIT) {
      ctx.reportFatal(new FerryException(FerryException.Reason.FAILED, e.getMessage() + " (the shard restarted "
          + MAX_RESTARTS_WITHOUT_COMMIT + " times without committing)", e.getCause()));
      return false;
    }
    // Records and progress are committed together or not at all. A new producer with the same transactional.id
    // completes or aborts whatever the broken one left open; the lane then reads on from its committed progress.
    LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
        .log("{}; restarting the shard's clients from its committed progress", e.getMessage());
    restartAfter(Duration.ofSeconds(restartsWithoutCommit));
    return true;
  }

  /** A Kafka exception out of the lane: a fence by a stale owner restarts it, anything else ends it. */
  private boolean restartAfterFault(KafkaException e, ShardLane l) {
    WriteFault fault = WriteFault.of(e);
    if (e instanceof WakeupException) {
      return false; // stopping while blocked in a consumer call
    }
    if (fault == WriteFault.FENCED && stopping) {
      LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
          .log("shard taken over by another process of the flow; this process stops writing it");
      return false;
    }
    if (fault == WriteFault.FENCED) {
      // Group membership says this process owns the shard, yet another producer bumped its epoch: a process that was
      // frozen while it owned the shard woke up and initialised its producer before it learned it lost the shard. The
      // owner takes the shard back (its initTransactions fences the zombie) and resumes from its progress.
      LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
          .log("fenced by a stale owner of the shard; this process owns it by group membership and takes it back");
      restartAfter(Duration.ofSeconds(1));
      return true;
    }
    if (fault == WriteFault.FATAL) {
      ctx.reportFatal(new FerryException(FerryException.Reason.NOT_AUTHORIZED,
          "not authorized to use transactional.id " + l.transactionalId() + " on " + ctx.flow().target().describe()));
      return false;
    }
    ctx.reportFatal(KafkaCalls.translate(e, "shard " + shard + " of flow " + ctx.flow().name()));
    return false;
  }

  private void restartAfter(Duration wait) {
    ctx.state().restarted();
    try {
      Thread.sleep(wait.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
