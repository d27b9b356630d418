package dev.ferry.replicate;

import dev.ferry.FerryException;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.ProgressStore.Progress;
import dev.ferry.offsets.PartitionOffsetMap;
import dev.ferry.kafka.Incarnation;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionHandler;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;

/** What the shard lanes of one running flow share. */
final class FlowContext implements AutoCloseable {
  /** Concurrent metadata lookups when a producer meets many new topics at once. */
  private static final int WARMUP_THREADS = 32;

  private final FlowConfig flow;
  private final String memberId;
  private final ReplicationState state;
  private final java.util.function.BiFunction<Map<TopicPartition, TopicPartition>, Map<String, Incarnation>, Map<TopicPartition, Progress>> progress;
  private final IncarnationCheck incarnationCheck;
  private final Duration progressRefresh;
  private final java.util.function.IntFunction<Ownership> ownership;
  private final MapCache maps;
  private final ShardClients clients;
  private final int mapPartitions;
  private final Consumer<FerryException> fatal;
  private final Object topicsChanged = new Object();
  private volatile Ready ready = new Ready(Map.of(), Map.of());
  private final ExecutorService warmup;
  private final StartPositions starts;
  private final ExecutorService flusher;

  /**
   * @param progress where partitions resume, by target partition, for the partitions asked (source to target) of the
   *     topic incarnations given; those left out start at the beginning, unless they were given a problem
   * @param incarnationCheck asks the clusters which topic incarnations exist now
   * @param progressRefresh how often progress that does not advance is committed again, so the broker never expires it
   * @param ownership what the group coordinator says now of this process and a shard
   * @param maps the committed offset maps of source partitions
   * @param fatal told of a failure that stops the flow
   */
  FlowContext(FlowConfig flow, String memberId, ReplicationState state,
      java.util.function.BiFunction<Map<TopicPartition, TopicPartition>, Map<String, Incarnation>, Map<TopicPartition, Progress>> progress,
      IncarnationCheck incarnationCheck, Duration progressRefresh,
      java.util.function.IntFunction<Ownership> ownership, MapCache maps, ShardClients clients, int mapPartitions, Consumer<FerryException> fatal) {
    this(flow, memberId, state, progress, incarnationCheck, progressRefresh, ownership, maps, clients, mapPartitions, fatal, StartPositions.BEGINNING);
  }

  /** As above; {@code starts} says where partitions without progress start. */
  FlowContext(FlowConfig flow, String memberId, ReplicationState state,
      java.util.function.BiFunction<Map<TopicPartition, TopicPartition>, Map<String, Incarnation>, Map<TopicPartition, Progress>> progress,
      IncarnationCheck incarnationCheck, Duration progressRefresh,
      java.util.function.IntFunction<Ownership> ownership, MapCache maps, ShardClients clients, int mapPartitions, Consumer<FerryException> fatal,
      StartPositions starts) {
    this.starts = starts;
    this.flow = flow;
    this.memberId = memberId;
    this.state = state;
    this.progress = progress;
    this.incarnationCheck = incarnationCheck;
    this.progressRefresh = progressRefresh;
    this.ownership = ownership;
    this.maps = maps;
    this.clients = clients;
    this.mapPartitions = mapPartitions;
    this.fatal = fatal;
    this.warmup = daemonPool("metadata", WARMUP_THREADS, new ThreadPoolExecutor.CallerRunsPolicy());
    // a flush that cannot get a thread is skipped: the batches then go out after linger.ms
    this.flusher = daemonPool("flush", 64, new ThreadPoolExecutor.DiscardPolicy());
  }

