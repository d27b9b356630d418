package dev.ferry.replicate;

import dev.ferry.Problem;
import dev.ferry.config.FlowConfig;
import dev.ferry.provenance.ProvenanceCodec;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a shard lane does about faults of single partitions: stops a partition at a record the target will not take
 * (reported as a problem), reports source data that expired before it was replicated (a gap), and counts unreadable
 * provenance headers. Every one is logged and counted; none is skipped silently.
 */
final class PartitionFaults {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionFaults.class);

  private final FlowConfig flow;
  private final ReplicationState state;
  private final int shard;
  private boolean unreadableHeaderLogged;

  PartitionFaults(FlowConfig flow, ReplicationState state, int shard) {
    this.flow = flow;
    this.state = state;
    this.shard = shard;
  }

  /**
   * After the open transaction's writes failed: each partition whose failure is the record's own stops at its first
   * failed record (the records before it are replicated again after the abort); other failures are logged and retried.
   */
  void stopPartitions(SendLedger ledger, ShardAssignment assignment) {
    ledger.errors().forEach((source, e) -> {
      ShardPartition p = assignment.get(source);
      WriteFault fault = p == null ? WriteFault.of(e) : WriteFault.of(e, p.target.topic());
      if (fault.stopsPartition() && p != null) {
        p.stopAt(ledger.firstFailedOffset(source).orElse(p.committedNext));
        fail(source, fault.problem(source, p.target, flow.target().describe(), e));
      } else {
        LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("partition", source.toString())
            .log("write to target failed, retrying: {}", e.toString());
      }
    });
  }

  /** Reports a partition's problem (logged once, as an error: an operator must act). */
  void fail(TopicPartition source, Problem problem) {
    if (state.reportProblem(source, problem)) {
      LOG.atError().addKeyValue("flow", flow.name()).addKeyValue("partition", source.toString()).log(problem.message());
    }
  }

  /** The source refused to let Ferry read some topics: their partitions stop. */
  void notAuthorizedToRead(TopicAuthorizationException e, Collection<TopicPartition> sources) {
    for (TopicPartition tp : sources) {
      if (e.unauthorizedTopics().contains(tp.topic())) {
        fail(tp, new Problem(Problem.Reason.NOT_AUTHORIZED, "not authorized to read source topic " + tp.topic() + " on " + flow.source().describe()));
      }
    }
  }

  /**
   * The source refused a position of the consumer (which never resets one by itself). Below the start of the partition:
   * the records in between expired unreplicated, a gap that is reported (log, status, and with the partition's
   * progress) before reading on from the start. Past its end: when {@code recreated} says its topic is another
   * incarnation now, the partition is held until the topic refresh takes the new topic up; else it was truncated, and
   * its replication stops with a problem. Within the partition (its log moved meanwhile, a new leader): read again.
   */
  void outOfRange(Consumer<byte[], byte[]> consumer, OffsetOutOfRangeException e, ShardAssignment assignment, Predicate<TopicPartition> recreated,
      long holdUntilNanos) {
    Map<TopicPartition, Long> starts = consumer.beginningOffsets(e.partitions(), Duration.ofSeconds(30));
    Map<TopicPartition, Long> ends = consumer.endOffsets(e.partitions(), Duration.ofSeconds(30));
    for (TopicPartition tp : e.partitions()) {
      ShardPartition p = assignment.get(tp);
      Long from = e.offsetOutOfRangePartitions().get(tp);
      if (p == null) {
        consumer.pause(List.of(tp)); // not this lane's (any more): not read until the assignment is settled
        continue;
      }
      if (from == null) {
        continue;
      }
      long start = starts.get(tp);
      long end = ends.get(tp);
      if (from < start) {
        p.gap(from, start - 1); // counted in the status once committed
        LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("partition", tp.toString())
            .log("gap: source offsets {}..{} of {} expired (retention) before they were replicated; going on from {}", from, start - 1, tp, start);
        consumer.seek(tp, start);
      } else if (from > end && recreated.test(tp)) {
        // the new topic is taken up from its start once the topic refresh finds it; its offsets mean nothing here
        assignment.hold(consumer, List.of(tp), holdUntilNanos);
        LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("partition", tp.toString())
            .log("source topic {} was deleted and created again (its partition {} ends at {}, below Ferry's progress {}); waiting for the"
                + " topic refresh to replicate the new topic from its start", tp.topic(), tp, end, from);
      } else if (from > end) {
        consumer.pause(List.of(tp));
        fail(tp, new Problem(Problem.Reason.SOURCE_TRUNCATED, "source partition " + tp + " on " + flow.source().describe() + " ends at offset "
            + end + ", below Ferry's progress " + from + ": it was truncated or recreated; replication of " + tp
            + " stopped (to replicate the topic again from its start, delete target topic " + p.target.topic() + " and restart)"));
      } else {
        consumer.seek(tp, from);
      }
    }
  }

  /**
   * A provenance header that cannot be decoded (written by something else under Ferry's header name) is treated as
   * absent: the record is copied with a fresh path. Counted, and logged once per lane, since loop protection cannot
   * work for such records.
   */
  void unreadableHeader(RuntimeException e) {
    state.corruptProvenance();
    if (!unreadableHeaderLogged) {
      unreadableHeaderLogged = true;
      LOG.atWarn().addKeyValue("flow", flow.name()).addKeyValue("shard", shard)
          .log("a source record carries an unreadable {} header ({}); copied as if it had none", ProvenanceCodec.HEADER, e.getMessage());
    }
  }
}
