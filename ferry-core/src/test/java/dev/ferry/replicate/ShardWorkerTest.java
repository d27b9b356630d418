package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.FerryException;
import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The restart policy of a shard lane's thread, on mock clients: what heals by itself, what a fence means, what ends the flow. */
class ShardWorkerTest {
  private static final FlowConfig FLOW = FlowConfig.builder(new ClusterConfig("A", "127.0.0.1:1"), new ClusterConfig("B", "127.0.0.1:2"),
      TopicSelection.of("src", null)).shards(1).build();

  private final ReplicationState state = new ReplicationState();
  private final List<FerryException> fatal = new ArrayList<>();
  private final List<Duration> waits = new ArrayList<>();
  private final Deque<Ownership> coordinator = new ArrayDeque<>();
  private final List<MockProducer<byte[], byte[]>> producers = new ArrayList<>();
  private Supplier<MockProducer<byte[], byte[]>> nextProducer = ShardWorkerTest::producer;
  private FlowContext ctx;
  private ShardWorker worker;

  private void start(java.util.function.Predicate<List<Duration>> stopWhen) {
    ctx = new FlowContext(FLOW, "m1", state, (parts, ids) -> Map.of(), IncarnationCheck.NONE, Duration.ofMinutes(15),
        shard -> coordinator.isEmpty() ? Ownership.UNKNOWN : coordinator.poll(), new MapCache(FLOW, 1, missing -> Map.of()),
        new ShardClients() {
          @Override
          public Producer<byte[], byte[]> producer(String transactionalId, int partitions) {
            MockProducer<byte[], byte[]> p = nextProducer.get();
            producers.add(p);
            return p;
          }

          @Override
          public Consumer<byte[], byte[]> consumer(String clientId) {
            return new MockConsumer<>("none");
          }
        }, 1, fatal::add);
    worker = new ShardWorker(ctx, 0, new ShardLanes(), ShardWorker.Lane.MAIN, System::nanoTime, d -> {
      waits.add(d);
      if (stopWhen.test(waits)) {
        worker.stop(true);
      }
    });
  }

  @AfterEach
  void close() {
    ctx.close();
  }

  @Test
  void aTargetThatDoesNotAnswerIsRetriedWithBackoffForAsLongAsItTakesAndReported() {
    nextProducer = () -> {
      MockProducer<byte[], byte[]> p = producer();
      p.initTransactionException = new TimeoutException("Timeout expired after 60000ms while awaiting InitProducerId");
      return p;
    };
    start(w -> w.size() == 8);
    worker.run();

    assertThat(fatal).isEmpty();
    assertThat(producers).hasSize(8);
    assertThat(waits).allSatisfy(d -> assertThat(d).isBetween(Duration.ofMillis(800), Duration.ofSeconds(36)));
    assertThat(waits.get(7)).as("backs off up to 30 s").isGreaterThan(Duration.ofSeconds(20));
    assertThat(waits.get(1)).isGreaterThan(waits.get(0));
    assertThat(state.snapshot().shardFaults().get(0)).startsWith("shard 0 of flow A-to-B cannot go on (org.apache.kafka.common.errors.TimeoutException:"
        + " Timeout expired after 60000ms while awaiting InitProducerId); restarting its clients from the committed progress in ");
  }

  @Test
  void aFencedLaneTakesTheShardBackOnlyOnceTheCoordinatorConfirmsItOwnsIt() {
    nextProducer = () -> {
      MockProducer<byte[], byte[]> p = producer();
      if (producers.isEmpty()) {
        p.initTransactionException = new ProducerFencedException("epoch bumped");
      } else {
        worker.stop(true); // the new life starts; the test is over
      }
      return p;
    };
    coordinator.addAll(List.of(Ownership.UNKNOWN, Ownership.UNKNOWN, Ownership.CONFIRMED));
    start(w -> false);
    worker.run();

    assertThat(fatal).isEmpty();
    assertThat(producers).as("new clients after the coordinator confirmed").hasSize(2);
    assertThat(state.snapshot().shardRestarts()).isEqualTo(1);
    assertThat(coordinator).as("asked until it confirmed").isEmpty();
  }

  @Test
  void aFencedLaneOfAShardThatIsNoLongerItsStopsWritingIt() {
    nextProducer = () -> {
      MockProducer<byte[], byte[]> p = producer();
      p.initTransactionException = new ProducerFencedException("epoch bumped");
      return p;
    };
    coordinator.add(Ownership.NOT_OWNER);
    start(w -> true);
    worker.run();

    assertThat(fatal).isEmpty();
    assertThat(producers).hasSize(1);
    assertThat(state.snapshot().shardRestarts()).isZero();
  }

  @Test
  void anErrorStopsTheFlowLoudlyInsteadOfLeavingTheShardOwnedAndDead() {
    nextProducer = () -> {
      throw new OutOfMemoryError("Java heap space");
    };
    start(w -> true);
    assertThatThrownBy(worker::run).isInstanceOf(OutOfMemoryError.class);
    assertThat(fatal).singleElement().satisfies(e -> assertThat(e.getMessage()).isEqualTo(
        "shard 0 of flow A-to-B died of java.lang.OutOfMemoryError: Java heap space; the flow stops so that its shards go to processes that can run them"));
  }

  private static MockProducer<byte[], byte[]> producer() {
    return new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  }
}
