package dev.ferry.replicate;

import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.KafkaCalls;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns shards through Kafka group membership: this process joins the flow's membership group on the target,
 * subscribed to the flow's shard topic (one partition per shard). The partitions the group assigns to it are the
 * shards it runs; a revoked shard is committed and stopped before another process may take it (cooperative
 * rebalancing), and a lost one is fenced by the new owner's transactional producer.
 */
final class ShardMembership implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(ShardMembership.class);

  private final FlowContext ctx;
  private final String memberId;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private final Map<Integer, Running> workers = new ConcurrentHashMap<>();
  private volatile boolean closing;
  private final LoadAwareAssignor.MeasuredLoad load = new LoadAwareAssignor.MeasuredLoad();
  /** Below this total a change of load is not worth moving shards for. */
  private static final double MIN_BYTES_PER_SECOND_TO_BALANCE = 64 * 1024;
  private Map<Integer, Long> lastBytes = Map.of();
  private Map<Integer, Double> smoothed = Map.of();
  private long lastSampleNanos = System.nanoTime();

  /** The two lanes of one owned shard. */
  private record Running(int shard, ShardLanes lanes, List<ShardWorker> workers, List<Thread> threads, long startedNanos) {}

  ShardMembership(FlowContext ctx, String memberId) {
    this.ctx = ctx;
    this.memberId = memberId;
  }

  /** The consumer through which a process joins its flow's membership group on the target. */
  static Properties consumerProperties(FlowConfig flow, String memberId, LoadAwareAssignor.MeasuredLoad load) {
    Properties p = new Properties();
    p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "15000");
    p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "3000");
    p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, "300000");
    Clients.withCluster(flow.target(), p);
    // set after the user's properties: the group coordinator's answer about who owns a shard names this process by it
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, FerryNames.memberClientId(flow.name(), memberId));
    p.put(ConsumerConfig.GROUP_ID_CONFIG, FerryNames.membershipGroup(flow.name()));
    p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
    // load-aware first; cooperative-sticky as well, so processes of an older Ferry can share the group during an upgrade
    p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, LoadAwareAssignor.class.getName() + ","
        + CooperativeStickyAssignor.class.getName());
    p.put(LoadAwareAssignor.LOAD_CONFIG, load);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }

  @Override
  public void run() {
    KafkaConsumer<byte[], byte[]> consumer = null;
    try {
      consumer = new KafkaConsumer<>(consumerProperties(ctx.flow(), memberId, load));
      this.consumer = consumer;
      consumer.subscribe(List.of(FerryNames.shardTopic(ctx.flow().name())), new Listener());
      while (!closing) {
        consumer.poll(Duration.ofMillis(500)); // records there are the shards' stats, read by status, not here
        measureLoad();
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      ctx.reportFatal(KafkaCalls.translate(e, "membership of flow " + ctx.flow().name() + " on " + ctx.flow().target().describe()));
    } finally {
      try {
        if (consumer != null) {
          consumer.close(); // revokes our shards: each commits and stops
        }
      } catch (RuntimeException e) {
        LOG.atDebug().log("closing membership consumer: {}", e.toString());
      }
      stopAll(workers.keySet(), true);
    }
  }

  /**
   * Every balance interval: the bytes/s of each shard this process owned for the whole interval. When that changed
   * markedly since the group last heard it, this process asks for a rebalance, in which the leader places shards by
   * everyone's figures (a cooperative rebalance: shards that stay put keep running).
   */
  private void measureLoad() {
    long now = System.nanoTime();
    double seconds = (now - lastSampleNanos) / 1e9;
    if (seconds < ctx.flow().balanceInterval().toMillis() / 1000.0) {
      return;
    }
    Map<Integer, Long> bytes = ctx.state().shardBytes();
    Map<Integer, Double> rates = new java.util.HashMap<>();
    long settled = 2 * ctx.flow().balanceInterval().toNanos();
    workers.forEach((shard, running) -> {
      Long before = lastBytes.get(shard);
      Long after = bytes.get(shard);
      // a shard taken over less than two intervals ago is still catching up: its rate says little about its load
      if (before != null && after != null && now - running.startedNanos() >= settled) {
        double rate = (after - before) / seconds;
        Double previous = smoothed.get(shard);
        rates.put(shard, previous == null ? rate : (previous + rate) / 2);
      }
    });
    smoothed = rates;
    lastBytes = bytes;
    lastSampleNanos = now;
    load.set(rates);
    if (load.changedSinceReported(MIN_BYTES_PER_SECOND_TO_BALANCE)) {
      LOG.atInfo().addKeyValue("flow", ctx.flow().name()).addKeyValue("member", memberId)
          .log("shard load changed ({} bytes/s by shard); asking the flow's processes to rebalance by load", rates);
      consumer.enforceRebalance("shard load changed");
    }
  }

  void close() {
    closing = true;
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  private final class Listener implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      ctx.state().joined();
      for (TopicPartition tp : partitions) {
        int shard = tp.partition();
        if (closing || workers.containsKey(shard)) {
          continue;
        }
        // Both lanes start at once: each initialises its transactional.id, fencing whatever a previous owner left.
        ctx.forgetMaps(shard); // another process may have written them since this one last ran the shard
        ShardLanes lanes = new ShardLanes();
        ctx.state().lanesStarted(shard, lanes);
        List<ShardWorker> lanesWorkers = List.of(new ShardWorker(ctx, shard, lanes, ShardWorker.Lane.MAIN),
            new ShardWorker(ctx, shard, lanes, ShardWorker.Lane.SLOW));
        List<Thread> threads = List.of(new Thread(lanesWorkers.get(0), "ferry-" + ctx.flow().name() + "-shard-" + shard),
            new Thread(lanesWorkers.get(1), "ferry-" + ctx.flow().name() + "-shard-" + shard + "-slow"));
        workers.put(shard, new Running(shard, lanes, lanesWorkers, threads, System.nanoTime()));
        threads.forEach(t -> {
          t.setDaemon(true);
          t.start();
        });
      }
      if (!partitions.isEmpty()) {
        LOG.atInfo().addKeyValue("flow", ctx.flow().name()).addKeyValue("member", memberId).log("assigned shards {}", shards(partitions));
      }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (!partitions.isEmpty()) {
        LOG.atInfo().addKeyValue("flow", ctx.flow().name()).addKeyValue("member", memberId).log("revoking shards {}", shards(partitions));
      }
      stopAll(shards(partitions), true);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      LOG.atWarn().addKeyValue("flow", ctx.flow().name()).addKeyValue("member", memberId).log("lost shards {}", shards(partitions));
      stopAll(shards(partitions), false);
    }
  }

  private static List<Integer> shards(Collection<TopicPartition> partitions) {
    return partitions.stream().map(TopicPartition::partition).sorted().toList();
  }

  private void stopAll(Collection<Integer> shards, boolean commit) {
    List<Running> stopping = shards.stream().map(workers::remove).filter(java.util.Objects::nonNull).toList();
    stopping.forEach(r -> r.workers().forEach(w -> w.stop(commit)));
    for (Running r : stopping) {
      for (Thread t : r.threads()) {
        try {
          t.join(60_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      ctx.state().lanesStopped(r.shard(), r.lanes());
      ctx.forgetMaps(r.shard());
    }
  }
}
