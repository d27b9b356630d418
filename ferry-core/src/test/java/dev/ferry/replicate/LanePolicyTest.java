package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LanePolicyTest {
  private final AtomicLong clock = new AtomicLong();
  private final LanePolicy policy = new LanePolicy(Duration.ofMillis(100), clock::get);

  @Test
  void stallTimeoutIsTenCommitIntervalsButAtLeastTwoSeconds() {
    assertThat(policy.stallTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(new LanePolicy(Duration.ofMillis(500), clock::get).stallTimeout()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void aFewPartitionsHoldingUpTheRestMoveButASlowTargetForMostMovesNone() {
    assertThat(LanePolicy.toSlowLane(10, List.of("p3"))).containsExactly("p3");
    assertThat(LanePolicy.toSlowLane(4, List.of("p1", "p2"))).as("half may move").containsExactly("p1", "p2");
    assertThat(LanePolicy.toSlowLane(4, List.of("p1", "p2", "p3"))).as("most are slow: the target is slow").isEmpty();
    assertThat(LanePolicy.toSlowLane(4, List.of())).isEmpty();
  }

  @Test
  void partitionsGoBackAfterQuickCommitsForOneHundredFiftyIntervals() {
    long quick = Duration.ofMillis(20).toNanos();
    assertThat(policy.backToMainLane(quick, true)).as("the streak starts").isFalse();
    clock.addAndGet(Duration.ofSeconds(14).toNanos());
    assertThat(policy.backToMainLane(quick, true)).isFalse();
    clock.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(policy.backToMainLane(quick, true)).isTrue();
  }

  @Test
  void aSlowCommitRestartsTheStreak() {
    long quick = Duration.ofMillis(20).toNanos();
    policy.backToMainLane(quick, true);
    clock.addAndGet(Duration.ofSeconds(14).toNanos());
    assertThat(policy.backToMainLane(LanePolicy.QUICK_COMMIT.toNanos(), true)).isFalse();
    clock.addAndGet(Duration.ofSeconds(2).toNanos());
    assertThat(policy.backToMainLane(quick, true)).as("a new streak starts").isFalse();
    clock.addAndGet(Duration.ofSeconds(15).toNanos());
    assertThat(policy.backToMainLane(quick, false)).as("nothing to move back").isFalse();
    assertThat(policy.backToMainLane(quick, true)).isTrue();
  }
}
