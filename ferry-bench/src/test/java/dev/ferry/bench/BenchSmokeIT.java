package dev.ferry.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The benchmark, small (10,000 records, one run), so it cannot rot: every contender copies every record. */
class BenchSmokeIT {
  @Test
  void everyContenderCopiesEveryRecordAndTheSummaryLineIsPrinted() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Map<String, List<Bench.Result>> results = Bench.run(out, 10_000, 0, 1, List.of("1"));
    String printed = bytes.toString(StandardCharsets.UTF_8);
    assertThat(results.get("1")).extracting(Bench.Result::contender).containsExactly("ferry", "mm2-default", "mm2-tuned", "bare");
    assertThat(results.get("1")).allSatisfy(r -> {
      assertThat(r.records()).isEqualTo(10_000);
      assertThat(r.recordsPerSec()).isPositive();
      assertThat(r.cpuSecPerMillion()).isPositive();
    });
    assertThat(Bench.summary(results.get("1"))).startsWith("ferry rec/s=").contains("| mm2-tuned rec/s=", "| ferry/bare=");
    assertThat(printed).contains("contender", "ferry/mm2-tuned=");
  }
}
