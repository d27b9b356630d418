package dev.ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gets one line that names what is wrong and where, and exit code 2; no stack trace without --verbose. */
class CliInputTest {
  record Result(int code, String out, String err) {}

  static Result ferry(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Ferry.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void runWithoutAFlowSaysWhatIsMissing() {
    Result r = ferry("run");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("ferry: --source: is required (ALIAS=HOST:PORT), or give --config");
  }

  @Test
  void badFlagValuesNameTheFlag() {
    Result r = ferry("run", "--source", "A=localhost:9092", "--target", "B=nohost", "--topics", ".*");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("ferry: --target (bootstrap): 'nohost' is not host:port");

    r = ferry("run", "--source", "A=localhost:9092", "--target", "B=b:1", "--topics", "(");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).startsWith("ferry: --topics (include): '(' is not a valid regular expression");

    r = ferry("run", "--source", "A=localhost:9092", "--target", "B=b:1", "--topics", "x", "--naming", "mirror");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("ferry: --naming: 'mirror' is not a naming mode (prefix or identity)");

    r = ferry("run", "--source", "A", "--target", "B=b:1", "--topics", "x");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("'A' is not NAME=VALUE").doesNotContain("\tat ");
  }

  @Test
  void badServiceFlagsNameTheFlag() {
    String[] flow = {"--source", "A=localhost:9092", "--target", "B=b:1", "--topics", "x"};
    Result r = ferry(concat(new String[] {"run", "--metrics-port", "70000"}, flow));
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("ferry: --metrics-port: 70000 is not a port (0..65535)");
    r = ferry(concat(new String[] {"status", "--log-format", "xml"}, flow));
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("ferry: --log-format: 'xml' is not a log format (text, json)");
    r = ferry(concat(new String[] {"status", "--format", "yaml"}, flow));
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("ferry: --format: 'yaml' is not table or json");
    r = ferry(concat(new String[] {"status", "--watch", "0"}, flow));
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("ferry: --watch: 0 is out of range 1..3600 seconds");
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void configFileErrorsNameTheKeyPath(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("ferry.yaml");
    Files.writeString(f, """
        flows:
          - source: {alias: A, bootstrap: "a:9092"}
            target: {alias: B, bootstrap: "b:9092", propertiez: {}}
            topics: ".*"
        """);
    Result r = ferry("run", "--config", f.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("ferry: flows[0].target.propertiez: unknown key (allowed: alias, bootstrap, properties)");

    r = ferry("run", "--config", dir.resolve("missing.yaml").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("ferry: config file " + dir.resolve("missing.yaml") + " does not exist");

    r = ferry("run", "--config", f.toString(), "--source", "A=a:1");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("ferry: --config: give either --config or --source/--target/--topics, not both");

    r = ferry("run", "--config", f.toString(), "--shards", "8", "--commit-interval", "1s", "--max-latency", "20ms");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo(
        "ferry: --config: the flow comes from the file, so --shards, --commit-interval, --max-latency would be ignored: set it in the file instead");

    r = ferry("run", "--source", "A=localhost:9092", "--target", "B=b:1", "--topics", "x", "--max-latency", "0s");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("ferry: --max-latency: PT0S is out of range 1ms..5m");
  }

  @Test
  void anUnreachableClusterInAOneShotCommandFailsFastWithExitOne() {
    Result r = ferry("drill", "--source", "A=127.0.0.1:1", "--target", "B=127.0.0.1:2", "--records", "1000");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip()).contains("127.0.0.1:1").doesNotContain("\tat ");
    r = ferry("drill", "--quick", "--source", "A=127.0.0.1:1", "--target", "B=127.0.0.1:2", "--records", "100");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip()).contains("127.0.0.1:1").doesNotContain("\tat ");
  }

  @Test
  void verboseAddsTheStackTrace() {
    Result r = ferry("drill", "--verbose", "--source", "A=127.0.0.1:1", "--target", "B=127.0.0.1:2", "--records", "1000");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("\tat ");
  }

  @Test
  void helpListsTheCommands() {
    Result r = ferry("--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("run", "status", "failover", "offsets", "drill", "Exit codes: 0 ok, 1 failure, 2 bad input, 3 failover or failback finish");
  }

  @Test
  void theDrillsOptionsAreChecked() {
    Result r = ferry("drill", "--naming", "mirror");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("ferry: --naming: 'mirror' is not prefix or identity");
    r = ferry("drill", "--quick", "--keep");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("ferry: --keep: only for the DR cycle, not with --quick");
    r = ferry("drill", "--source", "A=127.0.0.1:1", "--target", "B=127.0.0.1:2", "--records", "999");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("ferry: --records: 999 is too few for the rehearsal (at least 1000)");
    r = ferry("failback", "finish", "--source", "A=127.0.0.1:1", "--target", "B=127.0.0.1:2", "--topics", "t", "--quiet", "0s");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("ferry: --quiet: must be more than 0");
  }
}
