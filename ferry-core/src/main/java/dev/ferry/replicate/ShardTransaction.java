package dev.ferry.replicate;

import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.ProgressStore;
import dev.ferry.kafka.ProgressStore.Progress;
import dev.ferry.offsets.MapUpdate;
import dev.ferry.offsets.OffsetMapCodec;
import dev.ferry.offsets.OffsetRun;
import dev.ferry.topics.Recreation;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shard lane's transactions on its producer: records, offset-map records and progress go to the target together or
 * not at all. Faults that end the producer (fenced, not authorized) are thrown as they are; a producer that can neither
 * commit nor abort throws {@link ProducerFailed}.
 */
final class ShardTransaction {
  private static final Logger LOG = LoggerFactory.getLogger(ShardTransaction.class);

  private final Producer<byte[], byte[]> producer;
  private final ConsumerGroupMetadata progressGroup;
  private final String mapTopic;
  private final String lane;
  private final FlowConfig flow;
  private boolean open;
  private boolean failed;
  private String lastCommitFailure = "";

  /** {@code lane} names the lane in messages ("shard 3 of flow A-to-B on B (host:9092)"). */
  ShardTransaction(Producer<byte[], byte[]> producer, FlowConfig flow, String lane) {
    this.producer = producer;
    this.progressGroup = ProgressStore.groupMetadata(flow);
    this.mapTopic = FerryNames.offsetMapTopic(flow.name());
    this.lane = lane;
    this.flow = flow;
  }

  Producer<byte[], byte[]> producer() {
    return producer;
  }

  /** Initialises the transactional.id: fences any earlier producer of it and completes what it left open. */
  void init() {
    producer.initTransactions();
  }

  void beginIfNeeded() {
    if (!open) {
      producer.beginTransaction();
      open = true;
    }
  }

  boolean isOpen() {
    return open;
  }

  /** A send was refused because the transaction is in error: nothing more is sent, the next commit aborts instead. */
  boolean failed() {
    return failed;
  }

  /** Sends one record of the transaction; false (and {@link #failed()}) when the transaction can take no more. */
  boolean send(ProducerRecord<byte[], byte[]> record, Callback callback) {
    try {
      producer.send(record, callback);
      return true;
    } catch (KafkaException e) {
      if (WriteFault.of(e) == WriteFault.FENCED) {
        throw e;
      }
      failed = true; // the transaction already failed; a callback holds the cause
      return false;
    }
  }

  /** Adds a record that goes with the commit (offset map, stats): no callback, its outcome is the commit's. */
  void write(ProducerRecord<byte[], byte[]> record) {
    producer.send(record);
  }

  void flush() {
    producer.flush();
  }

  /**
   * Commits the open transaction with, for each partition that advanced in it, its offset-map update (the runs folded
   * from its acknowledged sends, numbered after the map's last; every {@link OffsetMapCodec#SNAPSHOT_EVERY}-th one with a
   * snapshot of the map as committed before it) and its progress (next source offset, by target partition, committed to the progress
   * group, with the gaps reported so far as its metadata). Progress that did not advance but is {@code stale} is
   * committed again, so the broker never expires it. Returns false when the commit failed in a way the producer
   * survives: the transaction was aborted and its records must be written again.
   */
  boolean commit(Collection<ShardPartition> partitions, Predicate<ShardPartition> stale) {
    Map<TopicPartition, OffsetAndMetadata> progress = new HashMap<>();
    for (ShardPartition p : partitions) {
      if (p.advanced()) {
        long seq = p.map.seq() + 1;
        MapUpdate update = new MapUpdate(p.pendingNext, p.runs.drain(), p.incarnation);
        if (OffsetMapCodec.snapshotDue(seq)) {
          producer.send(new ProducerRecord<>(mapTopic, p.mapPartition, OffsetMapCodec.snapshotKey(p.source), OffsetMapCodec.snapshotValue(p.map)));
        }
        producer.send(new ProducerRecord<>(mapTopic, p.mapPartition, OffsetMapCodec.updateKey(p.source, seq), OffsetMapCodec.updateValue(seq, update)));
        recordRecreation(p, update);
        p.mapUpdateWritten(seq, update);
      }
      if (p.advanced() || stale.test(p)) {
        progress.put(p.target, new Progress(p.pendingNext, p.gapsToCommit(), p.incarnation).toOffset());
      }
    }
    try {
      producer.sendOffsetsToTransaction(progress, progressGroup);
      producer.commitTransaction();
      open = false;
      return true;
    } catch (TimeoutException e) {
      // The commit may still complete: the producer can only wait for it, not abort it. New clients settle it (their
      // initTransactions completes or aborts it) and read on from the committed progress, whichever it was.
      throw new ProducerFailed(lane + " cannot commit: " + e.getMessage(), e);
    } catch (KafkaException e) {
      if (WriteFault.of(e).endsProducer()) {
        throw e;
      }
      lastCommitFailure = e.toString();
      LOG.atWarn().addKeyValue("lane", lane).log("commit failed, retrying: {}", e.getMessage());
      try {
        abort();
      } catch (ProducerFailed fatal) {
        throw new ProducerFailed(lane + " cannot commit: " + e.getMessage(), e);
      }
      return false;
    }
  }

