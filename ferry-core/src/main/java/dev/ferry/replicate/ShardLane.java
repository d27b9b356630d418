package dev.ferry.replicate;

import dev.ferry.client.FerryNames;
import dev.ferry.kafka.Incarnation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One life of a shard lane's clients: reads the lane's partitions from the source (read_committed) and writes them to
 * the target in transactions that also hold the offset-map records and the progress (next source offset per partition,
 * committed to the flow's progress group). {@link #start()} initialises the lane's transactional.id, fencing any
 * earlier owner; {@link #step()} polls, sends and commits when due; {@link #finish(boolean)} commits (or aborts) the
 * open transaction; {@link #close(boolean)} closes the clients. One partition that cannot be written is stopped and
 * reported; the others go on. {@link ShardWorker} runs lives one after the other.
 *
 * <p>Not thread-safe: one thread drives it, except {@link #wakeup()}.
 */
final class ShardLane {
  private static final Logger LOG = LoggerFactory.getLogger(ShardLane.class);
  private static final Duration POLL = Duration.ofMillis(50);
  /** How long a commit waits for the clusters to say which topic incarnations exist. */
  private static final Duration INCARNATION_TIMEOUT = Duration.ofSeconds(10);

  private final FlowContext ctx;
  private final ReplicationState state;
  private final int shard;
  private final ShardWorker.Lane lane;
  private final ShardLanes lanes;
  private final String transactionalId;
  private final BooleanSupplier stopping;
  private final LongSupplier clock;
  private final TransactionPacer pacer;
  private final LanePolicy policy;
  private final RecordMapper mapper;
  private final PartitionFaults faults;
  private final ShardStatsReporter stats;
  private final SendLedger ledger = new SendLedger();
  private final ShardAssignment assignment;
  private volatile Consumer<byte[], byte[]> consumer;
  private ShardTransaction tx;
  private long commits;
  /** Commits in a row that failed without a partition to blame: after this many, an operator must act. */
  private static final int COMMIT_FAILURES_REPORTED = 10;
  private int failedCommits;

  /**
   * @param stopping whether the lane was asked to stop (no more stats records then: the shard topic may be gone)
   * @param clock nanoseconds for commit pacing, lane moves and stats (tests pass a fake one)
   */
  ShardLane(FlowContext ctx, int shard, ShardLanes lanes, ShardWorker.Lane lane, BooleanSupplier stopping, LongSupplier clock) {
    this.ctx = ctx;
    this.state = ctx.state();
    this.shard = shard;
    this.lanes = lanes;
    this.lane = lane;
    this.stopping = stopping;
    this.clock = clock;
    String flow = ctx.flow().name();
    this.transactionalId = lane == ShardWorker.Lane.MAIN ? FerryNames.transactionalId(flow, shard) : FerryNames.slowLaneTransactionalId(flow, shard);
    this.pacer = new TransactionPacer(ctx.flow().commitInterval());
    this.policy = new LanePolicy(ctx.flow().commitInterval(), clock);
    this.faults = new PartitionFaults(ctx.flow(), state, shard);
    this.mapper = new RecordMapper(ctx.flow().source().alias(), ctx.flow().target().alias(), ctx.flow().provenance(), faults::unreadableHeader);
    this.stats = new ShardStatsReporter(flow, shard, ctx.memberId(), state.shardLoad(shard), clock, System::currentTimeMillis);
    this.assignment = new ShardAssignment(ctx.mapPartitions());
  }

  String transactionalId() {
    return transactionalId;
  }

  /** Transactions this life committed. */
  long commits() {
    return commits;
  }

  /** Wakes the lane's thread if it is blocked in a consumer call ({@link WakeupException} there). */
  void wakeup() {
    Consumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  /** Starts the lane's clients; its producer's initTransactions fences any previous owner. */
  void start() {
    tx = new ShardTransaction(ctx.clients().producer(transactionalId, partitionsOfShard()), ctx.flow(), describe());
    consumer = ctx.clients().consumer(transactionalId);
    if (stopping.getAsBoolean()) {
      return;
    }
    tx.init();
    if (lane == ShardWorker.Lane.MAIN) {
      state.shardStarted(shard, transactionalId);
      LOG.atInfo().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard).log("shard started");
    }
  }

  /** One round: follow the assignment, poll, send, commit when due. */
  void step() {
    syncAssignment();
    if (assignment.isEmpty()) {
      ctx.awaitTopicChange(Duration.ofMillis(500));
      return;
    }
    ConsumerRecords<byte[], byte[]> records;
    try {
      records = consumer.poll(POLL);
    } catch (WakeupException e) {
      return; // stop() woke the consumer
    } catch (OffsetOutOfRangeException e) {
      faults.outOfRange(consumer, e, assignment);
      return;
    } catch (TopicAuthorizationException e) {
      faults.notAuthorizedToRead(e, assignment.sources());
      return;
    }
    for (TopicPartition tp : records.partitions()) {
      send(assignment.get(tp), records.records(tp));
    }
    if (pacer.due(clock.getAsLong(), records.isEmpty()) || tx.failed()) {
      commit();
    }
  }

  /** At the end of the life: commits the open transaction when {@code clean}, else aborts it. */
  void finish(boolean clean) {
    if (!clean) {
      tx.abort();
      return;
    }
    try {
      commit();
    } catch (WakeupException e) {
      commit(); // the wakeup that asked us to stop hit a consumer call inside the commit; it is now spent
    }
  }

  /** How many of the flow's ready partitions hash to this shard now (its producer's batch size depends on it). */
  private int partitionsOfShard() {
    return (int) ctx.readyPartitions().keySet().stream().filter(this::inThisShard).count();
  }

  private boolean inThisLane(TopicPartition source) {
    return lanes.isSlow(source) == (lane == ShardWorker.Lane.SLOW);
  }

  private boolean inThisShard(TopicPartition source) {
    return Shards.of(source.topic(), source.partition(), ctx.flow().shards()) == shard;
  }

  /** Follows the flow's ready partitions: new ones start at their committed progress. */
  private void syncAssignment() {
    Map<TopicPartition, TopicPartition> ready = ctx.readyPartitions();
    if (!assignment.outdated(ready, state.problemCount(), lanes.version())) {
      return;
    }
    // Settle the open transaction first: a partition changes lane only between transactions, and this commit may
    // itself move partitions to the slow lane.
    commit();
    List<ShardPartition> added = assignment.sync(consumer, ready, state.problemCount(), lanes.version(),
        s -> inThisShard(s) && inThisLane(s), state::hasProblem, ctx::progress,
        ctx::maps, ctx::incarnation);
    ctx.warmMetadata(tx.producer(), added.stream().map(p -> p.target.topic()).distinct().toList());
    added.forEach(p -> state.committed(p.source, p.committedNext));
    pacer.startAt(clock.getAsLong());
  }

  private void send(ShardPartition p, List<ConsumerRecord<byte[], byte[]>> records) {
    if (p == null) {
      return;
    }
    tx.beginIfNeeded();
    // counted for the whole list up front (one atomic update, not one per record); what is not sent is taken back below
    int notSent = records.size();
    ledger.expect(p, notSent);
    long consumed = records.get(records.size() - 1).offset() + 1;
    for (ConsumerRecord<byte[], byte[]> r : records) {
      if (p.stopsAt(r.offset())) {
        consumer.pause(List.of(p.source));
        consumed = p.stopAt().getAsLong();
        break;
      }
      ProducerRecord<byte[], byte[]> copy = mapper.map(r, p.target);
      if (copy == null) {
        state.filtered();
        continue;
      }
      if (tx.failed()) {
        break;
      }
      notSent--;
      if (!tx.send(copy, ledger.sent(p, r.offset(), Math.max(0, r.serializedKeySize()) + Math.max(0, r.serializedValueSize())))) {
        ledger.acknowledged(p, 1); // refused: the next commit aborts and rewinds
      }
    }
    p.consumedUpTo(consumed);
    if (notSent > 0) {
      ledger.acknowledged(p, notSent);
    }
  }

  /** Commits the open transaction with its offset-map records and progress; on a record error, aborts and rewinds. */
  private void commit() {
    for (ShardPartition p : assignment.partitions()) {
      if (!state.hasProblem(p.source)) {
        p.consumedUpTo(consumer.position(p.source, Duration.ofSeconds(30)));
      }
    }
    long now = clock.getAsLong();
    long refresh = ctx.progressRefresh().toNanos();
    // progress is refreshed only for partitions still in this lane (one moving to the other lane may have newer progress
    // there already) and without a problem (a stopped partition keeps what it has: its stop is not durable)
    Predicate<ShardPartition> stale = p -> !state.hasProblem(p.source) && inThisLane(p.source) && p.progressStale(now, refresh);
    boolean due = assignment.partitions().stream().anyMatch(p -> p.advanced() || stale.test(p));
    pacer.startAt(now);
    if (!tx.isOpen() && !due) {
      return;
    }
    tx.beginIfNeeded();
    long commitStart = clock.getAsLong();
    // asked after the last read of the transaction, answered while its writes complete
    CompletableFuture<Map<String, Incarnation>> incarnations = askIncarnations();
    if (!awaitWrites()) {
      return;
    }
    tx.flush();
    if (ledger.hasErrors() || tx.failed()) {
      faults.stopPartitions(ledger, assignment);
      abortAndRewind();
      sleepQuietly(Duration.ofMillis(500));
      return;
    }
    Optional<String> recreated = recreatedTopics(incarnations);
    if (recreated.isPresent()) {
      abortAndRewind();
      commitFailed(recreated.get());
      sleepQuietly(Duration.ofMillis(Math.min(2_000, 100L * failedCommits)));
      return;
    }
    int records = ledger.count();
    long bytes = ledger.bytes();
    ledger.foldIntoRuns();
    if (lane == ShardWorker.Lane.MAIN && !stopping.getAsBoolean()) { // stopping: the shard topic may be gone (failover deletes it)
      stats.due(records, bytes, lanes.slowCount()).ifPresent(tx::write);
    }
    List<ShardPartition> progressed = assignment.partitions().stream().filter(p -> p.advanced() || stale.test(p)).toList();
    if (!tx.commit(assignment.partitions(), stale)) {
      commitFailed(tx.lastCommitFailure());
      rewind();
      sleepQuietly(Duration.ofMillis(Math.min(5_000, 100L * failedCommits)));
      return;
    }
    failedCommits = 0;
    commits++;
    ledger.reset();
    long committedAt = clock.getAsLong();
    progressed.forEach(p -> p.progressCommitted(committedAt));
    for (ShardPartition p : assignment.partitions()) {
      state.expired(p.pendingGaps.records());
      p.committed();
      state.committed(p.source, p.committedNext);
    }
    state.transactionCommitted(shard, records, bytes);
    pacer.committed(records);
    if (lane == ShardWorker.Lane.SLOW && policy.backToMainLane(clock.getAsLong() - commitStart, !assignment.isEmpty())) {
      LOG.atInfo().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
          .log("target writes of {} are quick again; back to the shard's main lane", assignment.sources());
      lanes.moveToMainLane(assignment.sources());
    }
  }

  /**
   * Asks which incarnations of the topics the open transaction read and wrote exist now; null when there is nothing to
   * ask (no partition advanced, or their topic ids are not known).
   */
  private CompletableFuture<Map<String, Incarnation>> askIncarnations() {
    Map<String, String> topics = new HashMap<>();
    for (ShardPartition p : assignment.partitions()) {
      if (p.advanced() && p.incarnation.known()) {
        topics.put(p.source.topic(), p.target.topic());
      }
    }
    return topics.isEmpty() ? null : ctx.incarnationCheck().current(topics);
  }

  /**
   * Whether a source or target topic of the open transaction was deleted or created again since its partitions were
   * assigned: the transaction may then hold records of another topic than its progress and map describe, so it must not
   * commit. Says what happened (or that the clusters could not be asked, which is not committed on either).
   */
  private Optional<String> recreatedTopics(CompletableFuture<Map<String, Incarnation>> asked) {
    if (asked == null) {
      return Optional.empty();
    }
    Map<String, Incarnation> now;
    try {
      now = asked.get(INCARNATION_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted while checking topic ids");
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      return Optional.of("cannot check the topic ids of its topics: " + (e.getCause() == null ? e : e.getCause()));
    }
    if (now == null) {
      return Optional.empty();
    }
    List<String> changed = new ArrayList<>();
    for (ShardPartition p : assignment.partitions()) {
      if (p.advanced() && p.incarnation.known()) {
        Incarnation current = now.get(p.source.topic());
        if (current == null || p.incarnation.differs(current)) {
          changed.add(p.source.topic());
        }
      }
    }
    if (changed.isEmpty()) {
      return Optional.empty();
    }
    List<String> topics = changed.stream().distinct().sorted().toList();
    LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
        .log("source or target topic of {} was deleted or created again while it was replicated; the transaction is aborted and"
            + " the topic is taken up again as the topic refresh finds it", topics);
    return Optional.of("topics " + topics + " were deleted or created again; waiting for the topic refresh");
  }

  /**
   * Main lane: waits until the target acknowledged every send of the open transaction. When some partitions hold up the
   * rest past the stall timeout, the transaction is aborted and they move to the slow lane: returns false then.
   */
  private boolean awaitWrites() {
    if (lane == ShardWorker.Lane.SLOW || ledger.allAcknowledged()) {
      return true;
    }
    ctx.flushInBackground(tx.producer());
    if (ledger.awaitAcknowledged(policy.stallTimeout())) {
      return true;
    }
    List<TopicPartition> moved = LanePolicy.toSlowLane(ledger.touchedCount(), ledger.unacknowledged()).stream().map(p -> p.source).toList();
    if (moved.isEmpty()) {
      return true;
    }
    LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
        .log("target writes of {} not acknowledged after {} ms while the shard's other partitions are done; moving them to the"
            + " shard's slow lane so they no longer hold up the others", moved, policy.stallTimeout().toMillis());
    abortAndRewind();
    lanes.moveToSlowLane(moved);
    return false;
  }

  /**
   * A commit failed in a way not tied to a partition (no permission on the progress group or the map topic, a
   * coordinator that moved): the shard's fault until a commit succeeds, logged at ERROR once it keeps failing.
   */
  private void commitFailed(String why) {
    failedCommits++;
    String message = describe() + " cannot commit (" + why + "); retrying";
    state.shardFault(shard, message);
    if (failedCommits == COMMIT_FAILURES_REPORTED) {
      LOG.atError().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
          .log("{} failed {} commits in a row, the last with {}; replication of its partitions is stalled until that is fixed", describe(),
              failedCommits, why);
    }
  }

  private void abortAndRewind() {
    tx.abort();
    rewind();
  }

  /** Back to the committed progress after an abort: the open transaction's records are read and written again. */
  private void rewind() {
    ledger.reset();
    assignment.rewind(consumer, state::hasProblem);
  }

  private String describe() {
    return (lane == ShardWorker.Lane.SLOW ? "slow lane of shard " : "shard ") + shard + " of flow " + ctx.flow().name() + " on "
        + ctx.flow().target().describe();
  }

  /** Closes the clients; after a clean end the producer may take a few seconds to send what it holds, else none. */
  void close(boolean clean) {
    if (lane == ShardWorker.Lane.MAIN) {
      state.shardStopped(shard);
    }
    Consumer<byte[], byte[]> c = consumer;
    if (c != null) {
      try {
        c.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      } catch (RuntimeException e) {
        LOG.atDebug().log("closing source consumer: {}", e.toString());
      }
    }
    if (tx != null) {
      tx.close(clean ? Duration.ofSeconds(10) : Duration.ZERO);
    }
  }

  private static void sleepQuietly(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
