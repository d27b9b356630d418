package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.kafka.Incarnation;
import dev.ferry.kafka.SourceGaps;
import dev.ferry.offsets.MapUpdate;
import dev.ferry.offsets.OffsetRun;
import dev.ferry.offsets.PartitionOffsetMap;
import java.util.List;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class ShardTransactionTest {
  private static final FlowConfig FLOW = FlowConfig.of(new ClusterConfig("A", "127.0.0.1:1"), new ClusterConfig("B", "127.0.0.1:2"),
      TopicSelection.of("t", null));
  private final MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final ShardTransaction tx = new ShardTransaction(producer, FLOW, "shard 0");
  private final ShardPartition p = new ShardPartition(new TopicPartition("t", 0), new TopicPartition("A.t", 0), 0, SourceGaps.NONE, 1);

  @Test
  void onlyPartitionsThatAdvancedGetAMapUpdateAndProgress() {
    ShardPartition idle = new ShardPartition(new TopicPartition("t", 1), new TopicPartition("A.t", 1), 7, SourceGaps.NONE, 1);
    tx.init();
    tx.beginIfNeeded();
    p.consumedUpTo(3);
    p.runs.add(0, 0);
    assertThat(tx.commit(List.of(p, idle), x -> false)).isTrue();
    assertThat(producer.history()).extracting(r -> new String(r.key(), java.nio.charset.StandardCharsets.UTF_8))
        .as("the first update goes with a snapshot of the map before it").containsExactly("t:0:s", "t:0:u1");
    assertThat(producer.consumerGroupOffsetsHistory().get(0).values().iterator().next()).containsOnlyKeys(p.target);
    assertThat(tx.isOpen()).isFalse();
  }

  @Test
  void theFirstCommitThatCopiesRecordsOfANewTopicIncarnationRecordsWhereItBeginsOnce() {
    Incarnation old = new Incarnation(Uuid.randomUuid(), Uuid.randomUuid());
    Incarnation now = new Incarnation(Uuid.randomUuid(), old.target());
    PartitionOffsetMap map = new PartitionOffsetMap();
    map.apply(1, new MapUpdate(500, List.of(new OffsetRun(0, 0, 500)), old));
    ShardPartition q = new ShardPartition(new TopicPartition("t", 0), new TopicPartition("A.t", 0), 0, SourceGaps.NONE, 1, map, now);
    tx.init();
    tx.beginIfNeeded();
    q.consumedUpTo(2); // nothing copied (filtered records): where the new topic begins is not known yet
    assertThat(tx.commit(List.of(q), x -> false)).isTrue();
    q.committed();
    assertThat(stateRecords()).isEmpty();

    tx.beginIfNeeded();
    q.consumedUpTo(4);
    q.runs.add(2, 501);
    q.runs.add(3, 502);
    assertThat(tx.commit(List.of(q), x -> false)).isTrue();
    q.committed();
    assertThat(stateRecords()).singleElement().satisfies(v -> assertThat(v).startsWith("v1;at=").contains(";target=A.t;before=" + old.encode()
        + ";after=" + now.encode() + ";source-start=2;target-start=501"));

    tx.beginIfNeeded();
    q.consumedUpTo(5);
    q.runs.add(4, 503);
    assertThat(tx.commit(List.of(q), x -> false)).isTrue();
    q.committed();
    assertThat(stateRecords()).as("recorded once").hasSize(1);
  }

  private List<String> stateRecords() {
    return producer.history().stream().filter(r -> r.topic().equals("__ferry.A-to-B.state"))
        .map(r -> new String(r.value(), java.nio.charset.StandardCharsets.UTF_8)).toList();
  }

  @Test
  void aCommitThatFailsIsAbortedAndReportedAsNotCommitted() {
    tx.init();
    tx.beginIfNeeded();
    tx.write(new ProducerRecord<>("A.t", 0, null, new byte[1]));
    producer.commitTransactionException = new KafkaException("coordinator moved");
    assertThat(tx.commit(List.of(p), x -> false)).isFalse();
    assertThat(producer.transactionAborted()).isTrue();
    assertThat(producer.history()).isEmpty();
  }

  @Test
  void aCommitThatTimesOutHasAnUnknownOutcomeThatNewClientsSettle() {
    tx.init();
    tx.beginIfNeeded();
    producer.commitTransactionException = new org.apache.kafka.common.errors.TimeoutException("Timeout expired after 60000ms while awaiting EndTxn(true)");
    assertThatThrownBy(() -> tx.commit(List.of(p), x -> false)).isInstanceOf(ShardTransaction.ProducerFailed.class)
        .hasMessageContaining("shard 0 cannot commit").satisfies(e -> assertThat(ShardWorker.heals(e.getCause())).isTrue());
    assertThat(producer.transactionAborted()).as("not aborted: the commit may still complete").isFalse();
  }

  @Test
  void aProducerThatCanNeitherCommitNorAbortFailsAsAWhole() {
    tx.init();
    tx.beginIfNeeded();
    producer.commitTransactionException = new KafkaException("INVALID_TXN_STATE");
    producer.abortTransactionException = new KafkaException("fatal");
    assertThatThrownBy(() -> tx.commit(List.of(p), x -> false)).isInstanceOf(ShardTransaction.ProducerFailed.class)
        .hasMessageContaining("shard 0 cannot commit");
  }

  @Test
  void fencingIsThrownOnNotRetried() {
    tx.init();
    tx.beginIfNeeded();
    producer.commitTransactionException = new ProducerFencedException("newer epoch");
    assertThatThrownBy(() -> tx.commit(List.of(p), x -> false)).isInstanceOf(ProducerFencedException.class);
    assertThat(producer.transactionAborted()).isFalse();
  }

  @Test
  void aRefusedSendMarksTheTransactionFailedUntilTheAbort() {
    tx.init();
    tx.beginIfNeeded();
    producer.sendException = new KafkaException("transaction in error");
    assertThat(tx.send(new ProducerRecord<>("A.t", 0, null, new byte[1]), (m, e) -> {})).isFalse();
    assertThat(tx.failed()).isTrue();
    tx.abort();
    assertThat(tx.failed()).isFalse();
  }
}
