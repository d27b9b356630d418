package dev.ferry.cli;

import dev.ferry.FerryException;
import dev.ferry.config.ClusterConfig;
import dev.ferry.config.Naming;
import dev.ferry.drill.Drill;
import dev.ferry.drill.Rehearsal;
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
    description = "Rehearse the whole DR cycle and verify each phase, on two local KRaft clusters it starts (or --source/--target): "
        + "(1) replicate A -> B while a consumer group reads on A; (2) disaster: A's broker is killed, failover moves the group to B; "
        + "(3) producers write to B, the group reads there; (4) A is back: failback plan, start, the group moves back first, producers "
        + "stop, finish drains; (5) forward again. Exit 0 only when every committed record is on both clusters exactly once, in order, "
        + "and the group read each exactly once. --quick: replication alone (plain, transactional with aborts, compacted).")
final class DrillCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--records", paramLabel = "N", description = "Records in the workload (default: 20000).")
  int records = 20_000;

  @Option(names = "--quick", description = "Rehearse replication only: replicate a workload and verify it (no failover, no failback).")
  boolean quick;

  @Option(names = "--naming", paramLabel = "prefix|identity", description = "The flow's naming mode for the DR cycle (default: prefix).")
  String naming = "prefix";

  @Option(names = "--keep", description = "Keep the rehearsal's topics and groups at the end (deleted by default).")
  boolean keep;

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
    Naming.Mode mode = switch (naming) {
      case "prefix" -> Naming.Mode.PREFIX;
      case "identity" -> Naming.Mode.IDENTITY;
      default -> throw new FerryException(FerryException.Reason.BAD_INPUT, "--naming: '" + naming + "' is not prefix or identity");
    };
    if (quick && (keep || !naming.equals("prefix"))) {
      throw new FerryException(FerryException.Reason.BAD_INPUT, (keep ? "--keep" : "--naming") + ": only for the DR cycle, not with --quick");
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
      if (quick) {
        out.println("Writing " + records + " records to " + s.describe() + " and replicating them to " + t.describe() + " ...");
        out.flush();
        Drill.Report report = new Drill(s, t, records, limit).run();
        render(out, report);
        return report.passed() ? ExitCodes.OK : ExitCodes.FAILURE;
      }
      LocalClusters clusters = local;
      Rehearsal.Primary primary = source == null ? new Rehearsal.Primary() {
        @Override
        public void fail() {
          clusters.killPrimary();
        }

        @Override
        public void recover() {
          clusters.restartPrimary();
        }
      } : new Rehearsal.Primary() {
        @Override
        public void fail() {
          // staging clusters are not the drill's to stop: A is simply no longer used until the failback
        }

        @Override
        public void recover() {}
      };
      Rehearsal rehearsal = new Rehearsal(s, t, new Rehearsal.Settings(records, mode, keep, limit), primary, p -> RehearsalOutput.phase(out, p));
      out.printf("Rehearsing the DR cycle %s -> %s -> %s with %d records (%s naming, run %s) ...%n", s.describe(), t.describe(), s.describe(), records,
          naming, rehearsal.run());
      out.flush();
      Rehearsal.Report report = rehearsal.rehearse();
      RehearsalOutput.summary(out, report);
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
