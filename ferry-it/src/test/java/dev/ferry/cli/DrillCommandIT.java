package dev.ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README command 1: {@code ferry drill} on the two local clusters it starts. The DR cycle in both naming modes with
 * 50,000 numbered records on A in 4 partitions: a group reads 60% on A, A's broker is killed, failover, the group reads
 * 10,000 more on B, 20,000 new records are written on B (and transactions, some aborted), A comes back, plan / start /
 * the group moves back / 5,000 more on B while the reverse flow runs / finish, then 5,000 new records on A replicate
 * forward. Every phase's table shows 0 lost, duplicated and re-read; the reverse flow read at most 1% more records from B
 * than the outage wrote there. And {@code --quick}, replication alone.
 */
class DrillCommandIT {
  private static final Pattern REVERSE = Pattern.compile("reverse replication read (\\d+) records from the DR cluster for (\\d+) outage records");
  private static final Pattern ROW = Pattern.compile("(?m)^  (.{72}) +(\\d+) +(\\d+) +(\\d+) +(\\d+)$");

  /**
   * The three drills run at once, each on its own two clusters (much of a drill is waiting: for a broker to restart, a
   * checkpoint interval, the producers' quiet period), and each is checked on its own.
   */
  @Test
  void theDrCycleDrillPassesInBothNamingModesAndTheQuickDrillToo() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<Cli.Result> identity = pool.submit(() -> Cli.ferry("drill", "--records", "50000", "--naming", "identity"));
      Future<Cli.Result> quick = pool.submit(() -> Cli.ferry("drill", "--quick", "--records", "3000"));
      Cli.Result prefix = Cli.ferry("drill", "--records", "50000");
      assertCyclePassed(prefix, "A.rehearsal-");
      assertCyclePassed(identity.get(10, TimeUnit.MINUTES), null);
      Cli.Result r = quick.get(10, TimeUnit.MINUTES);
      assertThat(r.code()).as(r.out() + r.err()).isZero();
      assertThat(r.out()).contains("lost 0, duplicated 0", "DRILL PASSED");
      assertThat(r.out()).containsPattern("aborted-not-copied [1-9]\\d*");
    } finally {
      pool.shutdownNow();
    }
  }

  private static void assertCyclePassed(Cli.Result r, String prefixedTopic) {
    System.out.println(r.out()); // the sample run in the README
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    for (int phase = 1; phase <= 5; phase++) {
      assertThat(r.out()).contains("Phase " + phase + ": ");
    }
    assertThat(r.out()).doesNotContain("FAILED").contains("DRILL PASSED");
    if (prefixedTopic != null) {
      assertThat(r.out()).contains("B " + prefixedTopic);
    }
    Matcher rows = ROW.matcher(r.out());
    int n = 0;
    while (rows.find()) {
      n++;
      assertThat(rows.group(3) + " " + rows.group(4) + " " + rows.group(5)).as(rows.group(1)).isEqualTo("0 0 0");
    }
    assertThat(n).as("rows in the phase tables").isGreaterThanOrEqualTo(12);
    assertThat(r.out()).contains("group rehearsal-").containsPattern("over A -> B -> A +80000 +0 +0 +0");
    Matcher m = REVERSE.matcher(r.out());
    assertThat(m.find()).as(r.out()).isTrue();
    long read = Long.parseLong(m.group(1));
    long delta = Long.parseLong(m.group(2));
    assertThat(delta).as("the outage's records: 25,000 of orders and the committed payments").isGreaterThan(25_000);
    assertThat(read).as("records the reverse flow read from B").isBetween(delta, delta + delta / 100);
  }
}
