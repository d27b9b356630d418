package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.FerryException;
import dev.ferry.Problem;
import dev.ferry.client.FerryNames;
import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.ProgressStore.Progress;
import dev.ferry.kafka.SourceGaps;
import dev.ferry.config.TopicSelection;
import dev.ferry.offsets.MapUpdate;
import dev.ferry.offsets.OffsetMapCodec;
import dev.ferry.offsets.PartitionOffsetMap;
import dev.ferry.offsets.OffsetRun;
import dev.ferry.provenance.Provenance;
import dev.ferry.provenance.ProvenanceCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import dev.ferry.kafka.Incarnation;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A shard lane's data path on mock clients and a fake clock: what it commits, and what it does when the target refuses. */
class ShardLaneTest {
  private static final FlowConfig FLOW = FlowConfig.builder(new ClusterConfig("A", "127.0.0.1:1"), new ClusterConfig("B", "127.0.0.1:2"),
      TopicSelection.of("src", null)).shards(1).build();
  private static final TopicPartition SOURCE = new TopicPartition("src", 0);
  private static final TopicPartition TARGET = new TopicPartition("A.src", 0);

  private static final Duration REFRESH = Duration.ofMinutes(15);
  /** What the clusters answer when a lane asks which topics exist, by name (null: not checked). */
  private volatile CompletableFuture<Map<String, Uuid>> sourceNow = CompletableFuture.completedFuture(null);
  private volatile CompletableFuture<Map<String, Uuid>> targetNow = CompletableFuture.completedFuture(null);
  private final AtomicLong clock = new AtomicLong();
  private final ReplicationState state = new ReplicationState();
  private final Map<TopicPartition, Long> progress = new HashMap<>();
  private final RefusingProducer producer = new RefusingProducer();
  /** Whether the consumer knows no lag yet (as before its first fetch of a partition); MockConsumer's own lag is never unknown. */
  private volatile boolean lagUnknown;
  /** Whether the consumer's next position() call throws a wakeup (as a real one does when woken before or during it). */
  private volatile boolean wakeupAtPosition;
  private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest") {
    @Override
    public java.util.OptionalLong currentLag(TopicPartition tp) {
      return lagUnknown ? java.util.OptionalLong.empty() : super.currentLag(tp);
    }

