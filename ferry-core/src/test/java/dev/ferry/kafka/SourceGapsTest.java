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
  void progressIsRefreshedFourTimesPerRetentionPeriodAtLeastHourly() {
    assertThat(ProgressStore.refreshFor(Duration.ofMinutes(1))).isEqualTo(Duration.ofSeconds(15));
    assertThat(ProgressStore.refreshFor(Duration.ofDays(7))).isEqualTo(Duration.ofHours(1));
    assertThat(ProgressStore.refreshFor(Duration.ofMinutes(240))).isEqualTo(Duration.ofHours(1));
    assertThat(ProgressStore.refreshFor(Duration.ofMinutes(200))).isEqualTo(Duration.ofMinutes(50));
    assertThat(ProgressStore.refreshFor(Duration.ZERO)).isEqualTo(Duration.ofSeconds(1));
  }
}
