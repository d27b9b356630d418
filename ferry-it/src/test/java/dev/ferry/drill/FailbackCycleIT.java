package dev.ferry.drill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.config.Naming;
import dev.ferry.failback.FailbackFinish;
import dev.ferry.failback.FailbackPlan;
import dev.ferry.replicate.TwoClusters;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The DR cycle with divergence: the forward flow stops 1,000 records short of A's end before A is killed. The failback
 * lists exactly those records per partition, deletes none, and the forward flow copies them to B afterwards; a group
 * that read outage records on B stands on A past the divergent records of its partitions, and the finish says so.
 * (The cycle without divergence, 50,000 records in both naming modes, is {@code ferry drill}'s, in DrillCommandIT.)
 */
class FailbackCycleIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters();

  private static final Rehearsal.Primary KILL_A = new Rehearsal.Primary() {
    @Override
    public void fail() {
      clusters.a().kill();
    }

    @Override
    public void recover() {
      clusters.a().start();
    }
  };

  @Test
  void divergenceIsListedKeptAndReachesTheTargetAfterTheFailback() {
    Rehearsal.Report r = rehearse(Naming.Mode.IDENTITY, 1_000);
    FailbackFinish.Report finish = r.finish().orElseThrow();
    assertThat(finish.divergence()).hasSize(4).allSatisfy(d -> {
      assertThat(d.records()).isEqualTo(250);
      assertThat(d.to() - d.from()).isEqualTo(250);
    });
    assertThat(finish.divergence().stream().mapToLong(FailbackPlan.DivergenceRow::records).sum()).isEqualTo(1_000);
    // the records are never deleted: after the failback the forward flow copies them to B like any other of A's
    Rehearsal.Phase last = r.phases().get(4);
    assertThat(last.rows()).filteredOn(row -> row.what().startsWith("A ") || row.what().startsWith("B "))
        .allSatisfy(row -> assertThat(row.lost()).as(row.what()).isZero())
        .allSatisfy(row -> assertThat(row.duplicated()).as(row.what()).isZero());
    // a group partition that read outage records on B stands on A past the divergent records of its partition, and the
    // report says so (exit 3 territory): those the group then never reads are exactly the ones listed
    Rehearsal.Row group = last.rows().get(last.rows().size() - 1);
    long past = finish.pastDivergence().stream().mapToLong(FailbackFinish.PastDivergence::records).sum();
    assertThat(group.lost()).as("records the group never read are the divergent ones it stands past").isEqualTo(past);
    assertThat(finish.atRisk()).hasSize(finish.pastDivergence().size());
  }

  private static Rehearsal.Report rehearse(Naming.Mode naming, int divergence) {
    Rehearsal rehearsal = new Rehearsal(clusters.clusterA(), clusters.clusterB(), new Rehearsal.Settings(10_000, naming, divergence, false,
        Duration.ofSeconds(120)), KILL_A, p -> System.out.println(p));
    return rehearsal.rehearse();
  }
}