  /** A pool of named daemon threads that exist only while there is work (none kept when idle). */
  private ExecutorService daemonPool(String purpose, int max, RejectedExecutionHandler whenFull) {
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(0, max, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, "ferry-" + flow.name() + "-" + purpose + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    }, whenFull);
  }

  /**
   * Makes the producer learn the partitions of these topics before records are sent to them. A producer looks up an
   * unknown topic when a send first needs it and blocks the sender meanwhile, one topic after the other: with a few
   * hundred new topics that is seconds of standing still. Lookups made concurrently share metadata requests.
   * Failures are left to the sends that follow, which report them.
   */
  void warmMetadata(Producer<?, ?> producer, Collection<String> topics) {
    if (topics.size() < 2) {
      return;
    }
    List<CompletableFuture<Void>> lookups = topics.stream()
        .map(t -> CompletableFuture.runAsync(() -> producer.partitionsFor(t), warmup).exceptionally(e -> null))
        .toList();
    CompletableFuture.allOf(lookups.toArray(CompletableFuture[]::new)).join();
  }

  /**
   * Starts {@code producer.flush()} on a pool thread: the batches of the open transaction go out now instead of after
   * linger.ms, while the lane waits for their acknowledgements with a deadline of its own (a flush cannot have one).
   */
  void flushInBackground(Producer<?, ?> producer) {
    flusher.execute(() -> {
      try {
        producer.flush();
      } catch (RuntimeException e) {
        // the lane sees the outcome of every send in its callbacks
      }
    });
  }

  @Override
  public void close() {
    warmup.shutdownNow();
    flusher.shutdownNow();
  }

  FlowConfig flow() {
    return flow;
  }

  /** This process's id among the flow's processes. */
  String memberId() {
    return memberId;
  }

  ReplicationState state() {
    return state;
  }

  ShardClients clients() {
    return clients;
  }

  /** Where partitions without progress start. */
  StartPositions starts() {
    return starts;
  }

  /** Where these partitions (source to target) resume, by target partition. */
  Map<TopicPartition, Progress> progress(Map<TopicPartition, TopicPartition> partitions, Map<String, Incarnation> incarnations) {
    return progress.apply(partitions, incarnations);
  }

  IncarnationCheck incarnationCheck() {
    return incarnationCheck;
  }

  /**
   * The committed offset maps of these source partitions, consistent with their committed progress (null: none); a
   * partition whose map cannot be made to agree is left out and stops with a problem.
   */
  Map<TopicPartition, PartitionOffsetMap> maps(Map<TopicPartition, Long> progress) {
    return maps.consistent(progress, (source, message) -> {
      if (state.reportProblem(source, new dev.ferry.Problem(dev.ferry.Problem.Reason.OFFSET_MAP_BEHIND, message))) {
        org.slf4j.LoggerFactory.getLogger(FlowContext.class).atError().addKeyValue("flow", flow.name())
            .addKeyValue("partition", source.toString()).log(message);
      }
    });
  }

  /** Forgets the maps of a shard's partitions: they are loaded again when it next starts here. */
  void forgetMaps(int shard) {
    maps.forgetShard(shard);
  }

  /** What the group coordinator says now of this process and {@code shard}. */
  Ownership ownership(int shard) {
    return ownership.apply(shard);
  }

  Duration progressRefresh() {
    return progressRefresh;
  }

  int mapPartitions() {
    return mapPartitions;
  }

  /**
   * What the last topic refresh found, in one piece: the partitions ready to replicate (source partition to target
   * partition) and the incarnations (topic ids) of their topics, by source topic. A lane uses one such snapshot for a
   * whole change of its assignment, so the progress it resumes from and the ids it checks belong together.
   */
  record Ready(Map<TopicPartition, TopicPartition> partitions, Map<String, Incarnation> incarnations) {
    Incarnation incarnation(String sourceTopic) {
      return incarnations.getOrDefault(sourceTopic, Incarnation.UNKNOWN);
    }
  }

  /** What the last topic refresh found; a new instance whenever anything in it changed. */
  Ready ready() {
    return ready;
  }

  /** Source partition to target partition, for every partition ready to replicate. */
  Map<TopicPartition, TopicPartition> readyPartitions() {
    return ready.partitions();
  }

  void publishReady(Map<TopicPartition, TopicPartition> next) {
    publishReady(next, Map.of());
  }

  /**
   * Publishes the partitions ready to replicate and the incarnations of their topics (by source topic). A change of
   * either is a new snapshot (and a new partitions map: lanes compare its identity), so lanes look at their assignment
   * again.
   */
  void publishReady(Map<TopicPartition, TopicPartition> next, Map<String, Incarnation> nextIncarnations) {
    Ready current = ready;
    if (!next.equals(current.partitions()) || !nextIncarnations.equals(current.incarnations())) {
      ready = new Ready(java.util.Collections.unmodifiableMap(new java.util.HashMap<>(next)), Map.copyOf(nextIncarnations));
      synchronized (topicsChanged) {
        topicsChanged.notifyAll();
      }
    }
  }

  /** Waits until the set of ready partitions changes or the timeout passes. */
  void awaitTopicChange(Duration timeout) {
    synchronized (topicsChanged) {
      try {
        topicsChanged.wait(timeout.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  void reportFatal(FerryException e) {
    fatal.accept(e);
  }
}
