package dev.ferry.cli;

import dev.ferry.FerryException;
import dev.ferry.config.ClusterConfig;
import dev.ferry.drill.Drill;
import dev.ferry.drill.Verification;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry drill}: a replication rehearsal with a verified report. */
@Command(name = "drill", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Rehearse replication and verify it: start two local KRaft clusters (or use --source/--target), "
        + "write a numbered workload (plain, transactional with aborts, compacted), replicate it with Ferry and check "
        + "that every committed record arrived exactly once, in order, intact. Exit 0 only when it did.")
final class DrillCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--records", paramLabel = "N", description = "Records in the workload (default: 20000).")
  int records = 20_000;

  @Option(names = "--source", paramLabel = "ALIAS=HOST:PORT", converter = KeyValueConverter.class,
      description = "Use this running source cluster instead of a local one.")
  Map.Entry<String, String> source;

  @Option(names = "--target", paramLabel = "ALIAS=HOST:PORT", converter = KeyValueConverter.class,
      description = "Use this running target cluster instead of a local one.")
  Map.Entry<String, String> target;

  @Option(names = "--source-property", paramLabel = "KEY=VALUE", converter = KeyValueConverter.class,
      description = "Kafka client property for --source (repeatable): security settings and the like. The drill creates and writes its"
          + " topics there, so its principal needs Create and Write on them.")
  List<Map.Entry<String, String>> sourceProperties = new ArrayList<>();

  @Option(names = "--target-property", paramLabel = "KEY=VALUE", converter = KeyValueConverter.class,
      description = "Kafka client property for --target (repeatable).")
  List<Map.Entry<String, String>> targetProperties = new ArrayList<>();

  @Option(names = "--timeout", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "How long replication may take (default: 5m).")
  Duration timeout = Duration.ofMinutes(5);

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    Duration limit = timeout;
    if (source == null && (!sourceProperties.isEmpty() || !targetProperties.isEmpty())) {
      throw new FerryException(FerryException.Reason.BAD_INPUT, "--source-property: only with --source and --target (the local clusters need none)");
    }
    if ((source == null) != (target == null)) {
      throw new FerryException(FerryException.Reason.BAD_INPUT, (source == null ? "--source" : "--target") + ": give both --source and --target, or neither");
    }
    LocalClusters local = LocalClusters.none();
    try {
      ClusterConfig s;
      ClusterConfig t;
      if (source == null) {
        Path dir = Files.createTempDirectory("ferry-drill");
        out.println("Starting two local Kafka clusters (KRaft) under " + dir + " ...");
        out.flush();
        local = LocalClusters.start(dir);
        s = new ClusterConfig("A", local.bootstrap(0));
        t = new ClusterConfig("B", local.bootstrap(1));
      } else {
        s = cluster("--source", source, sourceProperties);
        t = cluster("--target", target, targetProperties);
      }
      out.println("Writing " + records + " records to " + s.describe() + " and replicating them to " + t.describe() + " ...");
      out.flush();
      Drill.Report report = new Drill(s, t, records, limit).run();
      render(out, report);
      return report.passed() ? ExitCodes.OK : ExitCodes.FAILURE;
    } finally {
      local.close();
    }
  }

  private static ClusterConfig cluster(String flag, Map.Entry<String, String> e, List<Map.Entry<String, String>> properties) {
    Map<String, String> props = new java.util.LinkedHashMap<>();
    properties.forEach(p -> props.put(p.getKey(), p.getValue()));
    try {
      return new ClusterConfig(e.getKey(), e.getValue(), props);
    } catch (dev.ferry.config.ConfigException ex) {
      if (ex.key().startsWith("properties.")) {
        throw new dev.ferry.config.ConfigException(flag + "-property " + ex.key().substring("properties.".length()), ex.problem());
      }
      throw new dev.ferry.config.ConfigException(flag + " (" + ex.key() + ")", ex.problem());
    }
  }

  private static void render(PrintWriter out, Drill.Report r) {
    out.println();
    out.printf("%-28s %-14s %5s %9s %9s %6s %11s %10s%n", "topic", "kind", "parts", "source", "copied", "lost", "duplicated", "mismatched");
    for (Drill.TopicResult t : r.topics()) {
      Verification v = t.verification();
      out.printf("%-28s %-14s %5d %9d %9d %6d %11d %10d%n", t.topic(), t.kind(), t.partitions(), v.sourceRecords(), v.targetRecords(),
          v.missing(), v.duplicated(), v.mismatched() + v.outOfOrder() + v.unexpected());
    }
    out.println();
    out.printf("records %d, replicated in %.1f s (%,.0f rec/s), lost %d, duplicated %d, aborted-not-copied %d, compaction holes %d%n",
        r.records(), r.replication().toMillis() / 1000.0, r.recordsPerSecond(), r.lost(), r.duplicated(), r.abortedNotCopied(),
        r.compactionHoles());
    for (Drill.TopicResult t : r.topics()) {
      t.verification().examples().forEach(e -> out.println("  " + e));
    }
    out.println(r.passed() ? "DRILL PASSED: every committed source record is on the target exactly once, in order, intact."
        : "DRILL FAILED: see the differences above.");
    out.flush();
  }
}
