package dev.ferry.bench;

import dev.ferry.kafka.TopicLeaders;
import dev.ferry.local.LocalKafka;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Ferry against MirrorMaker 2 (defaults and tuned) and a bare consume-produce loop, one after the other on fresh target
 * topics of the same two local brokers (separate processes). Prints one table per scenario (medians of the runs) and
 * a closing summary line.
 */
public final class Bench {
  /** A workload. */
  record Scenario(String name, String topicPrefix, int topics, int partitions, long records, int valueBytes) {
    List<String> topicNames() {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < topics; i++) {
        out.add(topics == 1 ? topicPrefix : topicPrefix + "-" + i);
      }
      return out;
    }

    /** Without backslashes: it goes into MM2's properties file as it is. Topic prefixes are plain [a-z0-9]. */
    String topicRegex() {
      return topics == 1 ? topicPrefix : topicPrefix + "-[0-9]+";
    }
  }

  /** One contender's figures for one run. */
  record Result(String contender, double firstRecordSec, double recordsPerSec, double mbPerSec, double cpuSecPerMillion, long peakHeapMb,
      long records, double targetBrokerCpuSecPerMillion) {}

  /** The contenders, in the order they run. */
  enum Contender {
    FERRY("ferry"), MM2_DEFAULT("mm2-default"), MM2_TUNED("mm2-tuned"), BARE("bare"),
    /** Two Ferry processes sharing the flow (scale-out figures); only when asked for with --contenders. */
    FERRY_X2("ferry-x2"),
    /**
     * MM2 tuned in its exactly-once mode (transactions on the target, read_committed on the source, as Ferry always
     * runs): the like-for-like comparison of Ferry's latency; only when asked for with --contenders.
     */
    MM2_EOS("mm2-eos");

    final String label;

    Contender(String label) {
      this.label = label;
    }
  }

  /** Ferry runs as the {@code ferry} launcher starts it: with its default JVM options (BenchSmokeTest keeps them equal). */
  static final List<String> FERRY_JVM_OPTIONS = List.of("-Xms512m", "-Xmx512m", "-Xmn256m", "-XX:+UseParallelGC");

  private final Path dir;
  private final PrintStream out;
  private final LocalKafka source;
  private final LocalKafka target;
  private final List<String> contenders;
  private final String ferryArgs;
  private final boolean warmUpRound;
  private int runCounter;

  private Bench(Path dir, PrintStream out, LocalKafka source, LocalKafka target, List<String> contenders, String ferryArgs, boolean warmUpRound) {
    this.warmUpRound = warmUpRound;
    this.dir = dir;
    this.out = out;
    this.source = source;
    this.target = target;
    this.contenders = contenders;
    this.ferryArgs = ferryArgs;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--smoke")) {
        opts.put("smoke", "true");
      } else if (args[i].equals("--no-warm-up")) {
        opts.put("no-warm-up", "true");
      } else if (args[i].equals("--latency")) {
        opts.put("latency", "true");
      } else if (args[i].startsWith("--") && i + 1 < args.length) {
        opts.put(args[i].substring(2), args[++i]);
      } else {
        System.err.println("usage: bench/run [--records N] [--s2-records N] [--runs N] [--scenarios 1,2] [--contenders ferry,bare] "
            + "[--ferry-args 'ARGS'] [--no-warm-up] [--smoke]\n"
            + "       bench/run --latency [--rates 5000,20000,max] [--seconds 60] [--contenders ferry,bare] [--ferry-args 'ARGS']");
        System.exit(2);
      }
    }
    boolean smoke = opts.containsKey("smoke");
    if (opts.containsKey("latency")) {
      List<String> rates = Arrays.asList(opts.getOrDefault("rates", "5000,20000,max").split(","));
      List<String> contenders = Arrays.asList(opts.getOrDefault("contenders", "ferry,mm2-default,mm2-tuned,bare").split(","));
      Duration measured = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("seconds", "60")));
      latency(System.out, rates, contenders, measured, opts.getOrDefault("ferry-args", ""));
      return;
    }
    long records = Long.parseLong(opts.getOrDefault("records", smoke ? "10000" : "1000000"));
    long s2 = Long.parseLong(opts.getOrDefault("s2-records", "500000"));
    int runs = Integer.parseInt(opts.getOrDefault("runs", smoke ? "1" : "3"));
    List<String> scenarios = Arrays.asList(opts.getOrDefault("scenarios", smoke ? "1" : "1,2").split(","));
    List<String> contenders = Arrays.asList(opts.getOrDefault("contenders", "ferry,mm2-default,mm2-tuned,bare").split(","));
    String ferryArgs = opts.getOrDefault("ferry-args", "");
    boolean warmUpRound = !smoke && !opts.containsKey("no-warm-up");
    Map<String, List<Result>> medians = run(System.out, records, s2, runs, scenarios, contenders, ferryArgs, warmUpRound);
    System.out.println(summary(medians.get("1")));
  }

  /** Runs the chosen scenarios; returns the median results per scenario ("1", "2"). */
  public static Map<String, List<Result>> run(PrintStream out, long records, long s2Records, int runs, List<String> scenarios) throws Exception {
    return run(out, records, s2Records, runs, scenarios, List.of("ferry", "mm2-default", "mm2-tuned", "bare"), "", false);
  }

  /**
   * As above, with a choice of contenders, extra arguments for Ferry's {@code run} (to try settings), and whether each
   * scenario starts with an uncounted warm-up round.
   */
  public static Map<String, List<Result>> run(PrintStream out, long records, long s2Records, int runs, List<String> scenarios,
      List<String> contenders, String ferryArgs, boolean warmUpRound) throws Exception {
    return onTwoClusters(out, contenders, ferryArgs, warmUpRound, bench -> {
      Map<String, List<Result>> all = new LinkedHashMap<>();
      if (scenarios.contains("1")) {
        all.put("1", bench.scenario(new Scenario("1: " + records + " x 1 KiB, 1 topic x 4 partitions, lz4", "bench", 1, 4, records, 1024), runs));
      }
      if (scenarios.contains("2")) {
        all.put("2", bench.scenario(new Scenario("2: " + s2Records + " x 200 B, 200 topics x 4 partitions", "s2", 200, 4, s2Records, 200), runs));
      }
      return all;
    });
  }

  /** What runs on a benchmark's two clusters. */
  private interface OnClusters<T> {
    T run(Bench bench) throws Exception;
  }

  /** Starts two fresh local clusters (A, B), warms their brokers up, runs {@code work} on them and closes them. */
  private static <T> T onTwoClusters(PrintStream out, List<String> contenders, String ferryArgs, boolean warmUpRound, OnClusters<T> work)
      throws Exception {
    Path dir = Files.createTempDirectory("ferry-bench");
    out.println("Starting two local Kafka clusters (KRaft, separate processes) under " + dir);
    List<LocalKafka> clusters = LocalKafka.startAll(dir, Map.of("num.io.threads", "4", "num.network.threads", "3"), "A", "B");
    try {
      clusters.forEach(Bench::warmUpBrokers);
      return work.run(new Bench(dir, out, clusters.get(0), clusters.get(1), contenders, ferryArgs, warmUpRound));
    } finally {
      clusters.forEach(LocalKafka::close);
    }
  }

  /** The latency mode ({@link Latency}) on two fresh local clusters; returns the figures per rate. */
  static Map<Integer, List<Latency.Figures>> latency(PrintStream out, List<String> rates, List<String> contenders, Duration measured,
      String ferryArgs) throws Exception {
    return onTwoClusters(out, contenders, ferryArgs, false,
        bench -> new Latency(bench, measured).run(rates, contenders));
  }

  private List<Result> scenario(Scenario s, int runs) throws Exception {
    out.println();
    out.println("Scenario " + s.name() + ": loading the source ...");
    load(s);
    Map<Contender, List<Result>> results = new java.util.EnumMap<>(Contender.class);
    // Run 0 warms up: every contender once, not counted. The brokers' code paths each contender uses (transactions,
    // markers, offset commits) are compiled by the JIT by then, as on any broker that has been up for a while.
    for (int run = warmUpRound ? 0 : 1; run <= runs; run++) {
      // each run starts with another contender, so no one always meets brokers that have just been busy with loading
      List<Contender> order = new ArrayList<>(List.of(Contender.values()));
      java.util.Collections.rotate(order, -Math.max(0, run - 1));
      for (Contender c : order) {
        if (!contenders.contains(c.label)) {
          continue;
        }
        Result r = measure(c, s);
        if (run == 0) {
          out.printf("  warm-up %-12s %6.0f rec/s (not counted)%n", c.label, r.recordsPerSec());
          continue;
        }
        out.printf("  run %d %-12s %10.0f rec/s  first record %.1f s  cpu %.1f s/M  heap %d MiB  target broker cpu %.1f s/M%n", run, c.label, r.recordsPerSec(),
            r.firstRecordSec(), r.cpuSecPerMillion(), r.peakHeapMb(), r.targetBrokerCpuSecPerMillion());
        results.computeIfAbsent(c, k -> new ArrayList<>()).add(r);
      }
    }
    List<Result> medians = new ArrayList<>();
    results.forEach((c, rs) -> medians.add(median(c.label, rs)));
    printTable(s, medians, runs);
    return medians;
  }

  /** Creates the scenario's topics on the source and waits for their leaders. */
  void createSourceTopics(Scenario s) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", source.bootstrap()))) {
      List<NewTopic> topics = s.topicNames().stream().map(t -> new NewTopic(t, Optional.of(s.partitions()), Optional.empty())).toList();
      admin.createTopics(topics).all().get();
      TopicLeaders.await(admin, s.topicNames(), Duration.ofSeconds(60), "source");
    }
  }

  private void load(Scenario s) throws Exception {
    createSourceTopics(s);
    Random rnd = new Random(7);
    int half = s.valueBytes() / 2;
    byte[][] randomHalves = new byte[4096][half];
    for (byte[] b : randomHalves) {
      rnd.nextBytes(b);
    }
    byte[] repetitive = "ferry-benchmark-".repeat(half / 16 + 1).substring(0, s.valueBytes() - half).getBytes(StandardCharsets.US_ASCII);
    List<String> names = s.topicNames();
    long started = System.nanoTime();
    Properties loadProps = tunedProducer(source.bootstrap());
    // 256 KiB batches for each of 800 partitions would not fit the buffer: the load would stall on buffer memory
    loadProps.put("batch.size", String.valueOf(Math.min(256 * 1024, 16 * 1024 * 1024 / (s.topics() * s.partitions()))));
    // Kafka 4.3 can drop the first request to a brand-new partition when several are in flight (KAFKA-15591)
    loadProps.put("max.in.flight.requests.per.connection", "1");
    java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(loadProps)) {
      for (long i = 0; i < s.records(); i++) {
        byte[] value = new byte[s.valueBytes()];
        System.arraycopy(randomHalves[(int) (i % randomHalves.length)], 0, value, 0, half);
        System.arraycopy(repetitive, 0, value, half, repetitive.length);
        String topic = names.get((int) (i % names.size()));
        p.send(new ProducerRecord<>(topic, (int) ((i / names.size()) % s.partitions()), Long.toString(i).getBytes(StandardCharsets.US_ASCII), value),
            (md, e) -> {
              if (e != null) {
                failed.compareAndSet(null, e);
              }
            });
      }
      p.flush();
    }
    if (failed.get() != null) {
      throw new IllegalStateException("loading the source failed: " + failed.get(), failed.get());
    }
    long loaded = sourceRecords(s);
    if (loaded != s.records()) {
      throw new IllegalStateException("the source holds " + loaded + " records, not " + s.records());
    }
    out.printf("  loaded %d records in %.1f s%n", s.records(), (System.nanoTime() - started) / 1e9);
  }

  /** The records the source holds in the scenario's topics (no transactions there: offsets are records). */
  long sourceRecords(Scenario s) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", source.bootstrap()))) {
      Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new java.util.HashMap<>();
      for (String t : s.topicNames()) {
        for (int p = 0; p < s.partitions(); p++) {
          latest.put(new TopicPartition(t, p), org.apache.kafka.clients.admin.OffsetSpec.latest());
        }
      }
      return admin.listOffsets(latest).all().get().values().stream().mapToLong(o -> o.offset()).sum();
    }
  }

  /** The producer settings of the tuned contenders (and of the load). */
  static Properties tunedProducer(String bootstrap) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    p.put("compression.type", "lz4");
    p.put("batch.size", String.valueOf(256 * 1024));
    p.put("linger.ms", "20");
    p.put("acks", "all");
    p.put("buffer.memory", String.valueOf(64 * 1024 * 1024));
    return p;
  }

  private Result measure(Contender c, Scenario s) throws Exception {
    String alias = switch (c) {
      case FERRY -> "ferry";
      case FERRY_X2 -> "ferryx";
      case MM2_DEFAULT -> "mmd";
      case MM2_TUNED -> "mmt";
      case MM2_EOS -> "mme";
      case BARE -> "bare";
    } + (++runCounter);
    Path runDir = Files.createDirectories(dir.resolve(alias));
    int processes = c == Contender.FERRY_X2 ? 2 : 1;
    List<Path> gcLogs = new ArrayList<>();
    List<Process> started = new ArrayList<>();
    long tgtCpu0 = cpuMs(target.pid());
    long t0 = System.nanoTime();
    try {
      for (int i = 1; i <= processes; i++) {
        Path gcLog = runDir.resolve(processes == 1 ? "gc.log" : "gc-" + i + ".log");
        gcLogs.add(gcLog);
        started.add(new ProcessBuilder(command(c, alias, s, runDir, gcLog)).redirectErrorStream(true)
            .redirectOutput(runDir.resolve(processes == 1 ? "out.log" : "out-" + i + ".log").toFile()).start());
      }
      Process p = started.get(0);
      long[] firstLast = count(alias, s, p);
      double cpuMs = 0;
      long heap = 0;
      for (int i = 0; i < processes; i++) {
        cpuMs += cpuMs(started.get(i).pid());
        heap = Math.max(heap, peakHeapMb(gcLogs.get(i)));
      }
      double first = (firstLast[0] - t0) / 1e9;
      double phase = Math.max(1e-3, (firstLast[1] - firstLast[0]) / 1e9);
      double bytes = s.records() * (double) (s.valueBytes() + 8);
      double millions = s.records() / 1e6;
      return new Result(c.label, first, s.records() / phase, bytes / phase / 1e6, cpuMs / 1000.0 / millions, heap, s.records(),
          (cpuMs(target.pid()) - tgtCpu0) / 1000.0 / millions);
    } finally {
      for (Process p : started) {
        p.destroy();
      }
      for (Process p : started) {
        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor();
        }
      }
      deleteTopics(target, t -> t.startsWith(alias + "."));
    }
  }

  /** Where the runs keep their logs. */
  Path dir() {
    return dir;
  }

  LocalKafka source() {
    return source;
  }

  LocalKafka target() {
    return target;
  }

  PrintStream out() {
    return out;
  }

  /** The command line that starts a contender replicating the scenario's topics under {@code alias}. */
  List<String> command(Contender c, String alias, Scenario s, Path runDir, Path gcLog) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    switch (c) {
      case FERRY, FERRY_X2 -> cmd.addAll(FERRY_JVM_OPTIONS);
      case MM2_DEFAULT, MM2_TUNED, MM2_EOS -> cmd.add("-Xmx2g");
      case BARE -> cmd.add("-Xmx512m");
    }
    cmd.add("-Xlog:gc:file=" + gcLog);
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    // to profile the contenders (not the brokers), e.g. BENCH_JVM_ARGS='-XX:StartFlightRecording=filename=/tmp/{run}.jfr'
    String extra = System.getenv("BENCH_JVM_ARGS");
    if (extra != null && !extra.isBlank()) {
      cmd.addAll(List.of(extra.replace("{run}", alias).trim().split("\\s+")));
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    switch (c) {
      case FERRY, FERRY_X2 -> {
        cmd.addAll(List.of("dev.ferry.cli.Ferry", "run", "--source", alias + "=" + source.bootstrap(), "--target",
            "tgt=" + target.bootstrap(), "--topics", s.topicRegex()));
        if (!ferryArgs.isBlank()) {
          cmd.addAll(List.of(ferryArgs.trim().split("\\s+")));
        }
      }
      case MM2_DEFAULT, MM2_TUNED, MM2_EOS -> cmd.addAll(List.of("org.apache.kafka.connect.mirror.MirrorMaker",
          mm2Config(runDir, alias, s, c != Contender.MM2_DEFAULT, c == Contender.MM2_EOS).toString(), "--clusters", "tgt"));
      case BARE -> {
        cmd.addAll(List.of(BareLoop.class.getName(), source.bootstrap(), target.bootstrap(), alias, Long.toString(s.records())));
        cmd.addAll(s.topicNames());
      }
    }
    return cmd;
  }

  /**
   * Creates the clusters' transaction and consumer-offsets topics, as any cluster in use has them, so that the first
   * contender does not pay for creating them.
   */
  @SuppressWarnings("removal") // ConsumerGroupMetadata(String): the way to name a group no consumer joins
  private static void warmUpBrokers(LocalKafka cluster) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrap()))) {
      admin.createTopics(List.of(new NewTopic("bench-warm-up", Optional.of(1), Optional.empty()))).all().get();
      TopicLeaders.await(admin, List.of("bench-warm-up"), Duration.ofSeconds(60), cluster.name());
      Properties p = tunedProducer(cluster.bootstrap());
      p.put("transactional.id", "bench-warm-up");
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
        producer.initTransactions();
        // enough traffic for the brokers' produce and fetch paths to be compiled (JIT) before anyone is measured
        byte[] value = new byte[1024];
        for (int txn = 0; txn < 50; txn++) {
          producer.beginTransaction();
          for (int i = 0; i < 2000; i++) {
            producer.send(new ProducerRecord<>("bench-warm-up", 0, null, value));
          }
          producer.commitTransaction();
        }
        producer.beginTransaction();
        producer.send(new ProducerRecord<>("bench-warm-up", 0, null, new byte[1]));
        producer.sendOffsetsToTransaction(Map.of(new TopicPartition("bench-warm-up", 0), new org.apache.kafka.clients.consumer.OffsetAndMetadata(0)),
            new org.apache.kafka.clients.consumer.ConsumerGroupMetadata("bench-warm-up"));
        producer.commitTransaction();
      }
      admin.deleteTopics(List.of("bench-warm-up")).all().get();
    } catch (Exception e) {
      throw new IllegalStateException("warming up " + cluster.name() + " failed: " + e, e);
    }
  }

  /** CPU time of a process so far, in ms (0 when it is gone). */
  static long cpuMs(long pid) {
    return ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).map(Duration::toMillis).orElse(0L);
  }

  /**
   * Counts copied records (not offsets: transaction markers take offsets) on the target, read_committed; returns first
   * and last arrival. No group: target partitions are assigned as their topics appear, each read from its start.
   */
  private long[] count(String alias, Scenario s, Process p) {
    Properties c = readCommitted(target.bootstrap());
    c.put("max.poll.records", "20000");
    c.put("fetch.max.bytes", String.valueOf(64 * 1024 * 1024));
    c.put("max.partition.fetch.bytes", String.valueOf(8 * 1024 * 1024));
    java.util.Set<String> wanted = new java.util.HashSet<>();
    s.topicNames().forEach(t -> wanted.add(alias + "." + t));
    java.util.Set<org.apache.kafka.common.TopicPartition> assigned = new java.util.HashSet<>();
    long first = 0;
    long n = 0;
    long nextRefresh = 0;
    long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
      while (n < s.records()) {
        if (assigned.size() < wanted.size() * s.partitions() && System.nanoTime() > nextRefresh) {
          List<org.apache.kafka.common.TopicPartition> fresh = new ArrayList<>();
          consumer.listTopics(Duration.ofSeconds(10)).forEach((t, infos) -> {
            if (wanted.contains(t)) {
              infos.forEach(i -> {
                org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition(t, i.partition());
                if (assigned.add(tp)) {
                  fresh.add(tp);
                }
              });
            }
          });
          if (!fresh.isEmpty()) {
            consumer.assign(assigned);
            consumer.seekToBeginning(fresh);
          }
          nextRefresh = System.nanoTime() + Duration.ofMillis(200).toNanos();
        }
        if (assigned.isEmpty()) {
          pause(50);
          continue;
        }
        ConsumerRecords<byte[], byte[]> rs = consumer.poll(Duration.ofMillis(100));
        if (!rs.isEmpty() && first == 0) {
          first = System.nanoTime();
        }
        n += rs.count();
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(alias + " copied " + n + " of " + s.records() + " records in 15 minutes");
        }
        if (!p.isAlive() && rs.isEmpty() && n < s.records() && p.exitValue() != 0) {
          throw new IllegalStateException(alias + " exited with " + p.exitValue() + " after " + n + " records; see " + dir.resolve(alias));
        }
      }
      return new long[] {first, System.nanoTime()};
    }
  }

  /** A consumer without a group that reads what is committed, as an application on the target would. */
  static Properties readCommitted(String bootstrap) {
    Properties c = new Properties();
    c.put("bootstrap.servers", bootstrap);
    c.put("key.deserializer", ByteArrayDeserializer.class.getName());
    c.put("value.deserializer", ByteArrayDeserializer.class.getName());
    c.put("isolation.level", "read_committed");
    c.put("enable.auto.commit", "false");
    return c;
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Path mm2Config(Path runDir, String alias, Scenario s, boolean tuned, boolean exactlyOnce) throws IOException {
    StringBuilder b = new StringBuilder();
    b.append("clusters = ").append(alias).append(", tgt\n");
    b.append(alias).append(".bootstrap.servers = ").append(source.bootstrap()).append('\n');
    b.append("tgt.bootstrap.servers = ").append(target.bootstrap()).append('\n');
    b.append(alias).append("->tgt.enabled = true\n");
    b.append(alias).append("->tgt.topics = ").append(s.topicRegex()).append('\n');
    b.append("tgt->").append(alias).append(".enabled = false\n");
    for (String k : List.of("replication.factor", "checkpoints.topic.replication.factor", "heartbeats.topic.replication.factor",
        "offset-syncs.topic.replication.factor", "offset.storage.replication.factor", "status.storage.replication.factor",
        "config.storage.replication.factor")) {
      b.append(k).append(" = 1\n");
    }
    if (tuned) {
      b.append("tasks.max = ").append(s.partitions() * s.topics() < 4 ? 4 : s.partitions()).append('\n');
      b.append("tgt.producer.compression.type = lz4\n");
      b.append("tgt.producer.batch.size = 262144\n");
      b.append("tgt.producer.linger.ms = 20\n");
    }
    if (exactlyOnce) {
      // the target's Connect worker writes each task's records and source offsets in one transaction; a dedicated
      // MM2 needs its internal REST server for that (task fencing), here on a loopback port the system picks
      b.append("tgt.exactly.once.source.support = enabled\n");
      b.append("dedicated.mode.enable.internal.rest = true\n");
      b.append("listeners = http://127.0.0.1:0\n");
    }
    Path f = runDir.resolve("mm2.properties");
    Files.writeString(f, b.toString());
    return f;
  }

  /** Deletes the cluster's topics that match; one that cannot be deleted is said, and the benchmark goes on. */
  void deleteTopics(LocalKafka cluster, java.util.function.Predicate<String> which) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrap()))) {
      admin.deleteTopics(admin.listTopics().names().get().stream().filter(which).toList()).all().get();
    } catch (Exception e) {
      out.println("  (could not delete topics on " + cluster.name() + ": " + e + ")");
    }
  }

  private static final Pattern GC_LINE = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");

  /** The largest heap occupancy before a collection, from the child's GC log. */
  static long peakHeapMb(Path gcLog) {
    long peak = 0;
    try {
      for (String line : Files.readAllLines(gcLog)) {
        Matcher m = GC_LINE.matcher(line);
        if (m.find()) {
          peak = Math.max(peak, Long.parseLong(m.group(1)));
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return peak;
  }

  private static Result median(String label, List<Result> rs) {
    return new Result(label, med(rs, Result::firstRecordSec), med(rs, Result::recordsPerSec), med(rs, Result::mbPerSec),
        med(rs, Result::cpuSecPerMillion), (long) med(rs, r -> (double) r.peakHeapMb()), rs.get(0).records(),
        med(rs, Result::targetBrokerCpuSecPerMillion));
  }

  private static double med(List<Result> rs, java.util.function.ToDoubleFunction<Result> f) {
    double[] v = rs.stream().mapToDouble(f).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private void printTable(Scenario s, List<Result> rs, int runs) {
    out.println();
    out.println("Scenario " + s.name() + " (median of " + runs + " run" + (runs == 1 ? "" : "s") + ")");
    out.printf("%-12s %12s %9s %16s %12s %14s %22s%n", "contender", "rec/s", "MB/s", "first record s", "cpu-s/M", "peak heap MiB",
        "target broker cpu-s/M");
    for (Result r : rs) {
      out.printf("%-12s %12.0f %9.1f %16.1f %12.2f %14d %22.2f%n", r.contender(), r.recordsPerSec(), r.mbPerSec(), r.firstRecordSec(),
          r.cpuSecPerMillion(), r.peakHeapMb(), r.targetBrokerCpuSecPerMillion());
    }
    if (hasMainContenders(rs)) {
      Result ferry = find(rs, "ferry");
      out.printf("ferry/mm2-tuned=%.2f ferry/mm2-default=%.2f ferry/bare=%.2f%n", ferry.recordsPerSec() / find(rs, "mm2-tuned").recordsPerSec(),
          ferry.recordsPerSec() / find(rs, "mm2-default").recordsPerSec(), ferry.recordsPerSec() / find(rs, "bare").recordsPerSec());
    }
  }

  private static boolean hasMainContenders(List<Result> rs) {
    return List.of("ferry", "mm2-default", "mm2-tuned", "bare").stream().allMatch(l -> rs.stream().anyMatch(r -> r.contender().equals(l)));
  }

  private static Result find(List<Result> rs, String label) {
    return rs.stream().filter(r -> r.contender().equals(label)).findFirst().orElseThrow();
  }

  /** The closing line of a benchmark invocation. */
  static String summary(List<Result> rs) {
    if (rs == null || !hasMainContenders(rs)) {
      return "scenario 1 not run with every contender";
    }
    Result f = find(rs, "ferry");
    Result t = find(rs, "mm2-tuned");
    Result b = find(rs, "bare");
    return String.format("ferry rec/s=%.0f | mm2-tuned rec/s=%.0f | bare rec/s=%.0f | ferry/mm2-tuned=%.2f | ferry/bare=%.2f | ferry cpu-s/M=%.2f | mm2-tuned cpu-s/M=%.2f",
        f.recordsPerSec(), t.recordsPerSec(), b.recordsPerSec(), f.recordsPerSec() / t.recordsPerSec(), f.recordsPerSec() / b.recordsPerSec(),
        f.cpuSecPerMillion(), t.cpuSecPerMillion());
  }
}
