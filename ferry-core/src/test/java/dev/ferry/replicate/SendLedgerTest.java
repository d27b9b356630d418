package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.offsets.OffsetRun;
import java.time.Duration;
import dev.ferry.kafka.SourceGaps;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.Test;

class SendLedgerTest {
  private final SendLedger ledger = new SendLedger();
  private final ShardPartition a = new ShardPartition(new TopicPartition("a", 0), new TopicPartition("A.a", 0), 0, SourceGaps.NONE, 4);
  private final ShardPartition b = new ShardPartition(new TopicPartition("b", 0), new TopicPartition("A.b", 0), 0, SourceGaps.NONE, 4);

  @Test
  void acknowledgedSendsFoldIntoRunsPerPartitionInSendOrder() {
    ledger.expect(a, 3);
    Callback a0 = ledger.sent(a, 10, 100);
    Callback a1 = ledger.sent(a, 11, 100);
    Callback a2 = ledger.sent(a, 13, 100); // 12 was a marker
    ledger.expect(b, 1);
    Callback b0 = ledger.sent(b, 5, 50);
    b0.onCompletion(meta(b, 0), null);
    a0.onCompletion(meta(a, 7), null);
    a1.onCompletion(meta(a, 8), null);
    assertThat(ledger.allAcknowledged()).isFalse();
    assertThat(ledger.unacknowledged()).containsExactly(a);
    a2.onCompletion(meta(a, 9), null);
    assertThat(ledger.awaitAcknowledged(Duration.ZERO)).isTrue();

    ledger.foldIntoRuns();
    assertThat(a.runs.drain()).containsExactly(new OffsetRun(10, 7, 2), new OffsetRun(13, 9, 1));
    assertThat(b.runs.drain()).containsExactly(new OffsetRun(5, 0, 1));
    assertThat(ledger.count()).isEqualTo(4);
    assertThat(ledger.bytes()).isEqualTo(350);
  }

  @Test
  void theLowestFailedOffsetOfAPartitionIsKept() {
    ledger.expect(a, 3);
    Callback first = ledger.sent(a, 1, 1);
    Callback second = ledger.sent(a, 2, 1);
    Callback third = ledger.sent(a, 3, 1);
    third.onCompletion(null, new RecordTooLargeException("3"));
    second.onCompletion(null, new RecordTooLargeException("2"));
    first.onCompletion(meta(a, 0), null);

    assertThat(ledger.hasErrors()).isTrue();
    assertThat(ledger.errors().get(a.source)).hasMessage("3");
    assertThat(ledger.firstFailedOffset(a.source)).hasValue(2);
    assertThat(ledger.allAcknowledged()).isTrue();
  }

  @Test
  void resetForgetsTheTransaction() {
    ledger.expect(a, 2);
    ledger.sent(a, 1, 1).onCompletion(null, new RecordTooLargeException("x"));
    ledger.reset();
    assertThat(ledger.count()).isZero();
    assertThat(ledger.hasErrors()).isFalse();
    assertThat(ledger.allAcknowledged()).isTrue();
    assertThat(ledger.touchedCount()).isZero();
    assertThat(a.unacknowledged.get()).isZero();
  }

  @Test
  void waitingForAnUnacknowledgedSendEndsAtTheTimeout() {
    ledger.expect(a, 1);
    ledger.sent(a, 1, 1);
    assertThat(ledger.awaitAcknowledged(Duration.ofMillis(1))).isFalse();
  }

  private static RecordMetadata meta(ShardPartition p, long offset) {
    return new RecordMetadata(p.target, offset, 0, 0, 0, 0);
  }
}
