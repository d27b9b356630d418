package dev.ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** README command 1, smaller: two local clusters, the workload, replication, verification. */
class DrillCommandIT {
  @Test
  void theDrillPassesOnLocalClusters() {
    Cli.Result r = Cli.ferry("drill", "--records", "3000");
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("lost 0, duplicated 0", "DRILL PASSED");
    assertThat(r.out()).containsPattern("aborted-not-copied [1-9]\\d*");
  }
}
