package dev.ferry.bench;

import dev.ferry.local.LocalKafka;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The latency mode: how long a record takes from its write on the source to its visibility on the target for a
 * read_committed consumer, at a steady rate. For each rate and contender, on a fresh source topic: the contender starts,
 * a warm-up of {@link #WARM_UP} at the rate is written and waited for until every record of it is on the target, then
 * the rate is held for the measured duration. Every record carries its sequence number and the time it was sent
 * ({@link System#nanoTime()} of this process, which also reads the target, so no clocks are compared); the reader on the
 * target counts each sequence number once and notes the time its poll returned it. Records not on the target within
 * {@link #DRAIN} after the last send count as lost (a contender that fell that far behind); one seen twice counts as a
 * duplicate.
 */
final class Latency {
  static final Duration WARM_UP = Duration.ofSeconds(5);
  static final Duration DRAIN = Duration.ofSeconds(60);
  static final int PARTITIONS = 8;
  static final int VALUE_BYTES = 512;
  /** The bare loop sustains a rate when it delivers everything within this after the last send, at this p99. */
  private static final Duration SUSTAINED_DRAIN = Duration.ofSeconds(2);
  private static final double SUSTAINED_P99_MS = 1000;
  /** The contenders, in the order of the tables (each rate starts with the next one). */
  private static final List<String> CONTENDERS = List.of("bare", "mm2-tuned", "mm2-default", "mm2-eos", "ferry");

  /** One contender's figures at one rate. */
  record Figures(String contender, int rate, double achievedRate, long expected, long seen, long duplicates, double p50, double p90,
      double p99, double p999, double max, double cpuCores, double targetBrokerCores) {
    long lost() {
      return expected - seen;
    }

    boolean keptUp() {
      return lost() == 0 && duplicates == 0;
    }

    /** Whether the writer held the rate (within 5%): otherwise the figures are the writer's, not the contender's. */
    boolean rateHeld() {
      return achievedRate >= rate * 0.95;
    }
  }

  private final Bench bench;
  private final LocalKafka source;
  private final LocalKafka target;
  private final PrintStream out;
  private final Duration measured;
  private int runs;

  Latency(Bench bench, Duration measured) {
    this.bench = bench;
    this.source = bench.source();
    this.target = bench.target();
    this.out = bench.out();
    this.measured = measured;
  }

  /** Measures every contender at every rate; "max" stands for the highest rate the bare loop sustains here. */
  Map<Integer, List<Figures>> run(List<String> rates, List<String> contenders) throws Exception {
    Map<Integer, List<Figures>> all = new java.util.LinkedHashMap<>();
    List<String> order = new ArrayList<>(CONTENDERS);
    for (String r : rates) {
      int rate = r.equals("max") ? highestBareRate() : Integer.parseInt(r);
      out.println();
      out.printf("Latency at %,d rec/s: %d partitions, %d B records, %d s measured after a %d s warm-up%n", rate, PARTITIONS, VALUE_BYTES,
          measured.toSeconds(), WARM_UP.toSeconds());
      List<Figures> figures = new ArrayList<>();
      for (String label : order) {
        if (contenders.contains(label)) {
          Figures f = measure(contender(label), rate, measured, DRAIN);
          out.printf("  %-12s p50 %6.0f ms  p99 %6.0f ms  max %6.0f ms  lost %d  duplicated %d  cpu %.2f cores  written at %.0f rec/s%n",
              f.contender(), f.p50(), f.p99(), f.max(), f.lost(), f.duplicates(), f.cpuCores(), f.achievedRate());
          figures.add(f);
        }
      }
      java.util.Collections.rotate(order, -1); // no contender always runs first, or always after the same one
      figures.sort(java.util.Comparator.comparing(f -> CONTENDERS.indexOf(f.contender())));
      print(rate, figures);
      all.put(rate, figures);
    }
    return all;
  }

  private static Bench.Contender contender(String label) {
    return Arrays.stream(Bench.Contender.values()).filter(c -> c.label.equals(label)).findFirst().orElseThrow();
  }

  /**
   * The highest rate at which the bare loop keeps up: from 40,000 rec/s up by half each step (10 s each), until it no
   * longer delivers every record within {@link #SUSTAINED_DRAIN} of the last send with a p99 under a second.
   */
  private int highestBareRate() throws Exception {
    out.println();
    out.println("Finding the highest rate the bare loop sustains (10 s per step):");
    int best = 20_000;
    for (int rate = 40_000; rate <= 1_000_000; rate = rate * 3 / 2) {
      Figures f = measure(Bench.Contender.BARE, rate, Duration.ofSeconds(10), SUSTAINED_DRAIN);
      boolean sustained = f.keptUp() && f.rateHeld() && f.p99() < SUSTAINED_P99_MS;
      out.printf("  %,9d rec/s (written at %,.0f): p50 %.0f ms, p99 %.0f ms, %d not delivered within %d s: %s%n", rate, f.achievedRate(), f.p50(),
          f.p99(), f.lost(), SUSTAINED_DRAIN.toSeconds(), sustained ? "sustained" : "not sustained");
      if (!sustained) {
        break;
      }
      best = rate;
    }
    return best;
  }

  private Figures measure(Bench.Contender c, int rate, Duration length, Duration drain) throws Exception {
    String alias = "lat" + (++runs) + c.label.replace("-", "");
    String topic = "lat-" + alias;
    Bench.Scenario s = new Bench.Scenario("latency", topic, 1, PARTITIONS, Long.MAX_VALUE, VALUE_BYTES);
    bench.createSourceTopics(s);
    Path runDir = Files.createDirectories(bench.dir().resolve(alias));
    Process p = new ProcessBuilder(bench.command(c, alias, s, runDir, runDir.resolve("gc.log"))).redirectErrorStream(true)
        .redirectOutput(runDir.resolve("out.log").toFile()).start();
    try {
      long warmUp = (long) rate * WARM_UP.toSeconds();
      long total = warmUp + rate * length.toSeconds();
      Reader reader = new Reader(alias + "." + topic, warmUp, total);
      Thread readerThread = new Thread(reader, "latency-reader");
      readerThread.setDaemon(true);
      readerThread.start();
      try (Writer writer = new Writer(topic, rate)) {
        writer.write(0, warmUp);
        if (!reader.awaitWarmUp(Duration.ofMinutes(3), p)) {
          throw new IllegalStateException(c.label + " did not copy the warm-up within 3 minutes (" + reader.seenWarmUp() + " of " + warmUp
              + "); see " + runDir);
        }
        long cpu0 = Bench.cpuMs(p.pid());
        long brokerCpu0 = Bench.cpuMs(target.pid());
        long t0 = System.nanoTime();
        writer.write(warmUp, total);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cores = (Bench.cpuMs(p.pid()) - cpu0) / 1000.0 / seconds;
        double brokerCores = (Bench.cpuMs(target.pid()) - brokerCpu0) / 1000.0 / seconds;
        long written = bench.sourceRecords(s);
        if (written != total) {
          throw new IllegalStateException("the source topic " + topic + " holds " + written + " records, not " + total);
        }
        reader.awaitAll(drain);
        reader.stop();
        readerThread.join(30_000);
        return reader.figures(c.label, rate, (total - warmUp) / seconds, cores, brokerCores);
      } finally {
        reader.stop();
      }
    } finally {
      p.destroy();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
      }
      // the contender's own topics too (MM2's mm2-*.internal, heartbeats and offset syncs, Ferry's __ferry.<flow>.*), so
      // that no contender runs beside what the ones before it left
      bench.deleteTopics(source, t -> t.equals(topic) || leftBehind(t, alias));
      bench.deleteTopics(target, t -> t.startsWith(alias + ".") || leftBehind(t, alias));
    }
  }

  private static boolean leftBehind(String topic, String alias) {
    return topic.contains(alias) || topic.startsWith("mm2-") || topic.equals("heartbeats") || topic.endsWith(".heartbeats");
  }

  /** Writes records {@code from..to-1} at the rate, each stamped with its sequence number and the time it was due. */
  private final class Writer implements AutoCloseable {
    private final String topic;
    private final int rate;
    private final KafkaProducer<byte[], byte[]> producer;
    private final AtomicReference<Exception> failed = new AtomicReference<>();
    private final byte[][] noise = new byte[1024][(VALUE_BYTES - 16) / 2];

    Writer(String topic, int rate) {
      this.topic = topic;
      this.rate = rate;
      java.util.Random random = new java.util.Random(7);
      for (byte[] b : noise) {
        random.nextBytes(b);
      }
      Properties p = new Properties();
      p.put("bootstrap.servers", source.bootstrap());
      p.put("key.serializer", ByteArraySerializer.class.getName());
      p.put("value.serializer", ByteArraySerializer.class.getName());
      p.put("acks", "all");
      p.put("linger.ms", "1");
      p.put("batch.size", String.valueOf(64 * 1024));
      // Kafka 4.3 can drop the first request to a brand-new partition when several are in flight (KAFKA-15591)
      p.put("max.in.flight.requests.per.connection", "1");
      this.producer = new KafkaProducer<>(p);
    }

    /**
     * Each record is stamped with the time it was due at the rate, not the time it was sent: a writer held up (a send
     * that blocked) does not hide the wait from the latency.
     */
    void write(long from, long to) {
      long start = System.nanoTime();
      long next = from;
      while (next < to) {
        long due = from + Math.min(to - from, (System.nanoTime() - start) * rate / 1_000_000_000L);
        for (; next < due; next++) {
          byte[] value = new byte[VALUE_BYTES];
          // half random, half repetitive, as in the throughput scenarios: compression neither wins nor loses everything
          System.arraycopy(noise[(int) (next % noise.length)], 0, value, 16, noise[0].length);
          ByteBuffer.wrap(value).putLong(next).putLong(start + (next - from) * 1_000_000_000L / rate);
          producer.send(new ProducerRecord<>(topic, (int) (next % PARTITIONS), null, value), (md, e) -> {
            if (e != null) {
              failed.compareAndSet(null, e);
            }
          });
        }
        throwIfFailed();
        java.util.concurrent.locks.LockSupport.parkNanos(500_000);
      }
      producer.flush();
      throwIfFailed();
    }

    private void throwIfFailed() {
      if (failed.get() != null) {
        throw new IllegalStateException("writing to the source failed: " + failed.get(), failed.get());
      }
    }

    @Override
    public void close() {
      producer.close(Duration.ofSeconds(10));
    }
  }

  /** Reads the target topic read_committed from its start; keeps each measured record's latency. */
  private final class Reader implements Runnable {
    private final String topic;
    private final long warmUp;
    private final long total;
    private final BitSet seen = new BitSet();
    private final long[] latencies;
    private final AtomicLong seenWarmUp = new AtomicLong();
    private final AtomicLong seenMeasured = new AtomicLong();
    private volatile long duplicates;
    private volatile Exception failure;
    private volatile boolean stopped;

    Reader(String topic, long warmUp, long total) {
      this.topic = topic;
      this.warmUp = warmUp;
      this.total = total;
      this.latencies = new long[(int) (total - warmUp)];
      Arrays.fill(latencies, -1);
    }

    @Override
    public void run() {
      Properties c = Bench.readCommitted(target.bootstrap());
      c.put("max.poll.records", "5000");
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
        List<TopicPartition> parts = new ArrayList<>();
        while (parts.isEmpty() && !stopped) {
          var infos = consumer.listTopics(Duration.ofSeconds(10)).get(topic);
          if (infos != null && infos.size() == PARTITIONS) {
            infos.forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
          } else {
            Thread.sleep(50);
          }
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        while (!stopped) {
          var records = consumer.poll(Duration.ofMillis(100));
          long now = System.nanoTime();
          for (ConsumerRecord<byte[], byte[]> r : records) {
            ByteBuffer v = ByteBuffer.wrap(r.value());
            long seq = v.getLong();
            long sent = v.getLong();
            if (seq < 0 || seq >= total) {
              continue;
            }
            if (seen.get((int) seq)) {
              duplicates++;
              continue;
            }
            seen.set((int) seq);
            if (seq < warmUp) {
              seenWarmUp.incrementAndGet();
            } else {
              latencies[(int) (seq - warmUp)] = now - sent;
              seenMeasured.incrementAndGet();
            }
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        failure = e;
      }
    }

    void stop() {
      stopped = true;
    }

    long seenWarmUp() {
      return seenWarmUp.get();
    }

    boolean awaitWarmUp(Duration timeout, Process contender) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (seenWarmUp.get() < warmUp && System.nanoTime() < deadline) {
        check(contender);
        Thread.sleep(50);
      }
      return seenWarmUp.get() >= warmUp;
    }

    void awaitAll(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (seenMeasured.get() < total - warmUp && System.nanoTime() < deadline && failure == null) {
        Thread.sleep(50);
      }
    }

    private void check(Process contender) {
      if (failure != null) {
        throw new IllegalStateException("reading the target failed: " + failure, failure);
      }
      if (!contender.isAlive()) {
        throw new IllegalStateException("the contender exited with " + contender.exitValue());
      }
    }

    /** The figures; a record never seen ranks as the slowest (its latency is infinite), so losing records never helps. */
    Figures figures(String contender, int rate, double achievedRate, double cores, double brokerCores) {
      if (failure != null) {
        throw new IllegalStateException("reading the target failed: " + failure, failure);
      }
      long seenCount = seenMeasured.get();
      for (int i = 0; i < latencies.length; i++) {
        if (latencies[i] < 0) {
          latencies[i] = Long.MAX_VALUE;
        }
      }
      Arrays.sort(latencies); // in place: at high rates the array is large
      return new Figures(contender, rate, achievedRate, total - warmUp, seenCount, duplicates, pct(latencies, 50), pct(latencies, 90),
          pct(latencies, 99), pct(latencies, 99.9), pct(latencies, 100), cores, brokerCores);
    }
  }

  /** The {@code p}-th percentile (nearest rank) of sorted nanoseconds, in milliseconds; infinite for a record never seen. */
  static double pct(long[] sortedNanos, double p) {
    if (sortedNanos.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100 * sortedNanos.length);
    long v = sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, rank - 1))];
    return v == Long.MAX_VALUE ? Double.POSITIVE_INFINITY : v / 1e6;
  }

  private void print(int rate, List<Figures> figures) {
    out.println();
    out.printf("Latency at %,d rec/s, write on the source to visible on the target (read_committed), ms%n", rate);
    out.printf("%-12s %8s %8s %8s %8s %8s %10s %6s %6s %10s %12s%n", "contender", "p50", "p90", "p99", "p99.9", "max", "records", "lost", "dup",
        "cpu cores", "broker cores");
    for (Figures f : figures) {
      out.printf("%-12s %8s %8s %8s %8s %8s %10d %6d %6d %10.2f %12.2f%s%n", f.contender(), ms(f.p50()), ms(f.p90()), ms(f.p99()), ms(f.p999()),
          ms(f.max()), f.expected(), f.lost(), f.duplicates(), f.cpuCores(), f.targetBrokerCores(),
          f.rateHeld() ? "" : String.format("  (the writer held only %.0f rec/s)", f.achievedRate()));
    }
    out.println("(a lost record ranks as infinitely late: 'lost' where a percentile falls among them; broker cores: the target broker's)");
    summary(figures).ifPresent(out::println);
  }

  private static String ms(double v) {
    return Double.isInfinite(v) ? "lost" : String.format("%.0f", v);
  }

  /** Ferry's medians and p99 against MM2-tuned's and the bare loop's, when all three ran (and MM2 exactly-once's, when it ran). */
  static Optional<String> summary(List<Figures> figures) {
    Optional<Figures> ferry = find(figures, "ferry");
    Optional<Figures> tuned = find(figures, "mm2-tuned");
    Optional<Figures> bare = find(figures, "bare");
    if (ferry.isEmpty() || tuned.isEmpty() || bare.isEmpty()) {
      return Optional.empty();
    }
    Figures f = ferry.get();
    String eos = find(figures, "mm2-eos").map(e -> String.format(" p50/mm2-eos=%.2f p99/mm2-eos=%.2f", f.p50() / e.p50(), f.p99() / e.p99()))
        .orElse("");
    return Optional.of(String.format("ferry p50/mm2-tuned=%.2f p99/mm2-tuned=%.2f p50/bare=%.2f p99/bare=%.2f", f.p50() / tuned.get().p50(),
        f.p99() / tuned.get().p99(), f.p50() / bare.get().p50(), f.p99() / bare.get().p99()) + eos);
  }

  private static Optional<Figures> find(List<Figures> figures, String label) {
    return figures.stream().filter(f -> f.contender().equals(label)).findFirst();
  }
}
