package dev.ferry.replicate;

import dev.ferry.FerryException;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.ProgressStore;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * The replication of one flow in this process: joins the flow's membership group on the target and runs the shards
 * Kafka assigns to it, on the partitions it is told are ready. {@link #close()} stops it cleanly: every shard commits
 * what it holds and stops.
 */
public final class Replication implements AutoCloseable {
  private final ReplicationState state = new ReplicationState();
  private final FlowContext ctx;
  private final ShardMembership membership;
  private final Thread membershipThread;

  /**
   * @param memberId this process's id among the flow's processes
   * @param source an admin client of the source (used, not closed)
   * @param target an admin client of the target (used, not closed)
   * @param mapPartitions partitions of the flow's offset-map topic
   * @param fatal told of a failure that stops the flow
   */
  public Replication(FlowConfig flow, String memberId, ProgressStore progress, Admin source, Admin target, int mapPartitions,
      Consumer<FerryException> fatal) {
    this(flow, memberId, progress, source, target, mapPartitions, fatal, StartPositions.BEGINNING);
  }

  /** As above; {@code starts} says where partitions without progress start. */
  public Replication(FlowConfig flow, String memberId, ProgressStore progress, Admin source, Admin target, int mapPartitions,
      Consumer<FerryException> fatal, StartPositions starts) {
    MapCache maps = new MapCache(flow, mapPartitions);
    DurableProgress resume = new DurableProgress(flow, progress, target, maps, state);
    MemberCheck members = new MemberCheck(flow, memberId, target);
    this.ctx = new FlowContext(flow, memberId, state, resume::read, IncarnationCheck.of(source, target), progress.refreshInterval(), members::ownership, maps,
        ShardClients.of(flow), mapPartitions, fatal, starts);
    this.membership = new ShardMembership(ctx, memberId);
    this.membershipThread = new Thread(membership, "ferry-" + flow.name() + "-membership");
    membershipThread.setDaemon(true);
  }

  /** Joins the membership group; shards start as Kafka assigns them. */
  public void start() {
    membershipThread.start();
  }

  /**
   * The partitions ready to replicate now (source partition to target partition), and the incarnations (topic ids) of
   * their topics, by source topic.
   */
  public void publishReady(Map<TopicPartition, TopicPartition> ready, Map<String, dev.ferry.kafka.Incarnation> incarnations) {
    ctx.publishReady(ready, incarnations);
  }

  public ReplicationStatus status() {
    return state.snapshot();
  }

  /** Whether this process runs the shard now. */
  public boolean ownsShard(int shard) {
    return state.ownsShard(shard);
  }

  @Override
  public void close() {
    membership.close();
    if (membershipThread.isAlive()) {
      try {
        membershipThread.join(90_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    ctx.close();
  }
}
