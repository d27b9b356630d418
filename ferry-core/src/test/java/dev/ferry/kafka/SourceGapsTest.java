package dev.ferry.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SourceGapsTest {
  @Test
  void gapsAddUpAndSurviveTheirCommittedForm() {
    SourceGaps g = SourceGaps.NONE.plus(100, 999).plus(SourceGaps.NONE.plus(2000, 2099));
    assertThat(g).isEqualTo(new SourceGaps(2, 1000, 2000, 2099));
    assertThat(g.encode()).isEqualTo("gaps=2;records=1000;last=2000-2099");
    assertThat(SourceGaps.decode(g.encode())).isEqualTo(g);
    assertThat(g).hasToString("2 gaps, 1000 records, last 2000..2099");
  }

  @Test
  void noGapIsEmptyMetadataAndForeignMetadataMeansNoGap() {
    assertThat(SourceGaps.NONE.encode()).isEmpty();
    assertThat(SourceGaps.decode("")).isEqualTo(SourceGaps.NONE);
    assertThat(SourceGaps.decode(null)).isEqualTo(SourceGaps.NONE);
    assertThat(SourceGaps.decode("gaps=1;records=5;last=9-3")).as("inconsistent").isEqualTo(SourceGaps.NONE);
    assertThat(SourceGaps.decode("gaps=99999999999999999999;records=1;last=1-1")).isEqualTo(SourceGaps.NONE);
  }

  @Test
  void progressKeepsItsTopicIdsBesideItsGapsAndReadsMetadataWithoutThem() {
    Incarnation ids = new Incarnation(org.apache.kafka.common.Uuid.randomUuid(), org.apache.kafka.common.Uuid.randomUuid());
    ProgressStore.Progress p = new ProgressStore.Progress(1005, SourceGaps.NONE.plus(100, 999), ids);
    org.apache.kafka.clients.consumer.OffsetAndMetadata committed = p.toOffset();
    assertThat(committed.metadata()).isEqualTo("ids=" + ids.source() + "/" + ids.target() + ";gaps=1;records=900;last=100-999");
    assertThat(ProgressStore.Progress.of(committed)).isEqualTo(p);
    assertThat(ProgressStore.Progress.of(new org.apache.kafka.clients.consumer.OffsetAndMetadata(7, "gaps=1;records=900;last=100-999")))
        .as("committed without ids").isEqualTo(new ProgressStore.Progress(7, SourceGaps.NONE.plus(100, 999), Incarnation.UNKNOWN));
    assertThat(new ProgressStore.Progress(7, SourceGaps.NONE, ids).toOffset().metadata()).isEqualTo("ids=" + ids.encode());
    assertThat(new ProgressStore.Progress(7, SourceGaps.NONE).toOffset().metadata()).isEmpty();
  }

  @Test
  void anUnknownTopicIdMatchesAnyAndTwoKnownOnesMustBeEqual() {
    org.apache.kafka.common.Uuid a = org.apache.kafka.common.Uuid.randomUuid();
    org.apache.kafka.common.Uuid b = org.apache.kafka.common.Uuid.randomUuid();
    assertThat(new Incarnation(a, b).differs(Incarnation.UNKNOWN)).isFalse();
    assertThat(new Incarnation(a, b).differs(new Incarnation(a, b))).isFalse();
    assertThat(new Incarnation(a, b).sourceDiffers(new Incarnation(b, b))).isTrue();
    assertThat(new Incarnation(a, b).targetDiffers(new Incarnation(b, b))).isFalse();
    assertThat(Incarnation.decode("nonsense")).isEmpty();
  }

  @Test
  void progressIsRefreshedFourTimesPerRetentionPeriodAtLeastHourly() {
    assertThat(ProgressStore.refreshFor(Duration.ofMinutes(1))).isEqualTo(Duration.ofSeconds(15));
    assertThat(ProgressStore.refreshFor(Duration.ofDays(7))).isEqualTo(Duration.ofHours(1));
    assertThat(ProgressStore.refreshFor(Duration.ofMinutes(240))).isEqualTo(Duration.ofHours(1));
    assertThat(ProgressStore.refreshFor(Duration.ofMinutes(200))).isEqualTo(Duration.ofMinutes(50));
    assertThat(ProgressStore.refreshFor(Duration.ZERO)).isEqualTo(Duration.ofSeconds(1));
  }
}
