package dev.ferry.replicate;

import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Clients;
import java.time.Duration;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;

/** Makes the clients of a shard lane: a transactional producer on the target and a read_committed consumer on the source. */
interface ShardClients {
  /** The producer of a lane that writes {@code partitions} target partitions (its batch size depends on them). */
  Producer<byte[], byte[]> producer(String transactionalId, int partitions);

  Consumer<byte[], byte[]> consumer(String clientId);

  /** The real clients of a flow. */
  static ShardClients of(FlowConfig flow) {
    Duration transactionTimeout = Clients.transactionTimeout(TransactionPacer.longest(flow.commitInterval()));
    return new ShardClients() {
      @Override
      public Producer<byte[], byte[]> producer(String transactionalId, int partitions) {
        return new KafkaProducer<>(Clients.targetProducer(flow.target(), transactionalId, partitions, transactionTimeout));
      }

      @Override
      public Consumer<byte[], byte[]> consumer(String clientId) {
        return new KafkaConsumer<>(Clients.sourceConsumer(flow.source(), clientId));
      }
    };
  }
}
