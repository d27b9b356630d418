package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.Problem;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.junit.jupiter.api.Test;

class WriteFaultTest {
  @Test
  void kafkaExceptionsSortIntoFaults() {
    assertThat(WriteFault.of(new ProducerFencedException("x"))).isEqualTo(WriteFault.FENCED);
    assertThat(WriteFault.of(new InvalidProducerEpochException("x"))).isEqualTo(WriteFault.FENCED);
    assertThat(WriteFault.of(new TransactionalIdAuthorizationException("x"))).isEqualTo(WriteFault.FATAL);
    assertThat(WriteFault.of(new RecordTooLargeException("x"))).isEqualTo(WriteFault.RECORD_TOO_LARGE);
    assertThat(WriteFault.of(new RecordBatchTooLargeException("x"))).isEqualTo(WriteFault.RECORD_TOO_LARGE);
    assertThat(WriteFault.of(new TopicAuthorizationException("x"))).isEqualTo(WriteFault.NOT_AUTHORIZED);
    assertThat(WriteFault.of(new InvalidRecordException("x"))).isEqualTo(WriteFault.RECORD_REJECTED);
    assertThat(WriteFault.of(new NotLeaderOrFollowerException("x"))).isEqualTo(WriteFault.RETRIABLE);
    assertThat(WriteFault.of(new KafkaException("x"))).isEqualTo(WriteFault.RETRIABLE);
  }

  @Test
  void anAuthorizationErrorNamingAnotherTopicIsNotThisPartitionsOwn() {
    TopicAuthorizationException closed = new TopicAuthorizationException(java.util.Set.of("A.closed"));
    assertThat(WriteFault.of(closed, "A.closed")).isEqualTo(WriteFault.NOT_AUTHORIZED);
    assertThat(WriteFault.of(closed, "A.open")).as("failed with the transaction, written again").isEqualTo(WriteFault.RETRIABLE);
    assertThat(WriteFault.of(new TopicAuthorizationException("no topics named"), "A.open")).isEqualTo(WriteFault.NOT_AUTHORIZED);
  }

  @Test
  void onlyTheRecordsOwnFaultsStopAPartitionAndOnlyFencingOrTheTransactionalIdEndTheProducer() {
    for (WriteFault f : WriteFault.values()) {
      boolean recordsOwn = f == WriteFault.RECORD_TOO_LARGE || f == WriteFault.NOT_AUTHORIZED || f == WriteFault.RECORD_REJECTED;
      assertThat(f.stopsPartition()).as(f.name()).isEqualTo(recordsOwn);
      assertThat(f.endsProducer()).as(f.name()).isEqualTo(f == WriteFault.FENCED || f == WriteFault.FATAL);
    }
  }

  @Test
  void theProblemNamesTheSourceTheTargetAndWhatToDo() {
    Problem p = WriteFault.RECORD_TOO_LARGE.problem(new TopicPartition("big", 0), new TopicPartition("A.big", 0), "B (h:1)",
        new RecordTooLargeException("x"));
    assertThat(p.reason()).isEqualTo(Problem.Reason.RECORD_TOO_LARGE);
    assertThat(p.message()).isEqualTo("a record of big-0 is larger than target topic partition A.big-0 on B (h:1) accepts "
        + "(raise max.message.bytes there); replication of big-0 stopped");
  }
}
