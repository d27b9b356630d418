package dev.ferry.replicate;

import dev.ferry.Problem;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;

/** What a failure on a shard's write path means: the one place that sorts Kafka's exceptions for the replication path. */
enum WriteFault {
  /** Another producer took the shard's transactional.id: this one must stop writing. */
  FENCED,
  /** Ferry may not use the shard's transactional.id: the flow cannot run. */
  FATAL,
  /** A record is larger than the target accepts. */
  RECORD_TOO_LARGE,
  /** Ferry may not write the target topic. */
  NOT_AUTHORIZED,
  /** The target rejected a record. */
  RECORD_REJECTED,
  /** Anything else: the transaction is aborted and written again. */
  RETRIABLE;

  /**
   * The fault of a failed write to {@code targetTopic}. A transaction that one topic may not be written to fails the
   * writes of every partition in it with the same authorization error, naming that topic: for the others the fault is
   * not their own, and they are written again after the abort.
   */
  static WriteFault of(Throwable e, String targetTopic) {
    if (e instanceof TopicAuthorizationException t && !t.unauthorizedTopics().isEmpty() && !t.unauthorizedTopics().contains(targetTopic)) {
      return RETRIABLE;
    }
    return of(e);
  }

  static WriteFault of(Throwable e) {
    if (e instanceof ProducerFencedException || e instanceof InvalidProducerEpochException) {
      return FENCED;
    }
    if (e instanceof TransactionalIdAuthorizationException) {
      return FATAL;
    }
    if (e instanceof RecordTooLargeException || e instanceof RecordBatchTooLargeException) {
      return RECORD_TOO_LARGE;
    }
    if (e instanceof AuthorizationException) {
      return NOT_AUTHORIZED;
    }
    if (e instanceof InvalidRecordException || e instanceof org.apache.kafka.common.errors.InvalidTimestampException) {
      return RECORD_REJECTED;
    }
    return RETRIABLE;
  }

  /** Whether the fault ends the producer's life rather than the transaction's (thrown on, never retried in place). */
  boolean endsProducer() {
    return this == FENCED || this == FATAL;
  }

  /** Whether the fault is the record's own: writing it again cannot help, so its partition stops before it. */
  boolean stopsPartition() {
    return this == RECORD_TOO_LARGE || this == NOT_AUTHORIZED || this == RECORD_REJECTED;
  }

  /** The problem reported for a partition this fault stops. */
  Problem problem(TopicPartition source, TopicPartition target, String targetCluster, Throwable e) {
    return switch (this) {
      case RECORD_TOO_LARGE -> new Problem(Problem.Reason.RECORD_TOO_LARGE, "a record of " + source + " is larger than target topic partition "
          + target + " on " + targetCluster + " accepts (raise max.message.bytes there); replication of " + source + " stopped");
      case NOT_AUTHORIZED -> new Problem(Problem.Reason.NOT_AUTHORIZED,
          "not authorized to write " + target + " on " + targetCluster + "; replication of " + source + " stopped");
      case RECORD_REJECTED -> new Problem(Problem.Reason.RECORD_REJECTED, "target " + target + " on " + targetCluster + " rejected a record of "
          + source + ": " + e.getMessage() + "; replication of " + source + " stopped");
      default -> throw new IllegalStateException(this + " does not stop a partition");
    };
  }
}