    @Override
    public synchronized long position(TopicPartition partition, Duration timeout) {
      if (wakeupAtPosition) {
        wakeupAtPosition = false;
        throw new org.apache.kafka.common.errors.WakeupException();
      }
      return super.position(partition, timeout);
    }
  };
  private final List<FerryException> fatal = new ArrayList<>();
  private final FlowContext ctx = new FlowContext(FLOW, "m1", state, (parts, ids) -> {
    Map<TopicPartition, Progress> out = new HashMap<>();
    parts.values().forEach(tp -> {
      if (progress.containsKey(tp)) {
        out.put(tp, new Progress(progress.get(tp), SourceGaps.NONE));
      }
    });
    return out;
  }, new IncarnationCheck() {
    @Override
    public CompletableFuture<Map<String, Uuid>> sourceIds(java.util.Collection<String> topics) {
      return sourceNow;
    }

    @Override
    public CompletableFuture<Map<String, Uuid>> targetIds(java.util.Collection<String> topics) {
      return targetNow;
    }
  }, REFRESH, shard -> Ownership.CONFIRMED, new MapCache(FLOW, 1, this::mapsAtProgress), new ShardClients() {
    @Override
    public Producer<byte[], byte[]> producer(String transactionalId, int partitions) {
      return producer;
    }

    @Override
    public org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer(String clientId) {
      return consumer;
    }
  }, 1, fatal::add);
  private final ShardLane lane = new ShardLane(ctx, 0, new ShardLanes(), ShardWorker.Lane.MAIN, () -> false, clock::get);

  ShardLaneTest() {
    consumer.updateBeginningOffsets(Map.of(SOURCE, 0L));
    ctx.publishReady(Map.of(SOURCE, TARGET));
  }

  @AfterEach
  void closeContext() {
    ctx.close();
  }

  @Test
  void recordsTheirOffsetMapAndProgressAreCommittedInOneTransaction() {
    lane.start();
    lane.step(); // takes the partition, positioned at the beginning (no progress yet)
    addRecords(0, 10, i -> "v" + i);
    lane.step(); // polls and sends
    commitDue();

    assertThat(producer.commitCount()).isEqualTo(1);
    assertThat(copies()).extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly(
        "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
    assertThat(copies()).allSatisfy(r -> assertThat(r.partition()).isEqualTo(0));
    assertThat(mapUpdates()).containsExactly(new MapUpdate(10, List.of(new OffsetRun(0, 0, 10))));
    assertThat(lastProgress()).containsExactly(Map.entry(TARGET, new OffsetAndMetadata(10)));
    assertThat(state.snapshot().committedPositions()).containsEntry(SOURCE, 10L);
    assertThat(state.snapshot().replicatedRecords()).isEqualTo(10);
  }

  @Test
  void aStopThatWakesTheConsumerInsideACommitLeavesTheOpenTransactionToTheLastCommit() {
    lane.start();
    lane.step();
    addRecords(0, 10, i -> "v" + i);
    lane.step();
    wakeupAtPosition = true; // stop() woke the consumer between the poll and the commit's positions
    commitDue();
    assertThat(producer.commitCount()).isZero();

    lane.finish(true);
    assertThat(producer.commitCount()).as("the last commit of the stop").isEqualTo(1);
    assertThat(copies()).hasSize(10);
    assertThat(lastProgress()).containsExactly(Map.entry(TARGET, new OffsetAndMetadata(10)));
  }

  @Test
  void caughtUpTheTransactionCommitsOnceItsFirstRecordHasWaitedTheMaxLatency() {
    consumer.updateEndOffsets(Map.of(SOURCE, 10L));
    lane.start();
    lane.step();
    addRecords(0, 10, i -> "v" + i);
    lane.step(); // polls all there is: no backlog
    clock.addAndGet(FLOW.maxLatency().minusMillis(1).toNanos());
    lane.step();
    assertThat(producer.commitCount()).isZero();
    clock.addAndGet(Duration.ofMillis(1).toNanos());
    lane.step();
    assertThat(producer.commitCount()).as("committed at the max latency, well before the commit interval").isEqualTo(1);
    assertThat(copies()).hasSize(10);
  }

  @Test
  void inABacklogTheTransactionRunsItsCommitIntervalWhateverTheMaxLatency() {
    consumer.updateEndOffsets(Map.of(SOURCE, 100_000L));
    lane.start();
    lane.step();
    int next = 0;
    // the commit interval is drawn within +-25%: 150 ms at the shortest
    for (int ms = 0; ms < 140; ms += 20) {
      addRecords(next, next + 10, i -> "v" + i);
      next += 10;
      lane.step(); // each poll leaves 99,900+ records to read: a backlog
      clock.addAndGet(Duration.ofMillis(20).toNanos());
    }
    assertThat(producer.commitCount()).as("past the max latency, within the commit interval").isZero();
    for (int ms = 140; ms < 300 && producer.commitCount() == 0; ms += 20) {
      addRecords(next, next + 10, i -> "v" + i);
      next += 10;
      lane.step();
      clock.addAndGet(Duration.ofMillis(20).toNanos());
    }
    assertThat(producer.commitCount()).as("committed at the commit interval (250 ms at the longest)").isEqualTo(1);
  }

  @Test
  void aPollThatHandsOverAWholePollsWorthIsABacklogWhateverTheLag() {
    lane.start();
    lane.step();
    int batch = (int) TransactionPacer.BACKLOG_RECORDS;
    int next = 0;
    for (int ms = 0; ms < 140; ms += 20) {
      addRecords(next, next + batch, i -> "v" + i);
      next += batch;
      consumer.updateEndOffsets(Map.of(SOURCE, (long) next)); // each poll reads up to the end: no lag left
      lane.step();
      clock.addAndGet(Duration.ofMillis(20).toNanos());
    }
    assertThat(producer.commitCount()).as("past the max latency, within the commit interval").isZero();
  }

  @Test
  void aPartitionNotReadYetIsABacklog() {
    lagUnknown = true;
    consumer.updateEndOffsets(Map.of(SOURCE, 150L));
    lane.start();
    lane.step();
    for (int ms = 0; ms < 140; ms += 20) {
      addRecords(ms, ms + 10, i -> "v" + i);
      lane.step();
      clock.addAndGet(Duration.ofMillis(20).toNanos());
    }
    assertThat(producer.commitCount()).as("past the max latency, within the commit interval").isZero();
    lagUnknown = false;
    addRecords(140, 150, i -> "v" + i);
    lane.step();
    assertThat(producer.commitCount()).as("the lag is known and small: the first record waited past the max latency").isEqualTo(1);
  }

  @Test
  void aPartitionStartsAtItsCommittedProgress() {
    progress.put(TARGET, 4L);
    lane.start();
    lane.step();
    addRecords(0, 6, i -> "v" + i);
    lane.step();
    commitDue();

    assertThat(copies()).extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly("v4", "v5");
    assertThat(mapUpdates()).containsExactly(new MapUpdate(6, List.of(new OffsetRun(4, 0, 2))));
  }

  @Test
  void aRecordTheTargetRefusesStopsItsPartitionAfterTheRecordsBeforeIt() {
    lane.start();
    lane.step();
    addRecords(0, 10, i -> i == 5 ? RefusingProducer.TOO_LARGE : "v" + i);
    lane.step();
    commitDue(); // the refused write aborts the transaction; the partition will stop at offset 5

    assertThat(producer.commitCount()).isZero();
    assertThat(state.snapshot().partitionProblems().get(SOURCE).reason()).isEqualTo(Problem.Reason.RECORD_TOO_LARGE);
    addRecords(0, 10, i -> i == 5 ? RefusingProducer.TOO_LARGE : "v" + i); // the log still holds them (MockConsumer forgets)
    lane.step(); // the records before it are read again
    commitDue();

    assertThat(copies()).extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly("v0", "v1", "v2", "v3", "v4");
    assertThat(lastProgress()).containsExactly(Map.entry(TARGET, new OffsetAndMetadata(5)));
    assertThat(consumer.paused()).contains(SOURCE);
    assertThat(fatal).isEmpty();
  }

  @Test
  void aFailedCommitIsAbortedAndWrittenAgainWithoutDuplicates() {
    lane.start();
    lane.step();
    addRecords(0, 3, i -> "v" + i);
    lane.step();
    producer.commitTransactionException = new KafkaException("coordinator moved");
    commitDue();
    assertThat(producer.transactionAborted()).isTrue();
    assertThat(copies()).isEmpty();

    producer.commitTransactionException = null;
    addRecords(0, 3, i -> "v" + i); // the log still holds them (MockConsumer forgets what it returned)
    lane.step(); // reads the aborted records again
    commitDue();

    assertThat(copies()).extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly("v0", "v1", "v2");
    assertThat(lastProgress()).containsExactly(Map.entry(TARGET, new OffsetAndMetadata(3)));
  }

  @Test
  void commitsThatFailWithoutAPartitionToBlameAreTheShardsReportedFaultUntilOneSucceeds() {
    lane.start();
    lane.step();
    addRecords(0, 3, i -> "v" + i);
    lane.step();
    producer.sendOffsetsToTransactionException = new org.apache.kafka.common.errors.GroupAuthorizationException("Not authorized to access group");
    commitDue();
    addRecords(0, 3, i -> "v" + i);
    lane.step();
    commitDue();
    assertThat(copies()).isEmpty();
    assertThat(state.snapshot().shardFaults().get(0)).startsWith("shard 0 of flow A-to-B on B (127.0.0.1:2) cannot commit (")
        .contains("Not authorized to access group");
    assertThat(state.snapshot().partitionProblems()).as("not the partition's fault").isEmpty();

    producer.sendOffsetsToTransactionException = null;
    addRecords(0, 3, i -> "v" + i);
    lane.step();
    commitDue();
    assertThat(copies()).hasSize(3);
    assertThat(state.snapshot().shardFaults()).as("cleared by the commit").isEmpty();
  }

  @Test
  void aFencedProducerEndsTheLaneInsteadOfWriting() {
    lane.start();
    lane.step();
    producer.fenceProducer();
    addRecords(0, 1, i -> "v" + i);

    assertThatThrownBy(lane::step).isInstanceOf(ProducerFencedException.class)
        .satisfies(e -> assertThat(WriteFault.of(e)).isEqualTo(WriteFault.FENCED));
    assertThat(copies()).isEmpty();
  }

  @Test
  void recordsThatCameFromTheTargetAreNotCopiedBackButProgressPassesThem() {
    lane.start();
    lane.step();
    byte[] fromB = ProvenanceCodec.encode(new Provenance(List.of("B"), 0, 7));
    ConsumerRecord<byte[], byte[]> looped = record(0, "looped");
    looped.headers().add(ProvenanceCodec.HEADER, fromB);
    consumer.addRecord(looped);
    consumer.addRecord(record(1, "own"));
    lane.step();
    commitDue();

    assertThat(copies()).extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly("own");
    assertThat(mapUpdates()).containsExactly(new MapUpdate(2, List.of(new OffsetRun(1, 0, 1))));
    assertThat(state.snapshot().filteredRecords()).isEqualTo(1);
  }

  @Test
  void progressThatDoesNotAdvanceIsCommittedAgainBeforeTheBrokerCouldExpireIt() {
    lane.start();
    lane.step();
    addRecords(0, 3, i -> "v" + i);
    lane.step();
    commitDue();
    assertThat(producer.commitCount()).isEqualTo(1);

    commitDue(); // idle, and its progress is fresh: nothing to commit
    assertThat(producer.commitCount()).isEqualTo(1);

    clock.addAndGet(REFRESH.toNanos());
    lane.step();
    assertThat(producer.commitCount()).as("the idle partition's progress, committed again").isEqualTo(2);
    assertThat(lastProgress()).containsExactly(Map.entry(TARGET, new OffsetAndMetadata(3)));
    assertThat(copies()).hasSize(3);
    assertThat(mapUpdates()).as("no map update without an advance").hasSize(1);
  }

  @Test
  void recordsThatExpiredBeforeTheyWereReplicatedAreAGapReportedWithTheProgress() {
    progress.put(TARGET, 100L);
    consumer.updateBeginningOffsets(Map.of(SOURCE, 1000L));
    consumer.updateEndOffsets(Map.of(SOURCE, 1005L));
    lane.start();
    lane.step();
    consumer.setPollException(new OffsetOutOfRangeException("out of range", Map.of(SOURCE, 100L)));
    lane.step(); // the source refuses position 100: offsets 100..999 expired
    addRecords(1000, 1005, i -> "v" + i);
    lane.step();
    commitDue();

    assertThat(copies()).extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly("v1000", "v1001", "v1002", "v1003", "v1004");
    assertThat(mapUpdates()).containsExactly(new MapUpdate(1005, List.of(new OffsetRun(1000, 0, 5))));
    assertThat(lastProgress()).containsExactly(Map.entry(TARGET, new OffsetAndMetadata(1005, "gaps=1;records=900;last=100-999")));
    assertThat(state.snapshot().expiredBeforeReplication()).isEqualTo(900);
    assertThat(state.snapshot().partitionProblems()).isEmpty();
  }

  @Test
  void aSourcePartitionThatEndsBelowTheProgressStopsInsteadOfStartingOver() {
    progress.put(TARGET, 500L);
    consumer.updateBeginningOffsets(Map.of(SOURCE, 0L));
    consumer.updateEndOffsets(Map.of(SOURCE, 120L));
    lane.start();
    lane.step();
    consumer.setPollException(new OffsetOutOfRangeException("out of range", Map.of(SOURCE, 500L)));
    lane.step();
    addRecords(0, 120, i -> "v" + i);
    lane.step();
    commitDue();

    assertThat(state.snapshot().partitionProblems().get(SOURCE).reason()).isEqualTo(Problem.Reason.SOURCE_TRUNCATED);
    assertThat(state.snapshot().partitionProblems().get(SOURCE).message()).startsWith(
        "source partition src-0 on A (127.0.0.1:1) ends at offset 120, below Ferry's progress 500: it was truncated or recreated");
    assertThat(copies()).isEmpty();
    assertThat(consumer.assignment()).isEmpty();
    assertThat(fatal).isEmpty();
  }

  @Test
  void aTransactionThatReadATopicCreatedAgainIsAbortedAndTheNewTopicIsTakenUpFromItsStartOnceTheRefreshFindsIt() {
    Incarnation first = new Incarnation(Uuid.randomUuid(), Uuid.randomUuid());
    Incarnation second = new Incarnation(Uuid.randomUuid(), first.target());
    ctx.publishReady(Map.of(SOURCE, TARGET), Map.of("src", first));
    clustersHold(first);
    lane.start();
    lane.step();
    addRecords(0, 10, i -> "old" + i);
    lane.step();
    commitDue();
    assertThat(copies()).hasSize(10);
    assertThat(lastProgress()).containsExactly(Map.entry(TARGET, new OffsetAndMetadata(10, "ids=" + first.encode())));
    assertThat(mapUpdates()).extracting(MapUpdate::incarnation).containsExactly(first);

    // deleted and created again: the lane reads on at offset 10, which is now the new topic's
    clustersHold(second);
    addRecords(10, 15, i -> "new" + i);
    lane.step();
    commitDue();
    assertThat(copies()).as("the new topic's records at the old position are not committed").hasSize(10);
    assertThat(consumer.paused()).as("held until the topic refresh").containsExactly(SOURCE);

    // the topic refresh finds the new topic: the partition starts again where the progress function says (here: the beginning)
    ctx.publishReady(Map.of(SOURCE, TARGET), Map.of("src", second));
    lane.step();
    assertThat(consumer.paused()).isEmpty();
    addRecords(0, 5, i -> "new" + i);
    lane.step();
    commitDue();
    assertThat(copies()).extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).endsWith("new0", "new1", "new2", "new3", "new4")
        .hasSize(15);
    assertThat(lastProgress()).containsExactly(Map.entry(TARGET, new OffsetAndMetadata(5, "ids=" + second.encode())));
    assertThat(mapUpdates()).extracting(MapUpdate::incarnation).containsExactly(first, second);
  }

  @Test
  void aDeletedTargetTopicOrATargetThatCannotSayStopsTheCommitButASourceThatCannotSayDoesNot() {
    Incarnation ids = new Incarnation(Uuid.randomUuid(), Uuid.randomUuid());
    ctx.publishReady(Map.of(SOURCE, TARGET), Map.of("src", ids));
    sourceNow = CompletableFuture.completedFuture(Map.of("src", ids.source()));
    targetNow = CompletableFuture.completedFuture(Map.of());
    lane.start();
    lane.step();
    addRecords(0, 10, i -> "v" + i);
    lane.step();
    commitDue();
    assertThat(copies()).as("the target topic was deleted").isEmpty();
    assertThat(consumer.paused()).containsExactly(SOURCE);

    clock.addAndGet(Duration.ofMinutes(1).toNanos()); // no topic refresh took it up: read again after a while, checked again
    targetNow = CompletableFuture.failedFuture(new org.apache.kafka.common.errors.TimeoutException("no answer"));
    addRecords(0, 10, i -> "v" + i);
    lane.step();
    commitDue();
    assertThat(consumer.paused()).isEmpty();
    assertThat(copies()).as("the target did not answer").isEmpty();
    assertThat(state.snapshot().shardFaults().get(0)).contains("cannot check the ids of its target topics");

    targetNow = CompletableFuture.completedFuture(Map.of(TARGET.topic(), ids.target()));
    sourceNow = CompletableFuture.failedFuture(new org.apache.kafka.common.errors.TimeoutException("no answer"));
    addRecords(0, 10, i -> "v" + i);
    lane.step();
    commitDue();
    assertThat(copies()).as("what was read from a source that stopped answering is committed").hasSize(10);
    assertThat(fatal).isEmpty();
  }

  private void clustersHold(Incarnation ids) {
    sourceNow = CompletableFuture.completedFuture(Map.of("src", ids.source()));
    targetNow = CompletableFuture.completedFuture(Map.of(TARGET.topic(), ids.target()));
  }

  /** The map topic as the progress says: each partition with progress has a map ending there. */
  private Map<TopicPartition, PartitionOffsetMap> mapsAtProgress(Map<TopicPartition, Integer> missing) {
    Map<TopicPartition, PartitionOffsetMap> out = new HashMap<>();
    if (missing.containsKey(SOURCE) && progress.containsKey(TARGET)) {
      PartitionOffsetMap m = new PartitionOffsetMap();
      m.apply(new MapUpdate(progress.get(TARGET), List.of()));
      out.put(SOURCE, m);
    }
    return out;
  }

  /** Lets a commit interval pass and steps once: the lane commits what it holds. */
  private void commitDue() {
    clock.addAndGet(Duration.ofSeconds(1).toNanos());
    lane.step();
  }

  private void addRecords(int from, int to, java.util.function.IntFunction<String> value) {
    for (int i = from; i < to; i++) {
      consumer.addRecord(record(i, value.apply(i)));
    }
  }

  private static ConsumerRecord<byte[], byte[]> record(long offset, String value) {
    return new ConsumerRecord<>("src", 0, offset, 1_000L + offset, TimestampType.CREATE_TIME, 0, value.length(), null,
        value.getBytes(StandardCharsets.UTF_8), new RecordHeaders(), Optional.empty());
  }

  /** Committed records written to the replicated topic. */
  private List<ProducerRecord<byte[], byte[]>> copies() {
    return producer.history().stream().filter(r -> r.topic().equals(TARGET.topic())).toList();
  }

  private List<MapUpdate> mapUpdates() {
    return producer.history().stream().filter(r -> r.topic().equals(FerryNames.offsetMapTopic(FLOW.name())))
        .filter(r -> OffsetMapCodec.decodeKey(r.key()).kind() == OffsetMapCodec.Kind.UPDATE)
        .map(r -> OffsetMapCodec.decodeUpdate(r.value())).toList();
  }

  private Map<TopicPartition, OffsetAndMetadata> lastProgress() {
    List<Map<String, Map<TopicPartition, OffsetAndMetadata>>> h = producer.consumerGroupOffsetsHistory();
    return h.get(h.size() - 1).get(FerryNames.progressGroup(FLOW.name()));
  }

  /** A mock target that refuses records whose value is {@link #TOO_LARGE}, as a broker refuses one over max.message.bytes. */
  static final class RefusingProducer extends MockProducer<byte[], byte[]> {
    static final String TOO_LARGE = "too-large";

    RefusingProducer() {
      super(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Override
    public synchronized Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
      if (record.value() != null && TOO_LARGE.equals(new String(record.value(), StandardCharsets.UTF_8))) {
        RecordTooLargeException e = new RecordTooLargeException("record too large");
        callback.onCompletion(null, e);
        return CompletableFuture.failedFuture(e);
      }
      return super.send(record, callback);
    }
  }
}
