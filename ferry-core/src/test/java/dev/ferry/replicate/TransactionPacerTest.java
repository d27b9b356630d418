package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;

class TransactionPacerTest {
  private static final long MS = 1_000_000L;
  private static final Duration INTERVAL = Duration.ofMillis(200);

  @Test
  void aShardThatKeepsUpCommitsEveryIntervalAndNotBefore() {
    TransactionPacer p = new TransactionPacer(INTERVAL, LongUnaryOperator.identity());
    p.startAt(0);
    assertThat(p.due(199 * MS, false)).isFalse();
    assertThat(p.due(200 * MS, false)).isTrue();
    p.committed(500);
    assertThat(p.nominalLength()).isEqualTo(Duration.ofMillis(400)); // every poll of that one had records
    p.startAt(200 * MS);
    assertThat(p.due(300 * MS, true)).isFalse(); // caught up: back to one interval
    assertThat(p.due(400 * MS, true)).isTrue();
    p.committed(10);
    assertThat(p.nominalLength()).isEqualTo(INTERVAL);
  }

  @Test
  void aBacklogDoublesTheLengthUpToFiveIntervals() {
    TransactionPacer p = new TransactionPacer(INTERVAL, LongUnaryOperator.identity());
    List<Long> lengths = new ArrayList<>();
    long now = 0;
    for (int i = 0; i < 6; i++) {
      p.startAt(now);
      now += p.nominalLength().toNanos();
      assertThat(p.due(now - 1, false)).isFalse();
      assertThat(p.due(now, false)).isTrue();
      p.committed(1000);
      lengths.add(p.nominalLength().toMillis());
    }
    assertThat(lengths).containsExactly(400L, 800L, 1000L, 1000L, 1000L, 1000L);
  }

  @Test
  void theEndOfACatchUpIsCommittedAfterOneIntervalNotAtTheLengthenedLength() {
    TransactionPacer p = new TransactionPacer(INTERVAL, LongUnaryOperator.identity());
    p.startAt(0);
    for (int i = 0; i < 3; i++) {
      p.committed(1000);
    }
    assertThat(p.nominalLength()).isEqualTo(Duration.ofMillis(1000));
    p.startAt(0);
    assertThat(p.due(150 * MS, false)).isFalse();
    assertThat(p.due(199 * MS, true)).as("caught up before one interval: keep collecting").isFalse();
    assertThat(p.due(200 * MS, true)).as("caught up after one interval of a five-interval transaction").isTrue();
    p.committed(1000);
    assertThat(p.nominalLength()).isEqualTo(INTERVAL);
  }

  @Test
  void anEmptyTransactionResetsTheLength() {
    TransactionPacer p = new TransactionPacer(INTERVAL, LongUnaryOperator.identity());
    p.committed(1000);
    p.committed(1000);
    assertThat(p.nominalLength()).isEqualTo(Duration.ofMillis(800));
    p.committed(0);
    assertThat(p.nominalLength()).isEqualTo(INTERVAL);
  }

  @Test
  void eachTransactionsLengthIsDrawnWithinAQuarterOfTheNominalOne() {
    TransactionPacer p = new TransactionPacer(INTERVAL);
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 200; i++) {
      p.startAt(0);
      long due = firstDue(p);
      min = Math.min(min, due);
      max = Math.max(max, due);
      p.committed(0);
    }
    assertThat(min).isGreaterThanOrEqualTo(150).isLessThan(175);
    assertThat(max).isLessThanOrEqualTo(250).isGreaterThan(225);
  }

  /** The first millisecond at which a transaction started at 0 is due with every poll returning records. */
  private static long firstDue(TransactionPacer p) {
    for (long ms = 0; ; ms++) {
      if (p.due(ms * MS, false)) {
        return ms;
      }
    }
  }

  @Test
  void noTransactionOutlivesItsTimeoutWhateverTheCommitInterval() {
    for (Duration interval : List.of(Duration.ofMillis(10), Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(30),
        Duration.ofMinutes(1), Duration.ofMinutes(5))) {
      Duration longest = TransactionPacer.longest(interval);
      Duration timeout = dev.ferry.kafka.Clients.transactionTimeout(longest);
      assertThat(timeout).as("interval " + interval).isGreaterThanOrEqualTo(longest.multipliedBy(2)).isGreaterThanOrEqualTo(Duration.ofSeconds(60))
          .isLessThanOrEqualTo(Duration.ofMinutes(15)); // the brokers' default transaction.max.timeout.ms
    }
    assertThat(TransactionPacer.maxNominal(Duration.ofMillis(200))).isEqualTo(Duration.ofSeconds(1));
    assertThat(TransactionPacer.maxNominal(Duration.ofSeconds(30))).as("backlog growth stops at a minute").isEqualTo(Duration.ofMinutes(1));
    assertThat(TransactionPacer.maxNominal(Duration.ofMinutes(5))).isEqualTo(Duration.ofMinutes(5));
    assertThat(dev.ferry.kafka.Clients.transactionTimeout(TransactionPacer.longest(Duration.ofSeconds(10)))).isEqualTo(Duration.ofSeconds(125));
  }
}
