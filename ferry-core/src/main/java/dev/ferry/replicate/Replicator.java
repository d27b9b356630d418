package dev.ferry.replicate;

import dev.ferry.FerryException;
import dev.ferry.KafkaCalls;
import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.naming.TopicNaming;
import dev.ferry.topics.TopicReconciler;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running flow in this process: keeps target topics in step, joins the flow's membership group and replicates the
 * shards it is given. {@link #close()} stops it cleanly: every shard commits what it has and stops.
 */
public final class Replicator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Replicator.class);
  private static final long ADMIN_TIMEOUT_MS = 30_000;

  /** What to do when a cluster does not answer at start. */
  public enum Startup {
    /** Fail at once with an error that names the cluster (one-shot commands). */
    FAIL_FAST,
    /** Log and retry with backoff until it answers or the replicator is closed (long-running {@code run}). */
    RETRY
  }

  private final FlowConfig flow;
  private final FlowStatus status = new FlowStatus();
  private final Admin sourceAdmin;
  private final Admin targetAdmin;
  private final AtomicReference<FerryException> failure = new AtomicReference<>();
  private final CountDownLatch ended = new CountDownLatch(1);
  private final Object lifecycle = new Object();
  private volatile boolean closed;
  private FlowContext ctx;
  private TopicReconciler reconciler;
  private Thread topicThread;
  private ShardMembership membership;
  private Thread membershipThread;
  private Thread checkpointThread;

  private Replicator(FlowConfig flow) {
    this.flow = flow;
    this.sourceAdmin = Admin.create(Clients.admin(flow.source()));
    this.targetAdmin = Admin.create(Clients.admin(flow.target()));
  }

  /** Starts the flow; returns once its topics are reconciled and it has joined its membership group. */
  public static Replicator start(FlowConfig flow, Startup startup) {
    Replicator r = new Replicator(flow);
    try {
      r.begin(startup);
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
    return status;
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
   * with a problem, or partitions stopped by one), everything the source held (read_committed end offsets) when the
   * call began: replication lag zero as of the call.
   */
  public void awaitCaughtUp(Duration timeout) {
    Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> request = new java.util.HashMap<>();
    reconciler.selectedTopics().forEach((topic, partitions) -> {
      if (!status.topicProblems.containsKey(topic)) {
        for (int p = 0; p < partitions; p++) {
          request.put(new TopicPartition(topic, p), org.apache.kafka.clients.admin.OffsetSpec.latest());
        }
      }
    });
    Map<TopicPartition, Long> ends = new java.util.HashMap<>();
    KafkaCalls.await(sourceAdmin.listOffsets(request,
                new org.apache.kafka.clients.admin.ListOffsetsOptions(org.apache.kafka.common.IsolationLevel.READ_COMMITTED)).all(),
            ADMIN_TIMEOUT_MS, "list end offsets on " + flow.source().describe())
        .forEach((tp, info) -> ends.put(tp, info.offset()));
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      failure().ifPresent(e -> {
        throw e;
      });
      Map<TopicPartition, Long> at = status.committedPositions();
      List<TopicPartition> behind = ends.entrySet().stream()
          .filter(e -> at.getOrDefault(e.getKey(), -1L) < e.getValue() && !status.partitionProblems.containsKey(e.getKey()))
          .map(Map.Entry::getKey).toList();
      if (behind.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        TopicPartition tp = behind.get(0);
        throw new FerryException(FerryException.Reason.FAILED, "flow " + flow.name() + " did not catch up within " + timeout + ": "
            + behind.size() + " partitions behind, such as " + tp + " at " + at.getOrDefault(tp, -1L) + " of " + ends.get(tp));
      }
      try {
        if (ended.await(50, TimeUnit.MILLISECONDS) && failure().isEmpty()) {
          throw new FerryException(FerryException.Reason.FAILED, "flow " + flow.name() + " was closed before it caught up");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FerryException(FerryException.Reason.FAILED, "interrupted while waiting for flow " + flow.name() + " to catch up");
      }
    }
  }

  private void begin(Startup startup) {
    awaitReachable(flow.source(), sourceAdmin, startup, "source");
    awaitReachable(flow.target(), targetAdmin, startup, "target");
    int mapPartitions = ensureInternalTopics();
    String memberId = UUID.randomUUID().toString().substring(0, 8);
    ctx = new FlowContext(flow, memberId, status, targetAdmin, mapPartitions, this::fail);
    reconciler = new TopicReconciler(flow, sourceAdmin, targetAdmin, replicatedTargetTopics(), status.topicProblems);
    ctx.publishReady(reconciler.reconcile());
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      topicThread = new Thread(this::reconcileLoop, "ferry-" + flow.name() + "-topics");
      topicThread.setDaemon(true);
      topicThread.start();
      membership = new ShardMembership(ctx, memberId);
      membershipThread = new Thread(membership, "ferry-" + flow.name() + "-membership");
      membershipThread.setDaemon(true);
      membershipThread.start();
      checkpointThread = new Thread(this::checkpointLoop, "ferry-" + flow.name() + "-checkpoints");
      checkpointThread.setDaemon(true);
      checkpointThread.start();
    }
    LOG.atInfo().addKeyValue("flow", flow.name()).log("replicating {} -> {} ({})", flow.source().describe(), flow.target().describe(), flow.topics());
  }

  private void awaitReachable(ClusterConfig cluster, Admin admin, Startup startup, String role) {
    long backoffMs = 1000;
    while (true) {
      try {
        probe(admin, cluster, role, Duration.ofSeconds(startup == Startup.FAIL_FAST ? 5 : 15));
        return;
      } catch (FerryException e) {
        if (startup == Startup.FAIL_FAST || e.reason() != FerryException.Reason.UNREACHABLE || closed) {
          throw e;
        }
        LOG.atWarn().addKeyValue("flow", flow.name()).log("{}; retrying in {} s", e.getMessage(), backoffMs / 1000);
        sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 30_000);
      }
    }
  }

  /** Checks that a cluster answers within {@code timeout}; the error names the cluster and its bootstrap servers. */
  public static void probe(Admin admin, ClusterConfig cluster, String role, Duration timeout) {
    try {
      KafkaCalls.await(admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis())).clusterId(),
          timeout.toMillis() + 1000, "reach " + role + " cluster " + cluster.describe());
    } catch (FerryException e) {
      throw new FerryException(e.reason(), "cannot reach " + role + " cluster " + cluster.describe()
          + (e.reason() == FerryException.Reason.UNREACHABLE ? ": no answer from its bootstrap servers" : ": " + e.getMessage()), e);
    }
  }

  /** As {@link #probe(Admin, ClusterConfig, String, Duration)} with an admin client of its own. */
  public static void probe(ClusterConfig cluster, String role, Duration timeout) {
    try (Admin admin = Admin.create(Clients.admin(cluster))) {
      probe(admin, cluster, role, timeout);
    }
  }

  /** Creates the offset-map and shard topics on the target if missing; returns the offset map's partition count. */
  private int ensureInternalTopics() {
    String mapTopic = TopicNaming.offsetMapTopic(flow.name());
    String shardTopic = TopicNaming.shardTopic(flow.name());
    NewTopic map = new NewTopic(mapTopic, Optional.of(flow.shards()), flow.replicationFactor())
        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "delete", TopicConfig.RETENTION_MS_CONFIG, "-1",
            TopicConfig.RETENTION_BYTES_CONFIG, "-1"));
    NewTopic shards = new NewTopic(shardTopic, Optional.of(flow.shards()), flow.replicationFactor());
    NewTopic checkpoints = new NewTopic(dev.ferry.client.CheckpointCodec.topic(flow.name()), Optional.of(1), flow.replicationFactor())
        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact"));
    targetAdmin.createTopics(List.of(map, shards, checkpoints)).values().forEach((name, f) -> {
      try {
        KafkaCalls.await(f, ADMIN_TIMEOUT_MS, "create " + name + " on " + flow.target().describe());
      } catch (FerryException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    });
    TopicReconciler.awaitLeaders(targetAdmin, List.of(mapTopic, shardTopic, dev.ferry.client.CheckpointCodec.topic(flow.name())),
        Duration.ofSeconds(30), flow.target().describe());
    Map<String, TopicDescription> d =
        KafkaCalls.await(targetAdmin.describeTopics(List.of(mapTopic, shardTopic)).allTopicNames(), ADMIN_TIMEOUT_MS,
            "describe Ferry's topics on " + flow.target().describe());
    int shardPartitions = d.get(shardTopic).partitions().size();
    if (shardPartitions != flow.shards()) {
      changeShardCount(shardTopic, shardPartitions);
    }
    return d.get(mapTopic).partitions().size();
  }

  /**
   * The flow ran with another shard count. Progress is kept per partition (not per shard) and a source partition's
   * offset-map updates do not depend on the shard count, so only ownership changes: allowed when no process of the flow
   * runs. Every transactional.id of the old shards is fenced first (aborting whatever a crashed process left open), then
   * the shard topic gets the new number of partitions.
   */
  private void changeShardCount(String shardTopic, int old) {
    String group = TopicNaming.membershipGroup(flow.name());
    int running;
    try {
      running = KafkaCalls.await(targetAdmin.describeConsumerGroups(List.of(group)).describedGroups().get(group), ADMIN_TIMEOUT_MS,
          "describe " + group + " on " + flow.target().describe()).members().size();
    } catch (FerryException e) {
      if (!(e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException)) {
        throw e;
      }
      running = 0;
    }
    if (running > 0) {
      throw new FerryException(FerryException.Reason.BAD_INPUT, "shards: flow " + flow.name() + " runs with " + old + " shards on "
          + flow.target().describe() + " and " + running + " process(es) of it are running; stop them all, then start with "
          + flow.shards() + " shards (progress is kept)");
    }
    ShardFence.fence(flow, old);
    if (flow.shards() > old) {
      KafkaCalls.await(targetAdmin.createPartitions(Map.of(shardTopic, org.apache.kafka.clients.admin.NewPartitions.increaseTo(flow.shards()))).all(),
          ADMIN_TIMEOUT_MS, "add partitions to " + shardTopic + " on " + flow.target().describe());
    } else {
      KafkaCalls.await(targetAdmin.deleteTopics(List.of(shardTopic)).all(), ADMIN_TIMEOUT_MS, "delete " + shardTopic + " on " + flow.target().describe());
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (true) {
        try {
          KafkaCalls.await(targetAdmin.createTopics(List.of(new NewTopic(shardTopic, Optional.of(flow.shards()), flow.replicationFactor()))).all(),
              ADMIN_TIMEOUT_MS, "create " + shardTopic + " on " + flow.target().describe());
          break;
        } catch (FerryException e) {
          if (!(e.getCause() instanceof TopicExistsException) || System.nanoTime() > deadline) {
            throw e;
          }
          sleep(200); // the deletion is still under way
        }
      }
    }
    TopicReconciler.awaitLeaders(targetAdmin, List.of(shardTopic), Duration.ofSeconds(30), flow.target().describe());
    LOG.atInfo().addKeyValue("flow", flow.name()).log("shards changed from {} to {} (old shards fenced; progress kept)", old, flow.shards());
  }

  /** Target topics this flow has committed progress for: it replicated them before, so it may add partitions. */
  private Set<String> replicatedTargetTopics() {
    String group = TopicNaming.progressGroup(flow.name());
    Map<TopicPartition, ?> offsets = KafkaCalls.await(targetAdmin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata(),
        ADMIN_TIMEOUT_MS, "read progress of group " + group + " on " + flow.target().describe());
    Set<String> topics = new HashSet<>();
    offsets.keySet().forEach(tp -> topics.add(tp.topic()));
    return topics;
  }

  private void reconcileLoop() {
    while (!closed) {
      sleep(flow.topicRefreshInterval().toMillis());
      if (closed) {
        return;
      }
      try {
        ctx.publishReady(reconciler.reconcile());
      } catch (FerryException e) {
        LOG.atWarn().addKeyValue("flow", flow.name()).log("topic refresh failed, retrying: {}", e.getMessage());
      } catch (RuntimeException e) {
        LOG.atWarn().addKeyValue("flow", flow.name()).log("topic refresh failed, retrying: {}", e.toString());
      }
    }
  }

  /** The owner of shard 0 checkpoints the flow's consumer groups; Kafka's group membership decides who that is. */
  private void checkpointLoop() {
    try (dev.ferry.groups.Checkpointer checkpointer = new dev.ferry.groups.Checkpointer(flow, sourceAdmin, targetAdmin)) {
      while (!closed) {
        sleep(flow.checkpointInterval().toMillis());
        if (closed || !status.ownedShards.containsKey(0)) {
          continue;
        }
        try {
          status.lastCheckpoint = checkpointer.round(flow.syncGroupOffsets());
        } catch (FerryException e) {
          LOG.atWarn().addKeyValue("flow", flow.name()).log("checkpoint round failed, retrying: {}", e.getMessage());
        } catch (RuntimeException e) {
          LOG.atWarn().addKeyValue("flow", flow.name()).log("checkpoint round failed, retrying: {}", e.toString());
        }
      }
    }
  }

  private void fail(FerryException e) {
    if (failure.compareAndSet(null, e)) {
      LOG.atError().addKeyValue("flow", flow.name()).log(e.getMessage());
      ended.countDown();
    }
  }

  private void sleep(long ms) {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      try {
        lifecycle.wait(ms);
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
    if (membership != null) {
      membership.close();
      join(membershipThread);
    }
    join(topicThread);
    join(checkpointThread);
    if (ctx != null) {
      ctx.close();
    }
    sourceAdmin.close(Duration.ofSeconds(5));
    targetAdmin.close(Duration.ofSeconds(5));
    ended.countDown();
    LOG.atInfo().addKeyValue("flow", flow.name()).log("stopped; {} records replicated", status.replicatedRecords());
  }

  private static void join(Thread t) {
    if (t == null) {
      return;
    }
    try {
      t.join(90_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
