package dev.ferry.drill;

import dev.ferry.FerryException;
import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.flow.Replicator;
import dev.ferry.kafka.ClusterProbe;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A replication drill on two clusters: writes a numbered workload to the source (plain records with headers, a
 * transactional topic with aborted transactions, a compacted topic with tombstones), replicates it with a Ferry flow,
 * waits until the flow has caught up and verifies that every committed source record arrived exactly once, in order,
 * intact, and that no aborted record was copied.
 */
public final class Drill {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Drill.class);

  /** One topic of the drill and what verification found for it. */
  public record TopicResult(String topic, String kind, int partitions, long abortedProduced, Verification verification) {}

  /** The drill's outcome. */
  public record Report(String flow, ClusterConfig source, ClusterConfig target, List<TopicResult> topics, long records,
      Duration replication, long abortedNotCopied, long compactionHoles) {
    public boolean passed() {
      return topics.stream().allMatch(t -> t.verification().exact());
    }

    public double recordsPerSecond() {
      return replication.toMillis() == 0 ? records : records * 1000.0 / replication.toMillis();
    }

    public long lost() {
      return topics.stream().mapToLong(t -> t.verification().missing()).sum();
    }

    public long duplicated() {
      return topics.stream().mapToLong(t -> t.verification().duplicated()).sum();
    }
  }

  private final ClusterConfig source;
  private final ClusterConfig target;
  private final int records;
  private final Duration timeout;

  public Drill(ClusterConfig source, ClusterConfig target, int records, Duration timeout) {
    if (records < 100) {
      throw new FerryException(FerryException.Reason.BAD_INPUT, "--records: " + records + " is too few (at least 100)");
    }
    this.source = source;
    this.target = target;
    this.records = records;
    this.timeout = timeout;
  }

  public Report run() {
    String run = "drill-" + UUID.randomUUID().toString().substring(0, 6);
    String plain = run + ".orders";
    String tx = run + ".payments";
    String compact = run + ".inventory";
    int plainCount = records / 2;
    int perTx = 50;
    int txCount = Math.max(2, records / 4 / perTx);
    int compactCount = records - plainCount - txCount * perTx;

    ClusterProbe.probe(source, "source", Duration.ofSeconds(5));
    ClusterProbe.probe(target, "target", Duration.ofSeconds(5));
    Workload.createTopic(source, plain, 3, Map.of());
    Workload.createTopic(source, tx, 2, Map.of());
    Workload.createTopic(source, compact, 2, Map.of("cleanup.policy", "compact", "segment.ms", "100",
        "min.cleanable.dirty.ratio", "0.01", "delete.retention.ms", "3600000"));
    Workload.plain(source, plain, 3, plainCount, 0);
    long aborted = Workload.transactional(source, tx, 2, txCount, perTx, 5);
    Workload.compacted(source, compact, 2, Math.max(10, compactCount / 3), Math.max(compactCount, 0), 4, Duration.ofMillis(150));
    long holes = awaitCompaction(compact);

    FlowConfig flow = FlowConfig.builder(source, target, TopicSelection.of(Pattern.quote(run) + "\\..*", null))
        .name(run)
        .topicRefreshInterval(Duration.ofMillis(500)).build();
    long total;
    Instant started = Instant.now();
    Duration took;
    try (Replicator replicator = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      replicator.awaitCaughtUp(timeout);
      took = Duration.between(started, Instant.now());
      total = replicator.status().replication().replicatedRecords();
    }
    List<TopicResult> results = new ArrayList<>();
    results.add(new TopicResult(plain, "plain", 3, 0, Verifier.verify(flow, plain, timeout)));
    results.add(new TopicResult(tx, "transactional", 2, aborted, Verifier.verify(flow, tx, timeout)));
    results.add(new TopicResult(compact, "compacted", 2, 0, Verifier.verify(flow, compact, timeout, true)));
    long abortedNotCopied = results.get(1).verification().unexpected() == 0 ? aborted : 0;
    return new Report(flow.name(), source, target, results, total, took, abortedNotCopied, holes);
  }

  /** Waits (bounded) until the compacted topic shows holes, so the drill replicates a really compacted log. */
  private long awaitCompaction(String topic) {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
    while (Instant.now().isBefore(deadline)) {
      long[] holes = {0};
      Map<Integer, Long> last = new HashMap<>();
      Verifier.readAll(source, topic, timeout, (tp, r) -> {
        long prev = last.getOrDefault(tp.partition(), -1L); // a new topic starts at offset 0
        last.put(tp.partition(), r.offset());
        holes[0] += r.offset() - prev - 1;
      });
      LOG.atDebug().addKeyValue("topic", topic).log("compaction holes so far: {} (read {} partitions)", holes[0], last.size());
      if (holes[0] > 0) {
        return holes[0];
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 0;
      }
    }
    return 0;
  }

}
