package dev.ferry.failback;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class FailbackStateTest {
  @Test
  void roundTripsThePhaseTheTimeAndThePrimarysEndsOfTopicsWithDashesAndDots() {
    FailbackState s = new FailbackState(FailbackState.Phase.STARTED, Instant.ofEpochMilli(1_700_000_000_123L),
        Map.of(new TopicPartition("orders-eu.v2", 0), 500L, new TopicPartition("orders-eu.v2", 11), 7L, new TopicPartition("a_b", 3), 0L));
    assertThat(s.encode()).isEqualTo("v1;phase=started;at=1700000000123;ends=a_b-3=0,orders-eu.v2-0=500,orders-eu.v2-11=7");
    assertThat(FailbackState.decode(s.encode().getBytes(StandardCharsets.UTF_8))).contains(s);
  }

  @Test
  void aFinishedFailbackWithNoPartitionsDecodes() {
    FailbackState s = new FailbackState(FailbackState.Phase.FINISHED, Instant.ofEpochMilli(5), Map.of());
    assertThat(FailbackState.decode(s.encode().getBytes(StandardCharsets.UTF_8))).contains(s);
  }

  @Test
  void aValueOfALaterVersionOrNoneIsNoState() {
    assertThat(FailbackState.decode(null)).isEmpty();
    assertThat(FailbackState.decode("v2;phase=started".getBytes(StandardCharsets.UTF_8))).isEmpty();
  }

  @Test
  void belongsToAFailoverThatBeganAtOrBeforeIt() {
    FailbackState s = new FailbackState(FailbackState.Phase.STARTED, Instant.ofEpochMilli(1_000), Map.of());
    assertThat(s.after(Instant.ofEpochMilli(1_000))).isTrue();
    assertThat(s.after(Instant.ofEpochMilli(999))).isTrue();
    assertThat(s.after(Instant.ofEpochMilli(1_001))).as("an earlier failover's failback").isFalse();
  }
}
