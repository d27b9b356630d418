package dev.ferry.flow;

import dev.ferry.FerryException;
import dev.ferry.config.FlowConfig;
import dev.ferry.groups.CheckpointRound;
import dev.ferry.groups.Checkpointer;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.ClusterProbe;
import dev.ferry.kafka.ProgressStore;
import dev.ferry.replicate.Replication;
import dev.ferry.replicate.ReplicationStatus;
import dev.ferry.replicate.StartPositions;
import dev.ferry.topics.TopicReconciler;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import java.util.Set;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running flow in this process: keeps target topics in step with the source, replicates the shards Kafka's group
 * membership gives this process, and checkpoints the flow's consumer groups while it owns shard 0. {@link #close()}
 * stops it cleanly: every shard commits what it has and stops.
 */
public final class Replicator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Replicator.class);

  /** What to do when a cluster does not answer at start. */
  public enum Startup {
    /** Fail at once with an error that names the cluster (one-shot commands). */
    FAIL_FAST,
    /** Log and retry with backoff until it answers or the replicator is closed (long-running {@code run}). */
    RETRY
  }

  /** What to do with a flow that failed over (its target is live). */
  public enum AfterFailover {
    /** Refuse to start, and stop if the flow fails over while running. */
    REFUSE,
    /** Forget the failover and replicate into the target again (asked for on purpose). */
    RESUME
  }

  private final FlowConfig flow;
  private final StartPositions starts;
  private final StateReader state;
  private final Admin sourceAdmin;
  private final Admin targetAdmin;
  private final AtomicReference<FerryException> failure = new AtomicReference<>();
  private final CountDownLatch ended = new CountDownLatch(1);
  private final Object lifecycle = new Object();
  private final ScheduledExecutorService jobs;
  private volatile boolean closed;
  private volatile TopicReconciler reconciler;
  private volatile Replication replication;
  private volatile CheckpointRound lastCheckpoint;
  /** Made by the first round this process owns shard 0 (it loads the offset map), closed with the flow. */
  private Checkpointer checkpointer;

  private Replicator(FlowConfig flow, StartPositions starts) {
    this.flow = flow;
    this.starts = starts;
    this.state = new StateReader(flow);
    this.sourceAdmin = Admin.create(Clients.admin(flow.source()));
    this.targetAdmin = Admin.create(Clients.admin(flow.target()));
    AtomicInteger n = new AtomicInteger();
    this.jobs = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "ferry-" + flow.name() + "-" + (n.getAndIncrement() == 0 ? "topics" : "checkpoints"));
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts the flow; returns once its topics are reconciled and it has joined its membership group. A flow that failed
   * over is refused.
   */
  public static Replicator start(FlowConfig flow, Startup startup) {
    return start(flow, startup, AfterFailover.REFUSE);
  }

  /** As {@link #start(FlowConfig, Startup)}, replicating into a target that failed over when {@code afterFailover} says so. */
  public static Replicator start(FlowConfig flow, Startup startup, AfterFailover afterFailover) {
    return start(flow, startup, afterFailover, StartPositions.BEGINNING);
  }

  /** As above, partitions without progress starting where {@code starts} says (their beginning unless it gives a position). */
  public static Replicator start(FlowConfig flow, Startup startup, AfterFailover afterFailover, StartPositions starts) {
    Replicator r = new Replicator(flow, starts);
    try {
      r.begin(startup, afterFailover);
      return r;
    } catch (RuntimeException e) {
      r.close();
      throw e;
    }
  }

  public FlowConfig flow() {
    return flow;
  }

  public FlowStatus status() {
    TopicReconciler t = reconciler;
    Replication rep = replication;
    return new FlowStatus(rep == null ? ReplicationStatus.none() : rep.status(), t == null ? java.util.Map.of() : t.problems(), Optional.ofNullable(lastCheckpoint));
  }

  /** The error that stopped this flow, if one did. */
  public Optional<FerryException> failure() {
    return Optional.ofNullable(failure.get());
  }

  /** Blocks until the flow fails or is closed. */
  public void awaitEnd() throws InterruptedException {
    ended.await();
  }

  public boolean awaitEnd(Duration timeout) throws InterruptedException {
    return ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Waits until this process has committed, for every partition of the selected source topics (but those of topics
   * with a problem, or partitions stopped by one), everything the source held when the call began.
   */
  public void awaitCaughtUp(Duration timeout) {
    CatchUp.await(this, sourceAdmin, reconciler.selectedTopics(), timeout);
  }

  /** The source's read_committed end offsets of these partitions now. */
  public Map<TopicPartition, Long> sourceEnds(java.util.Collection<TopicPartition> partitions) {
    return CatchUp.ends(sourceAdmin, flow, partitions);
  }

  private void begin(Startup startup, AfterFailover afterFailover) {
    for (boolean source : new boolean[] {true, false}) {
      Admin admin = source ? sourceAdmin : targetAdmin;
      String role = source ? "source" : "target";
      if (startup == Startup.FAIL_FAST) {
        ClusterProbe.probe(admin, source ? flow.source() : flow.target(), role, Duration.ofSeconds(5));
      } else {
        ClusterProbe.awaitReachable(admin, source ? flow.source() : flow.target(), role, () -> closed, this::pause);
      }
    }
    Optional<FailedOver> failedOver = state.poll(Duration.ofSeconds(30));
    if (failedOver.isPresent()) {
      if (afterFailover == AfterFailover.REFUSE) {
        throw new FerryException(FerryException.Reason.REFUSED, failedOver.get().refusal(flow));
      }
      FailedOver.clear(flow, targetAdmin);
      LOG.atWarn().addKeyValue("flow", flow.name()).log("flow failed over to {} at {}; replicating into it again, as asked", flow.target().describe(),
          failedOver.get().at());
    }
    int mapPartitions = new InternalTopics(flow, targetAdmin).ensure();
    state.topicCreated(); // a failover from now on is noticed at the next topic refresh
    String memberId = UUID.randomUUID().toString().substring(0, 8);
    ProgressStore progress = new ProgressStore(targetAdmin, flow);
    Map<TopicPartition, ProgressStore.Progress> committed = progress.readAllProgress();
    Set<String> owned = new java.util.TreeSet<>();
    committed.keySet().forEach(tp -> owned.add(tp.topic()));
    // the owner of shard 0 keeps the target topics' configs in step (one process of the flow, as for checkpoints)
    reconciler = new TopicReconciler(flow, sourceAdmin, targetAdmin, owned, replicatedSourceIds(committed), () -> {
      Replication r = replication;
      return r != null && r.ownsShard(0);
    });
    replication = new Replication(flow, memberId, progress, sourceAdmin, targetAdmin, mapPartitions, this::fail, starts);
    replication.publishReady(reconciler.reconcile(), reconciler.incarnations());
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      replication.start();
      long refresh = flow.topicRefreshInterval().toMillis();
      jobs.scheduleWithFixedDelay(this::reconcileTopics, refresh, refresh, TimeUnit.MILLISECONDS);
      long checkpoint = flow.checkpointInterval().toMillis();
      jobs.scheduleWithFixedDelay(this::checkpoint, checkpoint, checkpoint, TimeUnit.MILLISECONDS);
    }
    LOG.atInfo().addKeyValue("flow", flow.name()).log("replicating {} -> {} ({})", flow.source().describe(), flow.target().describe(), flow.topics());
  }

  /** The topic ids each source topic's partitions were last replicated as (source and target), from their committed progress. */
  private Map<String, Set<dev.ferry.kafka.Incarnation>> replicatedSourceIds(Map<TopicPartition, ProgressStore.Progress> committed) {
    dev.ferry.naming.TopicNaming naming = dev.ferry.naming.TopicNaming.of(flow);
    Map<String, Set<dev.ferry.kafka.Incarnation>> ids = new java.util.HashMap<>();
    committed.forEach((tp, p) -> naming.sourceTopic(tp.topic()).ifPresent(t -> {
      if (!org.apache.kafka.common.Uuid.ZERO_UUID.equals(p.incarnation().source())) {
        ids.computeIfAbsent(t, k -> new java.util.HashSet<>()).add(p.incarnation());
      }
    }));
    return ids;
  }

  private void reconcileTopics() {
    if (closed) {
      return;
    }
    try {
      Optional<FailedOver> failedOver = state.poll(Duration.ofSeconds(10));
      if (failedOver.isPresent()) {
        fail(new FerryException(FerryException.Reason.REFUSED, failedOver.get().refusal(flow)));
        return;
      }
      replication.publishReady(reconciler.reconcile(), reconciler.incarnations());
    } catch (RuntimeException e) {
      LOG.atWarn().addKeyValue("flow", flow.name()).log("topic refresh failed, retrying: {}", describe(e));
    }
  }

  /** The owner of shard 0 checkpoints the flow's consumer groups; Kafka's group membership decides who that is. */
  private void checkpoint() {
    if (closed || !replication.ownsShard(0)) {
      return;
    }
    try {
      if (checkpointer == null) {
        checkpointer = new Checkpointer(flow, sourceAdmin, targetAdmin); // closes its clients itself if it cannot start
      }
      lastCheckpoint = checkpointer.round(flow.syncGroupOffsets());
    } catch (RuntimeException e) {
      LOG.atWarn().addKeyValue("flow", flow.name()).log("checkpoint round failed, retrying: {}", describe(e));
    }
  }

  /** Waits for a running topic refresh or checkpoint round; false when one is still running after 90 s (then interrupted). */
  private boolean awaitJobs() {
    try {
      if (jobs.awaitTermination(90, TimeUnit.SECONDS)) {
        return true;
      }
      LOG.atWarn().addKeyValue("flow", flow.name()).log("topic refresh or checkpoint round still running after 90 s; interrupting it");
      jobs.shutdownNow();
      return jobs.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String describe(RuntimeException e) {
    return e instanceof FerryException ? e.getMessage() : e.toString();
  }

  private void fail(FerryException e) {
    if (failure.compareAndSet(null, e)) {
      LOG.atError().addKeyValue("flow", flow.name()).log(e.getMessage());
      ended.countDown();
    }
  }

  /** Waits, returning early when the flow is closed. */
  private void pause(Duration d) {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      try {
        lifecycle.wait(d.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Stops cleanly: shards commit what they hold, then every client is closed. */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      lifecycle.notifyAll();
    }
    jobs.shutdown(); // no new topic refresh or checkpoint round; one under way finishes
    try {
      if (replication != null) {
        replication.close();
      }
      if (awaitJobs()) { // only once no job can be using them
        state.close();
        if (checkpointer != null) {
          checkpointer.close();
        }
      }
    } finally {
      sourceAdmin.close(Duration.ofSeconds(5));
      targetAdmin.close(Duration.ofSeconds(5));
      ended.countDown();
    }
    long replicated = replication == null ? 0 : replication.status().replicatedRecords();
    LOG.atInfo().addKeyValue("flow", flow.name()).log("stopped; {} records replicated", replicated);
  }
}
