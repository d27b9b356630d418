package dev.ferry.flow;

import dev.ferry.FerryException;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Clients;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Follows a flow's state topic: each {@link #poll(Duration)} reads what is new and says whether the flow stands failed
 * over. A missing topic is a flow that never failed over. Not thread-safe: one owner thread.
 */
final class StateReader implements AutoCloseable {
  private final FlowConfig flow;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String topic;
  private static final Duration LOOKUP_INTERVAL = Duration.ofSeconds(30);
  private TopicPartition partition;
  private long lastLookup;
  private Optional<FailedOver> failedOver = Optional.empty();

  StateReader(FlowConfig flow) {
    this.flow = flow;
    this.topic = FerryNames.stateTopic(flow.name());
    this.consumer = new KafkaConsumer<>(Clients.readerProperties(flow.target()));
  }

  /**
   * Reads the topic up to its end as of now. While the topic does not exist, whether it does is asked at most every
   * {@link #LOOKUP_INTERVAL} (listing every topic of a large cluster at each topic refresh would cost more than a
   * failover noticed 30 s later).
   */
  Optional<FailedOver> poll(Duration timeout) {
    if (partition == null) {
      long now = System.nanoTime();
      if (lastLookup != 0 && now - lastLookup < LOOKUP_INTERVAL.toNanos()) {
        return Optional.empty();
      }
      lastLookup = now;
      Map<String, List<PartitionInfo>> topics = consumer.listTopics(timeout);
      if (!topics.containsKey(topic)) {
        return Optional.empty();
      }
      partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
    }
    long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (consumer.position(partition, timeout) < end) {
      if (System.nanoTime() > deadline) {
        throw new FerryException(FerryException.Reason.UNREACHABLE, "reading " + topic + " on " + flow.target().describe() + " took longer than "
            + timeout);
      }
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        if (FailedOver.isFailoverKey(r.key())) {
          failedOver = FailedOver.decode(r.value());
        }
      }
    }
    return failedOver;
  }

  /** The topic was just created: the next poll looks it up at once instead of waiting out the lookup interval. */
  void topicCreated() {
    lastLookup = 0;
  }

  @Override
  public void close() {
    consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
  }
}