  /**
   * A partition whose map holds another incarnation (topic ids) than the one the open transaction copies: its source or
   * target topic was deleted and created again, and this transaction writes the first records of the new one. Where
   * they begin is written in the same transaction to the flow's state topic, where {@code status} and {@code audit} find
   * it; a retried commit writes it again under the same key.
   */
  private void recordRecreation(ShardPartition p, MapUpdate update) {
    // the first transaction of the new incarnation may copy nothing (filtered records, markers only): the next one that
    // writes records records it
    if (p.replacedIncarnation().isEmpty() || update.runs().isEmpty()) {
      return;
    }
    OffsetRun first = update.runs().get(0);
    Recreation r = new Recreation(p.source, p.target.topic(), p.replacedIncarnation().get(), p.incarnation, first.sourceStart(),
        first.targetStart(), Instant.now());
    producer.send(r.toRecord(flow));
    p.replacementRecorded();
    LOG.atInfo().addKeyValue("lane", lane).addKeyValue("topic", p.source.topic()).addKeyValue("partition", p.source.partition())
        .log("a new topic incarnation begins: {}", r.describe());
  }

  /** Why the last commit that returned false failed. */
  String lastCommitFailure() {
    return lastCommitFailure;
  }

  /** Aborts the open transaction, if one is open. */
  void abort() {
    failed = false;
    if (!open) {
      return;
    }
    open = false;
    try {
      producer.abortTransaction();
    } catch (KafkaException e) {
      if (WriteFault.of(e).endsProducer()) {
        throw e;
      }
      throw new ProducerFailed(lane + " cannot abort its transaction: " + e.getMessage(), e);
    } catch (IllegalStateException e) {
      // an earlier call that timed out must be completed first: new clients settle the transaction
      throw new ProducerFailed(lane + " cannot abort its transaction: " + e.getMessage(), e);
    }
  }

  /** Closes the producer, giving it {@code timeout} to send what it holds. */
  void close(Duration timeout) {
    try {
      producer.close(timeout);
    } catch (RuntimeException e) {
      LOG.atDebug().addKeyValue("lane", lane).log("closing target producer: {}", e.toString());
    }
  }

  /**
   * The producer failed in a way it cannot recover from (it can neither commit nor abort), without being fenced: for
   * example a transaction coordinator that aborted the transaction itself answers the commit racing that abort with
   * INVALID_TXN_STATE, which the producer treats as fatal (KAFKA-20785, where upstream changed the answer to
   * PRODUCER_FENCED). Whatever became of the open transaction, its records and its progress were committed together or
   * not at all, so the lane restarts its clients from its committed progress, as after a fence.
   */
  static final class ProducerFailed extends RuntimeException {
    ProducerFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
