package dev.ferry.replicate;

import dev.ferry.FerryException;
import dev.ferry.KafkaCalls;
import dev.ferry.naming.TopicNaming;
import dev.ferry.offsets.MapUpdate;
import dev.ferry.offsets.OffsetMapCodec;
import dev.ferry.offsets.RunBuilder;
import dev.ferry.provenance.Provenance;
import dev.ferry.provenance.ProvenanceCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replicates the partitions of one shard: reads them from the source (read_committed) and writes them to the target
 * in transactions that also hold the offset-map records and the progress (next source offset per partition, committed
 * to the flow's progress group). The shard's transactional.id fences any other process that owned it before.
 *
 * <p>Runs on its own thread until {@link #stop(boolean)}. One partition that cannot be written (record too large,
 * not authorized, incompatible topic) is stopped and reported; the shard's other partitions go on.
 */
final class ShardWorker implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(ShardWorker.class);
  private static final Duration POLL = Duration.ofMillis(50);
  private static final int CHUNK = 4096;
  /** A slow-lane commit that takes less than this counts as quick. */
  private static final Duration QUICK_COMMIT = Duration.ofSeconds(1);
  /** How often the main lane writes the shard's throughput to the shard topic (in a transaction it commits anyway). */
  private static final Duration STATS_EVERY = Duration.ofSeconds(5);

  /**
   * Restarts of the shard's clients after its producer failed (see {@link ProducerFailed}) with no commit in between;
   * one more fails the flow.
   */
  private static final int MAX_RESTARTS_WITHOUT_COMMIT = 3;

  /** A shard replicates in two lanes, each with its own transactional.id, so a slow partition cannot hold up the rest. */
  enum Lane { MAIN, SLOW }

  private final FlowContext ctx;
  private final int shard;
  private final Lane lane;
  private final ShardLanes lanes;
  private final String transactionalId;
  private final ConsumerGroupMetadata progressGroup;
  private volatile boolean stopping;
  private volatile boolean clean = true;
  private KafkaConsumer<byte[], byte[]> consumer;
  private KafkaProducer<byte[], byte[]> producer;

  /** State of each assigned source partition. */
  private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
  /** Records sent in the open transaction, in send order, in chunks that never move (callbacks write into them). */
  private final List<long[]> sentSource = new ArrayList<>();
  private final List<long[]> sentTarget = new ArrayList<>();
  private final List<PartitionState[]> sentPartition = new ArrayList<>();
  private int sentCount;
  private final Map<TopicPartition, Exception> sendErrors = new ConcurrentHashMap<>();
  /** The lowest source offset whose write failed, per partition, in the open transaction. */
  private final Map<TopicPartition, Long> failedOffsets = new ConcurrentHashMap<>();
  private boolean inTransaction;
  /** The worker waits in {@link #awaitWrites()}: the acknowledgement that completes a partition wakes it. */
  private volatile boolean awaitingWrites;
  /** Partitions written in the open transaction. */
  private final Set<PartitionState> touched = new HashSet<>();
  private long transactionBytes;
  /** When the open transaction is committed. */
  private final TransactionPacer pacer;
  private final ProvenanceCodec.FirstHop firstHop;
  private volatile Thread runner;
  private int lanesSeen = -1;
  /** Slow lane: since when its commits have been quick (-1: the last one was not). */
  private long quickSinceNanos = -1;
  private long statsWrittenNanos = System.nanoTime();
  private long statsRecords;
  private long statsBytes;
  /** The ready-partition map and problem count the assignment was last computed from. */
  private Map<TopicPartition, TopicPartition> assignedFrom;
  private int problemsSeen = -1;
  /** A partition was draining up to a record it cannot write: look again each round until it has stopped. */
  private boolean hadDraining;
  private boolean corruptProvenanceLogged;
  /** A send was refused because the open transaction is in error: stop sending, abort at the next commit. */
  private boolean transactionFailed;
  private int restartsWithoutCommit;

  private static final class PartitionState {
    final TopicPartition source;
    final TopicPartition target;
    /**
     * Where its offset-map updates go: given by the partition, not by its shard, so they stay in order in one map
     * partition whatever the shard count.
     */
    final int mapPartition;
    long committedNext;
    long pendingNext;
    /** Sends of the open transaction not yet acknowledged by the target. */
    final AtomicInteger unacknowledged = new AtomicInteger();
    /** When >= 0: a record at this offset cannot be written; replicate up to it, then stop the partition. */
    long stopAt = -1;
    final RunBuilder runs = new RunBuilder();

    boolean draining() {
      return stopAt >= 0 && committedNext < stopAt;
    }

    PartitionState(TopicPartition source, TopicPartition target, long next, int mapPartitions) {
      this.source = source;
      this.target = target;
      this.mapPartition = Shards.of(source.topic(), source.partition(), mapPartitions);
      this.committedNext = next;
      this.pendingNext = next;
    }
  }

  ShardWorker(FlowContext ctx, int shard, ShardLanes lanes, Lane lane) {
    this.ctx = ctx;
    this.shard = shard;
    this.lanes = lanes;
    this.lane = lane;
    this.transactionalId = lane == Lane.MAIN ? TopicNaming.transactionalId(ctx.flow().name(), shard)
        : TopicNaming.slowLaneTransactionalId(ctx.flow().name(), shard);
    this.progressGroup = progressGroupMetadata(TopicNaming.progressGroup(ctx.flow().name()));
    this.pacer = new TransactionPacer(ctx.flow().commitInterval());
    this.firstHop = new ProvenanceCodec.FirstHop(ctx.flow().source().alias());
    // the shard's totals may hold what this process replicated while it owned the shard before
    this.statsRecords = ctx.status().shardLoad(shard).records();
    this.statsBytes = ctx.status().shardLoad(shard).bytes();
  }

  /**
   * Progress is committed to a group no consumer joins: fencing comes from the shard's transactional.id, not from a
   * group generation. Kafka offers no other way to name such a group to sendOffsetsToTransaction.
   */
  @SuppressWarnings("removal")
  private static ConsumerGroupMetadata progressGroupMetadata(String group) {
    return new ConsumerGroupMetadata(group);
  }

  int shard() {
    return shard;
  }

  /** Asks the worker to stop; {@code commit} says whether to commit the open transaction first (else abort it). */
  void stop(boolean commit) {
    clean = commit;
    stopping = true;
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  @Override
  public void run() {
    runner = Thread.currentThread();
    while (true) {
      try {
        replicate();
        return;
      } catch (ProducerFencedException | InvalidProducerEpochException e) {
        if (stopping) {
          LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
              .log("shard taken over by another process of the flow; this process stops writing it");
          return;
        }
        // Group membership says this process owns the shard, yet another producer bumped its epoch: a process that
        // was frozen while it owned the shard woke up and initialised its producer before it learned it lost the
        // shard. The owner takes the shard back (its initTransactions fences the zombie) and resumes from progress.
        LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
            .log("fenced by a stale owner of the shard; this process owns it by group membership and takes it back");
        restartFromProgress(Duration.ofSeconds(1));
      } catch (ProducerFailed e) {
        if (stopping) {
          LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
              .log("{}; stopping without a last commit (whoever runs the shard next reads on from its committed progress)",
                  e.getMessage());
          return;
        }
        if (++restartsWithoutCommit > MAX_RESTARTS_WITHOUT_COMMIT) {
          ctx.reportFatal(new FerryException(FerryException.Reason.FAILED, e.getMessage() + " (the shard restarted "
              + MAX_RESTARTS_WITHOUT_COMMIT + " times without committing)", e.getCause()));
          return;
        }
        // Records and progress are committed together or not at all. A new producer with the same transactional.id
        // completes or aborts whatever the broken one left open; the shard then reads on from its committed progress.
        LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
            .log("{}; restarting the shard's clients from its committed progress", e.getMessage());
        restartFromProgress(Duration.ofSeconds(restartsWithoutCommit));
      } catch (TransactionalIdAuthorizationException e) {
        ctx.reportFatal(new FerryException(FerryException.Reason.NOT_AUTHORIZED,
            "not authorized to use transactional.id " + transactionalId + " on " + ctx.flow().target().describe()));
        return;
      } catch (FerryException e) {
        ctx.reportFatal(e);
        return;
      } catch (WakeupException e) {
        return; // stopping while blocked in a consumer call
      } catch (RuntimeException e) {
        ctx.reportFatal(KafkaCalls.translate(e, "shard " + shard + " of flow " + ctx.flow().name()));
        return;
      }
    }
  }

  /** Counts the restart, forgets this life's state and waits before {@link #replicate()} starts new clients. */
  private void restartFromProgress(Duration wait) {
    ctx.status().shardRestarts.increment();
    resetForRestart();
    sleepQuietly(wait);
  }

  /** One life of the shard's clients: initialise (fencing any previous owner), replicate until stopped, commit or abort. */
  private void replicate() {
    try {
      producer = new KafkaProducer<>(Clients.targetProducer(ctx.flow().target(), transactionalId, partitionsOfShard()));
      consumer = new KafkaConsumer<>(Clients.sourceConsumer(ctx.flow().source(), transactionalId));
      if (stopping) {
        return;
      }
      producer.initTransactions();
      if (lane == Lane.MAIN) {
        ctx.status().ownedShards.put(shard, transactionalId);
        LOG.atInfo().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard).log("shard started");
      }
      while (!stopping) {
        syncAssignment();
        if (partitions.isEmpty()) {
          ctx.awaitTopicChange(Duration.ofMillis(500));
          continue;
        }
        ConsumerRecords<byte[], byte[]> records;
        try {
          records = consumer.poll(POLL);
        } catch (WakeupException e) {
          break;
        } catch (OffsetOutOfRangeException e) {
          skipExpired(e);
          continue;
        } catch (TopicAuthorizationException e) {
          for (String t : e.unauthorizedTopics()) {
            partitions.keySet().stream().filter(tp -> tp.topic().equals(t)).toList()
                .forEach(tp -> failPartition(tp, "not authorized to read source topic " + t + " on " + ctx.flow().source().describe()));
          }
          continue;
        }
        for (TopicPartition tp : records.partitions()) {
          send(partitions.get(tp), records.records(tp));
        }
        if (pacer.due(System.nanoTime(), records.isEmpty()) || transactionFailed) {
          commit();
        }
      }
      if (clean) {
        try {
          commit();
        } catch (WakeupException e) {
          commit(); // the wakeup that asked us to stop hit a consumer call inside the commit; the flag is now spent
        }
      } else {
        abort();
      }
    } finally {
      if (lane == Lane.MAIN) {
        ctx.status().ownedShards.remove(shard);
      }
      closeQuietly();
    }
  }

  /** How many of the flow's ready partitions hash to this shard now (its producer's batch size depends on it). */
  private int partitionsOfShard() {
    int n = 0;
    for (TopicPartition tp : ctx.readyPartitions().keySet()) {
      if (inThisShard(tp)) {
        n++;
      }
    }
    return n;
  }

  private boolean inThisShard(TopicPartition source) {
    return Shards.of(source.topic(), source.partition(), ctx.flow().shards()) == shard;
  }

  /** Forgets everything of the previous life: positions are read again from the committed progress. */
  private void resetForRestart() {
    partitions.clear();
    sendErrors.clear();
    failedOffsets.clear();
    resetSent();
    inTransaction = false;
    transactionFailed = false;
    assignedFrom = null;
    lanesSeen = -1;
    producer = null;
    consumer = null;
  }

  /** Follows the set of ready partitions of this shard: new ones start at their committed progress. */
  private void syncAssignment() {
    Map<TopicPartition, TopicPartition> ready = ctx.readyPartitions();
    int problems = ctx.status().partitionProblems.size();
    if (ready == assignedFrom && problems == problemsSeen && lanes.version() == lanesSeen && !hadDraining) {
      return; // nothing changed since the last look (problems are only ever added)
    }
    // Settle the open transaction first: a partition changes lane only between transactions, and this commit may
    // itself move partitions to the slow lane.
    commit();
    assignedFrom = ready;
    problemsSeen = problems;
    lanesSeen = lanes.version();
    Map<TopicPartition, TopicPartition> wanted = new HashMap<>();
    ready.forEach((s, t) -> {
      PartitionState current = partitions.get(s);
      boolean draining = current != null && current.draining();
      if (inThisShard(s) && lanes.isSlow(s) == (lane == Lane.SLOW)
          && (!ctx.status().partitionProblems.containsKey(s) || draining)) {
        wanted.put(s, t);
      }
    });
    hadDraining = partitions.values().stream().anyMatch(PartitionState::draining);
    if (wanted.keySet().equals(partitions.keySet())) {
      return;
    }
    Set<TopicPartition> added = new HashSet<>(wanted.keySet());
    added.removeAll(partitions.keySet());
    partitions.keySet().retainAll(wanted.keySet());
    ctx.warmMetadata(producer, added.stream().map(tp -> wanted.get(tp).topic()).collect(java.util.stream.Collectors.toSet()));
    Map<TopicPartition, Long> progress = readProgress(added, wanted);
    for (TopicPartition tp : added) {
      Long next = progress.get(tp);
      partitions.put(tp, new PartitionState(tp, wanted.get(tp), next == null ? -1 : next, ctx.mapPartitions()));
    }
    consumer.assign(partitions.keySet());
    List<TopicPartition> fromStart = new ArrayList<>();
    for (TopicPartition tp : added) {
      long next = partitions.get(tp).committedNext;
      if (next < 0) {
        fromStart.add(tp);
      } else {
        consumer.seek(tp, next);
      }
    }
    if (!fromStart.isEmpty()) {
      consumer.seekToBeginning(fromStart);
      for (TopicPartition tp : fromStart) {
        PartitionState ps = partitions.get(tp);
        ps.committedNext = consumer.position(tp);
        ps.pendingNext = ps.committedNext;
      }
    }
    for (TopicPartition tp : added) {
      ctx.status().committedNext.put(tp, partitions.get(tp).committedNext);
    }
    pacer.startAt(System.nanoTime());
  }

  private Map<TopicPartition, Long> readProgress(Set<TopicPartition> sources, Map<TopicPartition, TopicPartition> targets) {
    if (sources.isEmpty()) {
      return Map.of();
    }
    List<TopicPartition> targetParts = sources.stream().map(targets::get).toList();
    String group = progressGroup.groupId();
    Map<TopicPartition, OffsetAndMetadata> committed =
        KafkaCalls.await(
            ctx.targetAdmin()
                .listConsumerGroupOffsets(Map.of(group, new ListConsumerGroupOffsetsSpec().topicPartitions(targetParts)),
                    new ListConsumerGroupOffsetsOptions().requireStable(true))
                .partitionsToOffsetAndMetadata(group),
            60_000, "read progress of group " + group + " on " + ctx.flow().target().describe());
    Map<TopicPartition, Long> out = new HashMap<>();
    for (TopicPartition s : sources) {
      OffsetAndMetadata om = committed.get(targets.get(s));
      if (om != null) {
        out.put(s, om.offset());
      }
    }
    return out;
  }

  private void send(PartitionState ps, List<ConsumerRecord<byte[], byte[]>> records) {
    if (ps == null) {
      return;
    }
    beginIfNeeded();
    touched.add(ps);
    // counted for the whole list up front (one atomic update, not one per record); what is not sent is taken back below
    int notSent = records.size();
    ps.unacknowledged.addAndGet(notSent);
    String targetAlias = ctx.flow().target().alias();
    String sourceAlias = ctx.flow().source().alias();
    boolean provenanceOn = ctx.flow().provenance();
    long consumed = records.get(records.size() - 1).offset() + 1;
    for (ConsumerRecord<byte[], byte[]> r : records) {
      if (ps.stopAt >= 0 && r.offset() >= ps.stopAt) {
        consumer.pause(List.of(ps.source));
        consumed = ps.stopAt;
        break;
      }
      Header[] sourceHeaders = r.headers().toArray(); // no iterator, no copy when there are none
      Provenance previous = null;
      if (provenanceOn) {
        for (Header h : sourceHeaders) {
          if (h.key().equals(ProvenanceCodec.HEADER)) {
            previous = decodeOrNull(h.value());
          }
        }
      }
      if (previous != null && previous.passedThrough(targetAlias)) {
        ctx.status().filtered.increment();
        continue;
      }
      TopicPartition target = ps.target;
      // the record's own headers object is filled directly: headers passed to the constructor would be copied again
      ProducerRecord<byte[], byte[]> copy = new ProducerRecord<>(target.topic(), target.partition(), r.timestamp(), r.key(), r.value());
      for (Header h : sourceHeaders) {
        if (!provenanceOn || !h.key().equals(ProvenanceCodec.HEADER)) {
          copy.headers().add(h);
        }
      }
      if (provenanceOn) {
        copy.headers().add(ProvenanceCodec.HEADER, previous == null ? firstHop.encode(r.partition(), r.offset())
            : ProvenanceCodec.encode(Provenance.nextHop(previous, sourceAlias, r.partition(), r.offset())));
      }
      int idx = sentCount++;
      int chunk = idx / CHUNK;
      if (chunk == sentSource.size()) {
        sentSource.add(new long[CHUNK]);
        sentTarget.add(new long[CHUNK]);
        sentPartition.add(new PartitionState[CHUNK]);
      }
      long[] targetChunk = sentTarget.get(chunk);
      int slot = idx % CHUNK;
      sentSource.get(chunk)[slot] = r.offset();
      sentPartition.get(chunk)[slot] = ps;
      long sourceOffset = r.offset();
      if (transactionFailed) {
        break;
      }
      transactionBytes += Math.max(0, r.serializedKeySize()) + Math.max(0, r.serializedValueSize());
      notSent--;
      try {
        producer.send(copy, new Acknowledgement(ps, sourceOffset, targetChunk, slot));
      } catch (ProducerFencedException | InvalidProducerEpochException e) {
        throw e;
      } catch (KafkaException e) {
        // the transaction already failed (a callback holds the cause); commit() aborts and rewinds
        acknowledged(ps);
        transactionFailed = true;
      }
    }
    ps.pendingNext = Math.max(ps.pendingNext, consumed);
    if (notSent > 0) {
      acknowledged(ps, notSent);
    }
  }

  /**
   * The target's answer to one send: its offset goes into the open transaction's record of sends, an error is kept
   * for the commit. A class rather than a lambda: a capturing lambda is allocated through method handles until the
   * JIT has inlined its call site (3% of the shard threads' samples in a profile of the benchmark's scenario 1).
   */
  private final class Acknowledgement implements Callback {
    private final PartitionState ps;
    private final long sourceOffset;
    private final long[] targetChunk;
    private final int slot;

    Acknowledgement(PartitionState ps, long sourceOffset, long[] targetChunk, int slot) {
      this.ps = ps;
      this.sourceOffset = sourceOffset;
      this.targetChunk = targetChunk;
      this.slot = slot;
    }

    @Override
    public void onCompletion(RecordMetadata md, Exception ex) {
      if (ex != null) {
        sendErrors.putIfAbsent(ps.source, ex);
        failedOffsets.merge(ps.source, sourceOffset, Math::min);
      } else {
        targetChunk[slot] = md.offset();
      }
      acknowledged(ps);
    }
  }

  private void acknowledged(PartitionState ps) {
    acknowledged(ps, 1);
  }

  private void acknowledged(PartitionState ps, int sends) {
    if (ps.unacknowledged.addAndGet(-sends) == 0 && awaitingWrites) {
      Thread t = runner;
      if (t != null) {
        LockSupport.unpark(t);
      }
    }
  }

  private boolean allAcknowledged() {
    for (PartitionState ps : touched) {
      if (ps.unacknowledged.get() > 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Main lane: waits until the target acknowledged every send of the open transaction. When that takes longer than
   * the stall timeout while only some partitions are still unacknowledged (the others are done), those partitions
   * hold up the whole shard: the transaction is aborted and they move to the slow lane. Returns false then.
   */
  private boolean awaitWrites() {
    if (lane == Lane.SLOW || allAcknowledged()) {
      return true;
    }
    long deadline = System.nanoTime() + ctx.stallTimeout().toNanos();
    ctx.flushInBackground(producer);
    awaitingWrites = true;
    try {
      while (!allAcknowledged()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        LockSupport.parkNanos(this, Math.min(left, 50_000_000L));
      }
    } finally {
      awaitingWrites = false;
    }
    List<PartitionState> stuck = touched.stream().filter(ps -> ps.unacknowledged.get() > 0).toList();
    if (stuck.isEmpty() || stuck.size() * 2 > touched.size()) {
      return true; // done, or the target is slow for most partitions (not a few holding up the rest): just wait
    }
    List<TopicPartition> moved = stuck.stream().map(ps -> ps.source).toList();
    LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
        .log("target writes of {} not acknowledged after {} ms while the shard's other partitions are done; moving them to the"
            + " shard's slow lane so they no longer hold up the others", moved, ctx.stallTimeout().toMillis());
    abortAndRewind();
    lanes.moveToSlowLane(moved);
    return false;
  }

  /**
   * A provenance header that cannot be decoded (written by something else under Ferry's header name) is treated as
   * absent: the record is copied with a fresh path. Counted and logged once per shard, since loop protection cannot
   * work for such records.
   */
  private Provenance decodeOrNull(byte[] value) {
    try {
      return ProvenanceCodec.decode(value);
    } catch (RuntimeException e) {
      ctx.status().corruptProvenance.increment();
      if (!corruptProvenanceLogged) {
        corruptProvenanceLogged = true;
        LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
            .log("a source record carries an unreadable {} header ({}); copied as if it had none", ProvenanceCodec.HEADER, e.getMessage());
      }
      return null;
    }
  }

  private void beginIfNeeded() {
    if (!inTransaction) {
      producer.beginTransaction();
      inTransaction = true;
    }
  }

  /** Commits the open transaction with its offset-map records and progress; on a record error, aborts and rewinds. */
  private void commit() {
    for (PartitionState ps : partitions.values()) {
      if (ctx.status().partitionProblems.containsKey(ps.source)) {
        continue;
      }
      long position = consumer.position(ps.source, Duration.ofSeconds(30));
      ps.pendingNext = Math.max(ps.pendingNext, position);
      if (ps.stopAt >= 0) {
        ps.pendingNext = Math.min(ps.pendingNext, ps.stopAt);
      }
    }
    boolean advanced = partitions.values().stream().anyMatch(ps -> ps.pendingNext > ps.committedNext);
    pacer.startAt(System.nanoTime());
    if (!inTransaction && !advanced) {
      return;
    }
    beginIfNeeded();
    long commitStart = System.nanoTime();
    if (!awaitWrites()) {
      return;
    }
    producer.flush();
    if (!sendErrors.isEmpty() || transactionFailed) {
      handleSendErrors();
      return;
    }
    int records = sentCount;
    for (int i = 0; i < sentCount; i++) {
      int chunk = i / CHUNK;
      int slot = i % CHUNK;
      sentPartition.get(chunk)[slot].runs.add(sentSource.get(chunk)[slot], sentTarget.get(chunk)[slot]);
    }
    Map<TopicPartition, OffsetAndMetadata> progress = new HashMap<>();
    String mapTopic = TopicNaming.offsetMapTopic(ctx.flow().name());
    for (PartitionState ps : partitions.values()) {
      if (ps.pendingNext <= ps.committedNext) {
        continue;
      }
      MapUpdate update = new MapUpdate(ps.pendingNext, ps.runs.drain());
      producer.send(new ProducerRecord<>(mapTopic, ps.mapPartition, OffsetMapCodec.key(ps.source), OffsetMapCodec.value(update)));
      progress.put(ps.target, new OffsetAndMetadata(ps.pendingNext));
    }
    writeStatsIfDue(records);
    try {
      producer.sendOffsetsToTransaction(progress, progressGroup);
      producer.commitTransaction();
    } catch (ProducerFencedException | InvalidProducerEpochException | TransactionalIdAuthorizationException e) {
      throw e;
    } catch (KafkaException e) {
      LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard).log("commit failed, retrying: {}", e.getMessage());
      try {
        abortAndRewind();
      } catch (ProducerFailed fatal) {
        throw new ProducerFailed(describe() + " cannot commit: " + e.getMessage(), e);
      }
      return;
    }
    inTransaction = false;
    restartsWithoutCommit = 0;
    long bytes = transactionBytes;
    resetSent();
    for (PartitionState ps : partitions.values()) {
      ps.committedNext = ps.pendingNext;
      ctx.status().committedNext.put(ps.source, ps.committedNext);
    }
    ctx.status().replicated.add(records);
    ctx.status().transactions.increment();
    ctx.status().shardLoad(shard).add(records, bytes);
    pacer.committed(records);
    if (lane == Lane.SLOW) {
      returnToMainLaneIfQuick(System.nanoTime() - commitStart);
    }
  }

  /**
   * Slow lane: once its commits have been quick for a while, its partitions go back to the main lane (this runs right
   * after a commit, so nothing of them is open here).
   */
  private void returnToMainLaneIfQuick(long commitNanos) {
    long now = System.nanoTime();
    if (commitNanos >= QUICK_COMMIT.toNanos()) {
      quickSinceNanos = -1;
      return;
    }
    if (quickSinceNanos < 0) {
      quickSinceNanos = now;
    } else if (now - quickSinceNanos >= ctx.slowLaneReturnAfter().toNanos() && !partitions.isEmpty()) {
      LOG.atInfo().addKeyValue("flow", ctx.flow().name()).addKeyValue("shard", shard)
          .log("target writes of {} are quick again; back to the shard's main lane", partitions.keySet());
      lanes.moveToMainLane(partitions.keySet());
      quickSinceNanos = -1;
    }
  }

  /** Main lane: adds the shard's throughput since the last stats record to the open transaction, every few seconds. */
  private void writeStatsIfDue(long records) {
    if (lane != Lane.MAIN || stopping) { // stopping: the shard topic may be gone (failover deletes it)
      return;
    }
    ShardStats.Counters load = ctx.status().shardLoad(shard);
    long now = System.nanoTime();
    if (now - statsWrittenNanos < STATS_EVERY.toNanos()) {
      return;
    }
    double seconds = (now - statsWrittenNanos) / 1e9;
    long allRecords = load.records() + records;
    long allBytes = load.bytes() + transactionBytes;
    ShardStats stats = new ShardStats(System.currentTimeMillis(), ctx.memberId(), (allRecords - statsRecords) / seconds,
        (allBytes - statsBytes) / seconds, lanes.slowPartitions().size());
    producer.send(new ProducerRecord<>(TopicNaming.shardTopic(ctx.flow().name()), shard, ShardStats.KEY, stats.encode()));
    statsWrittenNanos = now;
    statsRecords = allRecords;
    statsBytes = allBytes;
  }

  private void handleSendErrors() {
    for (Map.Entry<TopicPartition, Exception> e : sendErrors.entrySet()) {
      Exception ex = e.getValue();
      TopicPartition tp = e.getKey();
      PartitionState ps = partitions.get(tp);
      String target = ps == null ? "" : ps.target.toString();
      if (ex instanceof RecordTooLargeException || ex instanceof RecordBatchTooLargeException) {
        stopPartitionAt(tp, "a record of " + tp + " is larger than target topic partition " + target + " on "
            + ctx.flow().target().describe() + " accepts (raise max.message.bytes there); replication of " + tp + " stopped");
      } else if (ex instanceof AuthorizationException) {
        stopPartitionAt(tp, "not authorized to write " + target + " on " + ctx.flow().target().describe() + "; replication of " + tp + " stopped");
      } else if (ex instanceof InvalidRecordException) {
        stopPartitionAt(tp, "target " + target + " on " + ctx.flow().target().describe() + " rejected a record of " + tp + ": "
            + ex.getMessage() + "; replication of " + tp + " stopped");
      } else {
        LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("partition", tp.toString())
            .log("write to target failed, retrying: {}", ex.toString());
      }
    }
    abortAndRewind();
    sleepQuietly(Duration.ofMillis(500));
  }

  /**
   * Stops a partition at the first record that cannot be written: records before it are still replicated (after the
   * abort they are read again), the record itself and everything after it wait for the operator.
   */
  private void stopPartitionAt(TopicPartition tp, String problem) {
    PartitionState ps = partitions.get(tp);
    if (ps != null) {
      long at = failedOffsets.getOrDefault(tp, ps.committedNext);
      ps.stopAt = ps.stopAt < 0 ? at : Math.min(ps.stopAt, at);
    }
    failPartition(tp, problem);
  }

  private void failPartition(TopicPartition tp, String problem) {
    if (ctx.status().partitionProblems.putIfAbsent(tp, problem) == null) {
      LOG.atError().addKeyValue("flow", ctx.flow().name()).addKeyValue("partition", tp.toString()).log(problem);
    }
  }

  private void abortAndRewind() {
    abort();
    transactionFailed = false;
    sendErrors.clear();
    failedOffsets.clear();
    resetSent();
    partitions.values().removeIf(ps -> ctx.status().partitionProblems.containsKey(ps.source) && !ps.draining());
    consumer.assign(partitions.keySet());
    for (PartitionState ps : partitions.values()) {
      ps.pendingNext = ps.committedNext;
      ps.runs.drain();
      consumer.seek(ps.source, ps.committedNext);
    }
    consumer.resume(partitions.keySet());
  }

  private void skipExpired(OffsetOutOfRangeException e) {
    Map<TopicPartition, Long> starts = consumer.beginningOffsets(e.partitions(), Duration.ofSeconds(30));
    for (TopicPartition tp : e.partitions()) {
      long start = starts.get(tp);
      long from = e.offsetOutOfRangePartitions().getOrDefault(tp, -1L);
      if (start > from && from >= 0) {
        ctx.status().expiredBeforeReplication.add(start - from);
        LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("partition", tp.toString())
            .log("gap: source offsets {}..{} expired (retention) before they were replicated", from, start - 1);
      }
      consumer.seek(tp, start);
    }
  }

  private void resetSent() {
    sentCount = 0;
    transactionBytes = 0;
    for (PartitionState ps : touched) {
      ps.unacknowledged.set(0);
    }
    touched.clear();
    if (sentSource.size() > 4) {
      sentSource.subList(4, sentSource.size()).clear();
      sentTarget.subList(4, sentTarget.size()).clear();
      sentPartition.subList(4, sentPartition.size()).clear();
    }
    for (PartitionState[] chunk : sentPartition) {
      java.util.Arrays.fill(chunk, null);
    }
  }

  /** Aborts the open transaction. A producer that cannot abort is in a fatal state: {@link ProducerFailed}. */
  private void abort() {
    if (!inTransaction) {
      return;
    }
    inTransaction = false;
    try {
      producer.abortTransaction();
    } catch (ProducerFencedException | InvalidProducerEpochException | TransactionalIdAuthorizationException e) {
      throw e;
    } catch (KafkaException e) {
      throw new ProducerFailed(describe() + " cannot abort its transaction: " + e.getMessage(), e);
    }
  }

  private String describe() {
    return (lane == Lane.SLOW ? "slow lane of shard " : "shard ") + shard + " of flow " + ctx.flow().name() + " on "
        + ctx.flow().target().describe();
  }

  /**
   * The producer failed in a way it cannot recover from (it can neither commit nor abort), without being fenced: for
   * example a transaction coordinator that aborted the transaction itself answers the commit racing that abort with
   * INVALID_TXN_STATE, which the producer treats as fatal (KAFKA-20785, where upstream changed the answer to
   * PRODUCER_FENCED). Whatever became of the open transaction, its records and its progress were committed together or
   * not at all, so the shard restarts its clients from its committed progress, as after a fence.
   */
  private static final class ProducerFailed extends RuntimeException {
    ProducerFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private void closeQuietly() {
    if (consumer != null) {
      try {
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
      } catch (RuntimeException e) {
        LOG.atDebug().log("closing source consumer: {}", e.toString());
      }
    }
    if (producer != null) {
      try {
        producer.close(Duration.ofSeconds(clean ? 10 : 0));
      } catch (RuntimeException e) {
        LOG.atDebug().log("closing target producer: {}", e.toString());
      }
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
