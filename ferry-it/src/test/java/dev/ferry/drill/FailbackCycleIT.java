package dev.ferry.drill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.config.Naming;
import dev.ferry.failback.FailbackFinish;
import dev.ferry.failback.FailbackPlan;
import dev.ferry.replicate.TwoClusters;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole DR cycle on two real clusters, in both naming modes: 50,000 numbered records on A in 4 partitions, a group
 * reads 60% on A, A is killed, failover, the group reads 10,000 more on B, 20,000 new records are written on B, A comes
 * back, plan / start / the group moves back / 5,000 more on B while the reverse flow runs / finish, then 5,000 new
 * records on A replicate forward. Every record is on both clusters once, in order; the group read each once over
 * A -> B -> A; the reverse flow read at most 1% more than the outage's records.
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
  void identityNamingFailsBackExactlyAndForwardResumes() {
    Rehearsal.Report r = rehearse(Naming.Mode.IDENTITY, 0);
    assertPassed(r);
  }

  @Test
  void prefixNamingFailsBackExactlyAndForwardResumes() {
    Rehearsal.Report r = rehearse(Naming.Mode.PREFIX, 0);
    assertPassed(r);
  }

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
    Rehearsal rehearsal = new Rehearsal(clusters.clusterA(), clusters.clusterB(), new Rehearsal.Settings(50_000, naming, divergence, false,
        Duration.ofSeconds(120)), KILL_A, p -> System.out.println(p));
    return rehearsal.rehearse();
  }

  private static void assertPassed(Rehearsal.Report r) {
    assertThat(r.phases()).hasSize(5);
    for (Rehearsal.Phase p : r.phases()) {
      assertThat(p.passed()).as(p.toString()).isTrue();
      for (Rehearsal.Row row : p.rows()) {
        assertThat(List.of(row.lost(), row.duplicated(), row.reread())).as(row.toString()).containsOnly(0L);
      }
    }
    assertThat(r.delta()).as("orders and committed payments written on B").isGreaterThan(25_000);
    assertThat(r.reverseRead()).as("records the reverse flow read from B, against the outage's").isLessThanOrEqualTo((long) (r.delta() * 1.01))
        .isGreaterThanOrEqualTo(r.delta());
    Rehearsal.Row group = r.phases().get(4).rows().get(r.phases().get(4).rows().size() - 1);
    assertThat(group.records()).as("the group read every record of orders").isEqualTo(50_000 + 20_000 + 5_000 + 5_000);
    assertThat(r.finish().orElseThrow().groups()).isNotEmpty().allSatisfy(g -> {
      assertThat(g.lost()).isZero();
      assertThat(g.rereads()).isZero();
    });
  }
}
