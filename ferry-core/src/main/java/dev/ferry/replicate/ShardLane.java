package dev.ferry.replicate;

import dev.ferry.client.FerryNames;
import dev.ferry.kafka.Incarnation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
import org.apache.kafka.common.Uuid;
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
  /** A commit asks the clusters for its topics' ids if the last such check of the lane is at least this old. */
  private static final Duration ID_CHECK_INTERVAL = Duration.ofSeconds(1);
  /** How long a partition whose topic was deleted or created again waits for the topic refresh before it is read again. */
  private static final Duration HOLD = Duration.ofSeconds(30);

  private final FlowContext ctx;
  private final ReplicationState state;
  private final int shard;
  private final ShardWorker.Lane lane;
  private final ShardLanes lanes;
  private final String transactionalId;
  private final BooleanSupplier stopping;
  private final LongSupplier clock;
  private final LongSupplier wallClock = System::currentTimeMillis;
  private final TransactionPacer pacer;
  private final LanePolicy policy;
  private final RecordMapper mapper;
  private final PartitionFaults faults;
  /** The shard's totals in this process, shared by its two lanes. */
  private final ShardStats.Counters load;
  private final io.micrometer.core.instrument.Timer commitTime;
  private final ShardStatsReporter stats;
  private final SendLedger ledger = new SendLedger();
  private final ShardAssignment assignment;
  private volatile Consumer<byte[], byte[]> consumer;
  private ShardTransaction tx;
  private long commits;
  /** Commits in a row that failed without a partition to blame: after this many, an operator must act. */
  private static final int COMMIT_FAILURES_REPORTED = 10;
  private int failedCommits;
  private boolean sourceIdsUnknownLogged;
  private long lastIdCheck = Long.MIN_VALUE / 2;

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
    this.pacer = new TransactionPacer(ctx.flow().commitInterval(), ctx.flow().maxLatency());
    this.commitTime = dev.ferry.metrics.FerryMeters.commitTimer(ctx.flow());
    this.policy = new LanePolicy(ctx.flow().commitInterval(), clock);
    this.faults = new PartitionFaults(ctx.flow(), state, shard);
    this.mapper = new RecordMapper(ctx.flow().source().alias(), ctx.flow().target().alias(), ctx.flow().provenance(), faults::unreadableHeader);
    this.load = state.shardLoad(shard);
    this.stats = new ShardStatsReporter(flow, shard, ctx.memberId(), load, clock, wallClock);
    if (lane == ShardWorker.Lane.MAIN) {
      load.drainLatency(); // from an earlier ownership of the shard by this process: not this life's
    }
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

  /**
   * One round: follow the assignment, poll, send, commit when due. A wakeup (only {@link ShardWorker#stop} asks for one)
   * ends the round wherever it hits a consumer call: in the poll, in a commit's positions or an out-of-range lookup,
   * each before the round changed anything it would have to undo; {@link #finish(boolean)} then commits or aborts the
   * open transaction.
   */
  void step() {
    try {
      round();
    } catch (WakeupException e) {
      LOG.atDebug().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard).log("{} asked to stop", describe());
    }
  }

  private void round() {
    syncAssignment();
    if (assignment.isEmpty()) {
      ctx.awaitTopicChange(Duration.ofMillis(500));
      return;
    }
    assignment.releaseHeld(consumer, clock.getAsLong());
    ConsumerRecords<byte[], byte[]> records;
    try {
      records = consumer.poll(pacer.pollTimeout(clock.getAsLong(), POLL));
    } catch (OffsetOutOfRangeException e) {
      faults.outOfRange(consumer, e, assignment, this::sourceRecreated, clock.getAsLong() + HOLD.toNanos());
      return;
    } catch (TopicAuthorizationException e) {
      faults.notAuthorizedToRead(e, assignment.sources());
      return;
    }
    for (TopicPartition tp : records.partitions()) {
      send(assignment.get(tp), records.records(tp));
    }
    if (!records.isEmpty()) {
      pacer.sent(clock.getAsLong());
    }
    if (pacer.due(clock.getAsLong(), records.isEmpty(), !records.isEmpty() && behind(records.count())) || tx.failed()) {
      commit();
    }
    load.open(lane, ledger.count());
  }

  /**
   * Whether the lane works through a backlog, after a poll that returned {@code polled} records: the poll handed over
   * a whole poll's worth ({@link TransactionPacer#BACKLOG_RECORDS}: more is waiting), or, among its partitions that are
   * not paused, one has not been read yet (its lag is not known: a flow that starts, or a backlog spread thin over many
   * partitions, which the consumer reads a few at a time) or more than a poll's worth is left to read in them together,
   * by the lag the consumer knows from its last fetches (up to the source's last stable offset).
   */
  private boolean behind(int polled) {
    if (polled >= TransactionPacer.BACKLOG_RECORDS) {
      return true;
    }
    java.util.Set<TopicPartition> paused = consumer.paused();
    long lag = 0;
    for (TopicPartition tp : consumer.assignment()) { // the consumer's own: a lag is asked only of what it has assigned
      if (!paused.contains(tp)) {
        java.util.OptionalLong known = consumer.currentLag(tp);
        if (known.isEmpty()) {
          return true;
        }
        lag += known.getAsLong();
        if (lag > TransactionPacer.BACKLOG_RECORDS) {
          return true;
        }
      }
    }
    return false;
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
    FlowContext.Ready snapshot = ctx.ready();
    Map<TopicPartition, TopicPartition> ready = snapshot.partitions();
    if (!assignment.outdated(ready, state.problemCount(), lanes.version())) {
      return;
    }
    // Settle the open transaction first: a partition changes lane only between transactions, and this commit may
    // itself move partitions to the slow lane.
    commit();
    List<ShardPartition> added = assignment.sync(consumer, ready, state.problemCount(), lanes.version(),
        s -> inThisShard(s) && inThisLane(s), state::hasProblem, parts -> ctx.progress(parts, snapshot.incarnations()),
        ctx::maps, snapshot::incarnation, ctx.starts());
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
      p.sent(r.timestamp());
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
    // the main lane also commits to report what the shard's slow lane replicated while it had nothing of its own
    boolean report = lane == ShardWorker.Lane.MAIN && !stopping.getAsBoolean() && stats.hasNews();
    boolean due = report || assignment.partitions().stream().anyMatch(p -> p.advanced() || stale.test(p));
    pacer.startAt(now);
    if (!tx.isOpen() && !due) {
      return;
    }
    tx.beginIfNeeded();
    long commitStart = clock.getAsLong();
    // the topic ids are asked at most every ID_CHECK_INTERVAL (two metadata requests for every commit of every shard
    // cost the brokers noticeably with hundreds of topics); between two checks the topic refresh is the guard
    List<ShardPartition> withIds = assignment.partitions().stream().filter(p -> p.advanced() && p.incarnation.known()).toList();
    List<ShardPartition> checked = commitStart - lastIdCheck < ID_CHECK_INTERVAL.toNanos() ? List.of() : withIds;
    if (!checked.isEmpty()) {
      lastIdCheck = commitStart;
    }
    // the source is asked after the last read of the transaction (answered while its writes complete), the target
    // after its last write was acknowledged
    CompletableFuture<Map<String, Uuid>> sourceIds = checked.isEmpty() ? null
        : ctx.incarnationCheck().sourceIds(checked.stream().map(p -> p.source.topic()).distinct().toList());
    if (!awaitWrites()) {
      return;
    }
    tx.flush();
    if (ledger.hasErrors() || tx.failed()) {
      // before a partition is stopped for a write error: a topic created again explains the errors (its partitions are
      // then held, not stopped), so the ids are asked now whatever the interval
      if (!withIds.isEmpty() && !sameTopics(withIds, sourceIds != null ? sourceIds
          : ctx.incarnationCheck().sourceIds(withIds.stream().map(p -> p.source.topic()).distinct().toList()))) {
        return;
      }
      faults.stopPartitions(ledger, assignment);
      abortAndRewind();
      sleepQuietly(Duration.ofMillis(500));
      return;
    }
    if (!checked.isEmpty() && !sameTopics(checked, sourceIds)) {
      return;
    }
    int records = ledger.count();
    long bytes = ledger.bytes();
    java.util.Set<ShardPartition> wentBack = ledger.foldIntoRuns();
    if (!wentBack.isEmpty()) {
      // cheaper than asking for ids at every commit, and it sees a target topic deleted and created again between checks
      List<TopicPartition> held = wentBack.stream().map(p -> p.source).toList();
      abortAndRewind();
      assignment.hold(consumer, held, clock.getAsLong() + HOLD.toNanos());
      LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
          .log("target partitions of {} went back below what was replicated into them (deleted and created again, or truncated); the"
              + " transaction is aborted and they wait for the topic refresh", held);
      return;
    }
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
    commitTime.record(clock.getAsLong() - commitStart, java.util.concurrent.TimeUnit.NANOSECONDS);
    ledger.reset();
    long committedAt = clock.getAsLong();
    progressed.forEach(p -> p.progressCommitted(committedAt));
    long wallNow = wallClock.getAsLong();
    for (ShardPartition p : assignment.partitions()) {
      p.latencyMs(wallNow).ifPresent(ms -> load.latency(p.source, ms));
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
   * Whether the topics of the partitions that advanced in the open transaction are still the incarnations (topic ids)
   * they were assigned for. When one was deleted or created again, the transaction may hold records of another topic
   * than its progress and map describe: it is aborted, those partitions are held until the topic refresh takes the new
   * topics up (the others commit in the next transaction), and false is returned. A source that cannot say (it does not
   * answer) or no longer has the topic (deleted after the read) does not stop the commit: what was read came from the
   * topic the partitions started with. A target that cannot say does: the commit is retried.
   */
  private boolean sameTopics(List<ShardPartition> checked, CompletableFuture<Map<String, Uuid>> sourceAsk) {
    Map<String, Uuid> source = answer(sourceAsk);
    Map<String, Uuid> target;
    try {
      target = answerOrThrow(ctx.incarnationCheck().targetIds(checked.stream().map(p -> p.target.topic()).distinct().toList()));
    } catch (RuntimeException e) {
      abortAndRewind();
      commitFailed("cannot check the ids of its target topics: " + e.getMessage());
      sleepQuietly(Duration.ofMillis(Math.min(5_000, 100L * failedCommits)));
      return false;
    }
    List<TopicPartition> changed = new ArrayList<>();
    for (ShardPartition p : checked) {
      Uuid s = source == null ? null : source.get(p.source.topic());
      boolean sourceChanged = s != null && p.incarnation.sourceDiffers(new Incarnation(s, Uuid.ZERO_UUID));
      boolean targetChanged = target != null && (!target.containsKey(p.target.topic())
          || p.incarnation.targetDiffers(new Incarnation(Uuid.ZERO_UUID, target.get(p.target.topic()))));
      if (sourceChanged || targetChanged) {
        changed.add(p.source);
      }
    }
    if (changed.isEmpty()) {
      return true;
    }
    abortAndRewind();
    assignment.hold(consumer, changed, clock.getAsLong() + HOLD.toNanos());
    LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
        .log("the source or target topic of {} was deleted or created again while it was replicated; the transaction is aborted and these"
            + " partitions wait for the topic refresh, which takes the new topics up from their start", changed);
    return false;
  }

  /** The ids the source gave, or null when it did not answer in time (said once per lane life). */
  private Map<String, Uuid> answer(CompletableFuture<Map<String, Uuid>> ask) {
    try {
      return answerOrThrow(ask);
    } catch (RuntimeException e) {
      if (!sourceIdsUnknownLogged) {
        sourceIdsUnknownLogged = true;
        LOG.atInfo().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
            .log("the source cannot say which topics it holds now ({}); committing what was read from it before", e.getMessage());
      }
      return null;
    }
  }

  private static Map<String, Uuid> answerOrThrow(CompletableFuture<Map<String, Uuid>> ask) {
    try {
      return ask.get(INCARNATION_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(String.valueOf(e.getCause()), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("no answer within " + INCARNATION_TIMEOUT.toMillis() + " ms", e);
    }
  }

  /**
   * Whether the source topic of a partition whose position is past the end of its partition is another incarnation
   * now (or gone, or cannot be asked: the partition is then held and looked at again, rather than stopped for good).
   */
  private boolean sourceRecreated(TopicPartition source) {
    ShardPartition p = assignment.get(source);
    if (p == null || !p.incarnation.known()) {
      return false;
    }
    try {
      Map<String, Uuid> now = answerOrThrow(ctx.incarnationCheck().sourceIds(List.of(source.topic())));
      return now != null && (!now.containsKey(source.topic()) || p.incarnation.sourceDiffers(new Incarnation(now.get(source.topic()), Uuid.ZERO_UUID)));
    } catch (RuntimeException e) {
      LOG.atDebug().addKeyValue("partition", source.toString()).log("cannot ask the source topic id ({}); holding the partition", e.getMessage());
      return true;
    }
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
    load.open(lane, 0);
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
