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

  private static final Duration MAX_LATENCY = Duration.ofMillis(50);

  private static TransactionPacer pacer() {
    return new TransactionPacer(INTERVAL, MAX_LATENCY, LongUnaryOperator.identity());
  }

  @Test
  void steadyTrafficCommitsOnceTheFirstRecordHasWaitedTheMaxLatency() {
    TransactionPacer p = pacer();
    p.startAt(0);
    assertThat(p.due(30 * MS, true, false)).as("nothing sent yet").isFalse();
    p.sent(40 * MS);
    p.sent(60 * MS); // later sends do not move the clock of the transaction's first record
    assertThat(p.due(89 * MS, false, false)).isFalse();
    assertThat(p.due(90 * MS, false, false)).isTrue();
    p.committed(500);
    assertThat(p.nominalLength()).as("a poll that kept up: no growth").isEqualTo(INTERVAL);
  }

  @Test
  void aPollWaitsNoLongerThanTheFirstRecordsMaxLatencyLeaves() {
    TransactionPacer p = pacer();
    Duration poll = Duration.ofMillis(50);
    p.startAt(0);
    assertThat(p.pollTimeout(0, poll)).as("nothing sent yet").isEqualTo(poll);
    p.sent(10 * MS);
    assertThat(p.pollTimeout(30 * MS, poll)).isEqualTo(Duration.ofMillis(30));
    assertThat(p.pollTimeout(59 * MS, poll)).isEqualTo(Duration.ofMillis(1));
    assertThat(p.pollTimeout(80 * MS, poll)).as("overdue: a millisecond, never zero").isEqualTo(Duration.ofMillis(1));
    TransactionPacer relaxed = new TransactionPacer(INTERVAL, Duration.ofSeconds(1), LongUnaryOperator.identity());
    relaxed.startAt(0);
    relaxed.sent(0);
    assertThat(relaxed.pollTimeout(0, poll)).isEqualTo(poll);
  }

  @Test
  void aBacklogIgnoresTheMaxLatencyAndCommitsAtTheCommitInterval() {
    TransactionPacer p = pacer();
    p.startAt(0);
    p.sent(0);
    assertThat(p.due(199 * MS, false, true)).as("behind: the max latency does not cut the transaction").isFalse();
    assertThat(p.due(200 * MS, false, true)).isTrue();
    p.committed(5000);
    assertThat(p.nominalLength()).isEqualTo(Duration.ofMillis(400));
  }

  @Test
  void aBacklogDoublesTheLengthUpToFiveIntervals() {
    TransactionPacer p = pacer();
    List<Long> lengths = new ArrayList<>();
    long now = 0;
    for (int i = 0; i < 6; i++) {
      p.startAt(now);
      p.sent(now);
      now += p.nominalLength().toNanos();
      assertThat(p.due(now - 1, false, true)).isFalse();
      assertThat(p.due(now, false, true)).isTrue();
      p.committed(1000);
      lengths.add(p.nominalLength().toMillis());
    }
    assertThat(lengths).containsExactly(400L, 800L, 1000L, 1000L, 1000L, 1000L);
  }

  @Test
  void theEndOfACatchUpIsCommittedWithinTheMaxLatencyNotAtTheLengthenedLength() {
    TransactionPacer p = pacer();
    for (int i = 0; i < 3; i++) {
      p.committed(1000);
    }
    assertThat(p.nominalLength()).isEqualTo(Duration.ofMillis(1000));
    p.startAt(0);
    p.sent(0);
    assertThat(p.due(150 * MS, false, true)).isFalse();
    assertThat(p.due(160 * MS, false, false)).as("the first poll that keeps up: the first record waited past the max latency").isTrue();
    p.committed(1000);
    assertThat(p.nominalLength()).isEqualTo(INTERVAL);
  }

  @Test
  void anIdleShardCommitsAfterOneIntervalWhenAPollFindsNothing() {
    TransactionPacer p = pacer();
    p.committed(1000);
    p.startAt(0);
    assertThat(p.due(199 * MS, true, false)).isFalse();
    assertThat(p.due(200 * MS, true, false)).as("stale progress is refreshed on this rhythm").isTrue();
  }

  @Test
  void aMaxLatencyLongerThanTheCommitIntervalLeavesTheIntervalInCharge() {
    TransactionPacer p = new TransactionPacer(INTERVAL, Duration.ofSeconds(2), LongUnaryOperator.identity());
    p.startAt(0);
    p.sent(0);
    assertThat(p.due(199 * MS, false, false)).isFalse();
    assertThat(p.due(200 * MS, false, false)).isTrue();
  }

  @Test
  void anEmptyTransactionResetsTheLength() {
    TransactionPacer p = pacer();
    p.committed(1000);
    p.committed(1000);
    assertThat(p.nominalLength()).isEqualTo(Duration.ofMillis(800));
    p.committed(0);
    assertThat(p.nominalLength()).isEqualTo(INTERVAL);
  }

  @Test
  void eachTransactionsLengthIsDrawnWithinAQuarterOfTheNominalOne() {
    TransactionPacer p = new TransactionPacer(INTERVAL, MAX_LATENCY);
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

  /** The first millisecond at which a transaction started at 0 is due with every poll returning a backlog's records. */
  private static long firstDue(TransactionPacer p) {
    for (long ms = 0; ; ms++) {
      if (p.due(ms * MS, false, true)) {
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
