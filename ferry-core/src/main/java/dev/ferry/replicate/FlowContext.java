package dev.ferry.replicate;

import dev.ferry.FerryException;
import dev.ferry.config.FlowConfig;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;

/** What the parts of one running flow share. */
final class FlowContext {
  private final FlowConfig flow;
  private final FlowStatus status;
  private final Admin targetAdmin;
  private final int mapPartitions;
  private final Consumer<FerryException> fatal;
  private final Object topicsChanged = new Object();
  private volatile Map<TopicPartition, TopicPartition> ready = Map.of();

  FlowContext(FlowConfig flow, FlowStatus status, Admin targetAdmin, int mapPartitions, Consumer<FerryException> fatal) {
    this.flow = flow;
    this.status = status;
    this.targetAdmin = targetAdmin;
    this.mapPartitions = mapPartitions;
    this.fatal = fatal;
  }

  FlowConfig flow() {
    return flow;
  }

  FlowStatus status() {
    return status;
  }

  Admin targetAdmin() {
    return targetAdmin;
  }

  int mapPartitions() {
    return mapPartitions;
  }

  /** Source partition to target partition, for every partition ready to replicate. */
  Map<TopicPartition, TopicPartition> readyPartitions() {
    return ready;
  }

  void publishReady(Map<TopicPartition, TopicPartition> next) {
    if (!next.equals(ready)) {
      ready = Map.copyOf(next);
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
