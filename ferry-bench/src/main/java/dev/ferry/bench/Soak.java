package dev.ferry.bench;

import dev.ferry.client.FerryNames;
import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.failover.Failover;
import dev.ferry.local.LocalKafka;
import dev.ferry.provenance.Provenance;
import dev.ferry.provenance.ProvenanceCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Ferry for a long time at a steady rate: every minute, its heap after a full GC, the offset map's size on disk, the
 * replication lag and the end-to-end latency (source write to committed on the target). At the end a
 * failover of groups far behind, halfway and at the head, each checked against the provenance of the target record it
 * lands on. Usage: {@code bench/soak [--minutes 30] [--rate 2000] [--partitions 8] [--commit-interval 200ms]}.
 */
public final class Soak {
  private static final Pattern FULL_GC = Pattern.compile("Pause Full.*?(\\d+)M->(\\d+)M");
  private static final String TOPIC = "soak";

  private Soak() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        System.err.println("usage: bench/soak [--minutes N] [--rate RECORDS_PER_S] [--partitions N] [--commit-interval DURATION]");
        System.exit(2);
      }
      opts.put(args[i].substring(2), args[i + 1]);
    }
    int minutes = Integer.parseInt(opts.getOrDefault("minutes", "30"));
    int rate = Integer.parseInt(opts.getOrDefault("rate", "2000"));
    int partitions = Integer.parseInt(opts.getOrDefault("partitions", "8"));
    String commitInterval = opts.getOrDefault("commit-interval", "200ms");
    Path dir = Files.createTempDirectory("ferry-soak");
    List<LocalKafka> clusters = LocalKafka.startAll(dir, Map.of(), "src", "tgt");
    LocalKafka source = clusters.get(0);
    LocalKafka target = clusters.get(1);
    Process ferry = null;
    AtomicBoolean stop = new AtomicBoolean();
    try (Admin src = Admin.create(Map.of("bootstrap.servers", source.bootstrap()));
        Admin tgt = Admin.create(Map.of("bootstrap.servers", target.bootstrap()))) {
      src.createTopics(List.of(new NewTopic(TOPIC, partitions, (short) 1))).all().get();
      FlowConfig flow = FlowConfig.builder(new ClusterConfig("src", source.bootstrap()), new ClusterConfig("tgt", target.bootstrap()),
          TopicSelection.of(TOPIC, null)).groups(TopicSelection.of("soak-.*", null)).build();
      Path gcLog = dir.resolve("ferry-gc.log");
      ferry = startFerry(dir, source, target, gcLog, commitInterval);
      Latencies latencies = new Latencies();
      Thread producer = new Thread(() -> produce(source.bootstrap(), rate, partitions, stop), "soak-producer");
      Thread consumer = new Thread(() -> consume(target.bootstrap(), latencies, stop), "soak-latency");
      producer.start();
      consumer.start();
      System.out.printf("soak: %d records/s of 1 KiB into %d partitions for %d min, ferry run --commit-interval %s%n", rate, partitions, minutes,
          commitInterval);
      System.out.printf("%6s %14s %14s %12s %10s %12s %12s%n", "minute", "heap after GC", "map on disk", "lag records", "replicated",
          "latency p50", "latency p99");
      long start = System.nanoTime();
      for (int m = 1; m <= minutes; m++) {
        long wake = start + TimeUnit.MINUTES.toNanos(m);
        while (System.nanoTime() < wake) {
          Thread.sleep(Math.max(1, Math.min(1000, (wake - System.nanoTime()) / 1_000_000)));
          if (!ferry.isAlive()) {
            throw new IllegalStateException("ferry exited with " + ferry.exitValue() + "; see " + dir.resolve("ferry.log"));
          }
        }
        long heap = heapAfterFullGc(ferry.pid(), gcLog);
        String mapTopic = FerryNames.offsetMapTopic(flow.name());
        long[] lat = latencies.drain();
        System.out.printf("%6d %12d MB %11.2f MB %12d %10d %10d ms %10d ms%n", m, heap, mapBytes(tgt, mapTopic) / 1e6,
            lag(src, tgt, flow, partitions), latencies.total(), lat[0], lat[1]);
      }
      stop.set(true);
      producer.join();
      consumer.join();
      failoverCheck(flow, src, tgt, partitions);
    } finally {
      stop.set(true);
      if (ferry != null) {
        ferry.destroy();
        if (!ferry.waitFor(60, TimeUnit.SECONDS)) {
          ferry.destroyForcibly();
        }
      }
      clusters.forEach(LocalKafka::close);
    }
  }

  private static Process startFerry(Path dir, LocalKafka source, LocalKafka target, Path gcLog, String commitInterval) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(Bench.FERRY_JVM_OPTIONS);
    cmd.add("-Xlog:gc:file=" + gcLog);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.ferry.cli.Ferry", "run", "--source", "src=" + source.bootstrap(),
        "--target", "tgt=" + target.bootstrap(), "--topics", TOPIC, "--groups", "soak-.*", "--commit-interval", commitInterval));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("ferry.log").toFile()).start();
  }

  /** Asks the JVM for a full collection and reads what was left of the heap. */
  private static long heapAfterFullGc(long pid, Path gcLog) throws Exception {
    Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid), "GC.run")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    jcmd.waitFor(60, TimeUnit.SECONDS);
    long after = -1;
    for (int attempt = 0; attempt < 50 && after < 0; attempt++) {
      for (String line : Files.readAllLines(gcLog)) {
        Matcher m = FULL_GC.matcher(line);
        if (m.find()) {
          after = Long.parseLong(m.group(2));
        }
      }
      if (after < 0) {
        Thread.sleep(100);
      }
    }
    return after;
  }

  private static long mapBytes(Admin tgt, String mapTopic) throws Exception {
    long bytes = 0;
    Map<Integer, Map<String, org.apache.kafka.clients.admin.LogDirDescription>> dirs =
        tgt.describeLogDirs(tgt.describeCluster().nodes().get().stream().map(n -> n.id()).toList()).allDescriptions().get();
    for (Map<String, org.apache.kafka.clients.admin.LogDirDescription> byDir : dirs.values()) {
      for (org.apache.kafka.clients.admin.LogDirDescription d : byDir.values()) {
        for (Map.Entry<TopicPartition, ReplicaInfo> e : d.replicaInfos().entrySet()) {
          if (e.getKey().topic().equals(mapTopic)) {
            bytes += e.getValue().size();
          }
        }
      }
    }
    return bytes;
  }

  private static long lag(Admin src, Admin tgt, FlowConfig flow, int partitions) throws Exception {
    Map<TopicPartition, OffsetSpec> req = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      req.put(new TopicPartition(TOPIC, p), OffsetSpec.latest());
    }
    Map<TopicPartition, OffsetAndMetadata> progress = tgt.listConsumerGroupOffsets(FerryNames.progressGroup(flow.name()))
        .partitionsToOffsetAndMetadata().get();
    long lag = 0;
    for (var e : src.listOffsets(req).all().get().entrySet()) {
      OffsetAndMetadata at = progress.get(new TopicPartition("src." + TOPIC, e.getKey().partition()));
      lag += e.getValue().offset() - (at == null ? 0 : at.offset());
    }
    return lag;
  }

  /**
   * Groups far behind (offset 10, in the map's anchored part after a long run), halfway and one record from the end on
   * every partition; a failover must put each on the target record that came from exactly that source offset.
   */
  private static void failoverCheck(FlowConfig flow, Admin src, Admin tgt, int partitions) throws Exception {
    Map<TopicPartition, OffsetSpec> req = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      req.put(new TopicPartition(TOPIC, p), OffsetSpec.latest());
    }
    Map<TopicPartition, Long> ends = new HashMap<>();
    src.listOffsets(req).all().get().forEach((tp, i) -> ends.put(tp, i.offset()));
    Map<String, Map<TopicPartition, Long>> groups = new LinkedHashMap<>();
    groups.put("soak-far-behind", new HashMap<>());
    groups.put("soak-halfway", new HashMap<>());
    groups.put("soak-at-head", new HashMap<>());
    ends.forEach((tp, end) -> {
      groups.get("soak-far-behind").put(tp, Math.min(10, end));
      groups.get("soak-halfway").put(tp, end / 2);
      groups.get("soak-at-head").put(tp, Math.max(0, end - 1));
    });
    for (var g : groups.entrySet()) {
      Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
      g.getValue().forEach((tp, o) -> commit.put(tp, new OffsetAndMetadata(o)));
      src.alterConsumerGroupOffsets(g.getKey(), commit).all().get();
    }
    long started = System.nanoTime();
    Failover.Report report = new Failover(flow, Optional.of(Pattern.compile("soak-.*")), false, false).run();
    double took = (System.nanoTime() - started) / 1e9;
    int exact = 0;
    int wrong = 0;
    try (KafkaConsumer<byte[], byte[]> c = reader(flow.target().bootstrap())) {
      for (Failover.Row row : report.rows()) {
        long sourceOffset = groups.get(row.group()).get(new TopicPartition(TOPIC, row.target().partition()));
        c.assign(List.of(row.target()));
        c.seek(row.target(), row.targetOffset());
        ConsumerRecord<byte[], byte[]> first = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (first == null && System.nanoTime() < deadline) {
          List<ConsumerRecord<byte[], byte[]>> rs = c.poll(Duration.ofMillis(200)).records(row.target());
          first = rs.isEmpty() ? null : rs.get(0);
        }
        Provenance p = first == null ? null : ProvenanceCodec.read(first.headers());
        if (p != null && p.sourceOffset() == sourceOffset && first.offset() == row.targetOffset()) {
          exact++;
        } else {
          wrong++;
          System.out.printf("NOT EXACT: %s %s at target %d holds %s (wanted source offset %d)%n", row.group(), row.target(), row.targetOffset(),
              p == null ? "nothing" : p.sourcePartition() + "@" + p.sourceOffset(), sourceOffset);
        }
      }
    }
    System.out.printf("failover of 3 groups x %d partitions (far behind at offset 10, halfway, at the head) in %.1f s: %d exact, %d not; lost %d%n",
        partitions, took, exact, wrong, report.lost());
  }

  private static void produce(String bootstrap, int rate, int partitions, AtomicBoolean stop) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("linger.ms", "5");
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      long start = System.nanoTime();
      long sent = 0;
      while (!stop.get()) {
        long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
        for (; sent < due; sent++) {
          byte[] value = new byte[1024];
          ByteBuffer.wrap(value).putLong(System.currentTimeMillis());
          producer.send(new ProducerRecord<>(TOPIC, (int) (sent % partitions), null, value));
        }
        try {
          Thread.sleep(2);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private static void consume(String bootstrap, Latencies latencies, AtomicBoolean stop) {
    try (KafkaConsumer<byte[], byte[]> c = reader(bootstrap)) {
      c.subscribe(List.of("src." + TOPIC));
      while (!stop.get()) {
        long now = System.currentTimeMillis();
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
          latencies.add(now - ByteBuffer.wrap(r.value()).getLong());
        }
      }
    }
  }

  private static KafkaConsumer<byte[], byte[]> reader(String bootstrap) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", "bench-latency-reader");
    p.put("isolation.level", "read_committed");
    p.put("auto.offset.reset", "earliest");
    p.put("enable.auto.commit", "false");
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    return new KafkaConsumer<>(p);
  }

  /** End-to-end latencies of the current minute. */
  private static final class Latencies {
    private final List<Long> minute = new ArrayList<>();
    private long total;

    synchronized void add(long ms) {
      minute.add(ms);
      total++;
    }

    synchronized long total() {
      return total;
    }

    /** p50 and p99 of the minute, and a fresh minute. */
    synchronized long[] drain() {
      if (minute.isEmpty()) {
        return new long[] {-1, -1};
      }
      Collections.sort(minute);
      long[] out = {minute.get(minute.size() / 2), minute.get(Math.min(minute.size() - 1, (int) (minute.size() * 0.99)))};
      minute.clear();
      return out;
    }
  }
}
