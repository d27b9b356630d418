package dev.ferry.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The benchmark measures Ferry as its launcher starts it. */
class LauncherOptionsTest {
  @Test
  void ferryIsBenchmarkedWithTheLaunchersDefaultJvmOptions() throws Exception {
    String launcher = Files.readString(Path.of("..", "ferry"));
    assertThat(launcher).contains("${FERRY_JAVA_OPTS:-" + String.join(" ", Bench.FERRY_JVM_OPTIONS) + "}");
  }
}
