package dev.ferry.replicate;

import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Clients;
import org.apache.kafka.clients.producer.KafkaProducer;

/** Fences every transactional.id of a flow's shards: open transactions are aborted, no earlier owner can commit. */
public final class ShardFence {
  private ShardFence() {}

  /** Fences shards {@code 0 .. shards-1} of the flow, both lanes of each. */
  public static void fence(FlowConfig flow, int shards) {
    for (int shard = 0; shard < shards; shard++) {
      for (String id : FerryNames.transactionalIds(flow.name(), shard)) {
        try (KafkaProducer<byte[], byte[]> fence = new KafkaProducer<>(Clients.targetProducer(flow.target(), id))) {
          fence.initTransactions();
        }
      }
    }
  }
}
