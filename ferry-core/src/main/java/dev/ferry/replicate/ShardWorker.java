package dev.ferry.replicate;

import dev.ferry.FerryException;
import dev.ferry.kafka.KafkaCalls;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.utils.ExponentialBackoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one lane of one shard on its own thread until {@link #stop(boolean)}: a {@link ShardLane} life after the other.
 * A lane whose clients fail in a way that heals by itself (a cluster that does not answer, for as long as it takes)
 * starts new clients from the committed progress, after a backoff of 1 s doubling to 30 s, reported as a shard fault
 * until it commits again. A lane fenced while the group coordinator confirms this process owns the shard (a stale owner
 * woke up) takes the shard back; one fenced otherwise stops writing it. Anything else stops the flow with a one-line
 * error, and so does an {@link Error} (out of memory, say): the process must not keep owning shards nobody runs.
 */
final class ShardWorker implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(ShardWorker.class);
  /** Restarts after a producer failure that does not heal by itself, with no commit in between; one more fails the flow. */
  private static final int MAX_RESTARTS_WITHOUT_COMMIT = 3;
  private static final ExponentialBackoff BACKOFF = new ExponentialBackoff(1_000, 2, 30_000, 0.2);
  /** How often a fenced lane asks the coordinator again while it cannot say who owns the shard. */
  private static final Duration OWNERSHIP_RECHECK = Duration.ofSeconds(1);

  /** A shard replicates in two lanes, each with its own transactional.id, so a slow partition cannot hold up the rest. */
  enum Lane { MAIN, SLOW }

  private final FlowContext ctx;
  private final int shard;
  private final Lane lane;
  private final ShardLanes lanes;
  private final LongSupplier clock;
  private final Consumer<Duration> sleeper;
  private volatile boolean stopping;
  private volatile boolean clean = true;
  private volatile ShardLane life;
  private int restartsWithoutCommit;
  private int faultsInARow;

  private final Object wake = new Object();

  ShardWorker(FlowContext ctx, int shard, ShardLanes lanes, Lane lane) {
    this(ctx, shard, lanes, lane, System::nanoTime, null);
  }

  /** {@code sleeper} waits between restarts (tests pass one that does not). */
  ShardWorker(FlowContext ctx, int shard, ShardLanes lanes, Lane lane, LongSupplier clock, Consumer<Duration> sleeper) {
    this.ctx = ctx;
    this.shard = shard;
    this.lanes = lanes;
    this.lane = lane;
    this.clock = clock;
    this.sleeper = sleeper == null ? this::pause : sleeper;
  }

  /** Asks the lane to stop; {@code commit} says whether to commit the open transaction first (else abort it). */
  void stop(boolean commit) {
    clean = commit;
    stopping = true;
    synchronized (wake) {
      wake.notifyAll();
    }
    ShardLane l = life;
    if (l != null) {
      l.wakeup();
    }
  }

  @Override
  public void run() {
    try {
      runLives();
    } catch (Error e) {
      ctx.reportFatal(new FerryException(FerryException.Reason.FAILED, describe() + " died of " + e
          + "; the flow stops so that its shards go to processes that can run them", e));
      throw e;
    }
  }

  private void runLives() {
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
            faultsInARow = 0;
          }
        }
        return;
      } catch (ShardTransaction.ProducerFailed e) {
        if (!restartAfterFailure(e)) {
          return;
        }
      } catch (KafkaException e) {
        if (!restartAfterFault(e, l)) {
          return;
        }
      } catch (FerryException e) {
        if (!heals(e) || !restartAfterOutage(e.getMessage())) {
          if (!stopping) {
            ctx.reportFatal(e);
          }
          return;
        }
      } catch (RuntimeException e) {
        ctx.reportFatal(KafkaCalls.translate(e, describe()));
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
    if (heals(e.getCause())) {
      return restartAfterOutage(e.getMessage());
    }
    restartsWithoutCommit++;
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
    return !stopping;
  }

  /** A Kafka exception out of the lane: a fence by a stale owner or an outage restarts it, anything else ends it. */
  private boolean restartAfterFault(KafkaException e, ShardLane l) {
    WriteFault fault = WriteFault.of(e);
    if (e instanceof WakeupException) {
      return false; // stopping while blocked in a consumer call
    }
    if (fault == WriteFault.FENCED) {
      return takeBackAfterFence();
    }
    if (fault == WriteFault.FATAL) {
      ctx.reportFatal(new FerryException(FerryException.Reason.NOT_AUTHORIZED,
          "not authorized to use transactional.id " + l.transactionalId() + " on " + ctx.flow().target().describe()));
      return false;
    }
    if (heals(e)) {
      return restartAfterOutage(e.toString());
    }
    if (!stopping) {
      ctx.reportFatal(KafkaCalls.translate(e, describe()));
    }
    return false;
  }

  /**
   * Another producer bumped the lane's epoch. Either another process took the shard over (this one must stop writing),
   * or a process that was frozen while it owned the shard woke up and initialised its producer before it learned it had
   * lost the shard. Only the group coordinator's current assignment tells which: the lane takes the shard back (its
   * initTransactions fences the stale owner) only when the coordinator confirms this process owns it now, and waits
   * while the coordinator cannot say (a rebalance), until the membership stops the lane or confirms it.
   */
  private boolean takeBackAfterFence() {
    while (!stopping) {
      Ownership o = ctx.ownership(shard);
      if (o == Ownership.CONFIRMED) {
        LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
            .log("{} fenced by a stale owner; the group coordinator confirms this process owns the shard, which it takes back", describe());
        restartAfter(Duration.ofSeconds(1));
        return !stopping;
      }
      if (o == Ownership.NOT_OWNER) {
        LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
            .log("{} fenced: another process of the flow owns the shard now; this process stops writing it", describe());
        return false;
      }
      sleeper.accept(OWNERSHIP_RECHECK);
    }
    LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
        .log("shard taken over by another process of the flow; this process stops writing it");
    return false;
  }

  /**
   * A fault that heals by itself (a cluster that does not answer): new clients after a backoff, for as long as it takes,
   * reported as the shard's fault until it commits again.
   */
  private boolean restartAfterOutage(String why) {
    if (stopping) {
      return false;
    }
    long wait = BACKOFF.backoff(faultsInARow++);
    String message = describe() + " cannot go on (" + why + "); restarting its clients from the committed progress in " + wait / 1000 + " s";
    ctx.state().shardFault(shard, message);
    LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard).log(message);
    restartAfter(Duration.ofMillis(wait));
    return !stopping;
  }

  /** Whether a failure is one that heals by itself: a timeout, a cluster or coordinator that does not answer. */
  static boolean heals(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RetriableException) {
        return true;
      }
      if (t instanceof FerryException fe && fe.reason() == FerryException.Reason.UNREACHABLE) {
        return true;
      }
    }
    return false;
  }

  private String describe() {
    return (lane == Lane.SLOW ? "slow lane of shard " : "shard ") + shard + " of flow " + ctx.flow().name();
  }

  private void restartAfter(Duration wait) {
    ctx.state().restarted();
    sleeper.accept(wait);
  }

  /** Waits, returning early when the worker is asked to stop. */
  private void pause(Duration d) {
    long deadline = System.nanoTime() + d.toNanos();
    synchronized (wake) {
      long left;
      while (!stopping && (left = deadline - System.nanoTime()) > 0) {
        try {
          wake.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
