package dev.ferry.kafka;

import dev.ferry.config.ClusterConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka client properties for Ferry's clients. Ferry's defaults come first, the user's properties of the cluster
 * win over them, and the settings exactly-once depends on (isolation level, idempotence, serializers, no auto
 * commit) are set last so no user property can turn them off.
 */
public final class Clients {
  private Clients() {}

  public static Properties admin(ClusterConfig c) {
    Properties p = new Properties();
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "5000");
    return withCluster(c, p);
  }

  /**
   * The source consumer of a shard: read_committed, no group (positions come from Ferry's progress), never resetting a
   * position by itself ({@code auto.offset.reset=none}).
   */
  public static Properties sourceConsumer(ClusterConfig c, String clientId) {
    Properties p = new Properties();
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    // What a shard holds between two polls (the polled records, the fetch response they are parsed from) is alive at
    // every young collection: with several shards in a 512 MiB heap, 5000 records and 4 MiB responses per shard filled
    // the survivor space, and each collection moved megabytes of records in flight into the old generation.
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1000");
    p.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "1");
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(2 * 1024 * 1024));
    p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, String.valueOf(8 * 1024 * 1024));
    p.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, String.valueOf(1024 * 1024));
    withCluster(c, p);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    // Ferry decides where a partition starts and what an out-of-range position means (a gap, a truncation): the client
    // never resets a position by itself
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    // Ferry never creates, alters or deletes anything on the source: a consumer that asks for a topic deleted a moment
    // ago must not create it again (brokers with auto.create.topics.enable, the default, would)
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return withMeters(p);
  }

  /**
   * Adds Ferry's reporter of the clients' own figures to the reporters the user's properties name, or to the clients'
   * default (JMX: naming a reporter replaces the default, and JMX exporters rely on it).
   */
  static Properties withMeters(Properties p) {
    String mine = dev.ferry.metrics.KafkaClientMeters.class.getName();
    Object theirs = p.get(CommonClientConfigs.METRIC_REPORTER_CLASSES_CONFIG);
    String others = theirs == null || theirs.toString().isBlank() ? org.apache.kafka.common.metrics.JmxReporter.class.getName() : theirs.toString();
    p.put(CommonClientConfigs.METRIC_REPORTER_CLASSES_CONFIG, others + "," + mine);
    return p;
  }

  /** Largest batch a shard's producer builds per partition. */
  public static final int MAX_BATCH_BYTES = 256 * 1024;
  /** Smallest batch, however many partitions a shard writes. */
  public static final int MIN_BATCH_BYTES = 16 * 1024;
  /** What a shard's open batches may take together: each partition written holds a whole batch.size buffer. */
  public static final int BATCH_BUDGET_BYTES = 16 * 1024 * 1024;

  /**
   * A shard's transactional producer sized for one partition: for a producer that only initialises its
   * transactional.id to fence a previous owner and writes nothing ({@code ShardFence}).
   */
  public static Properties targetProducer(ClusterConfig c, String transactionalId) {
    return targetProducer(c, transactionalId, 1);
  }

  /**
   * The transactional producer of a shard that writes {@code partitions} target partitions. Its batch size shrinks
   * as the partitions grow (256 KiB for up to 64 partitions, down to 16 KiB), since every partition with an open
   * batch holds a buffer of the whole batch size: 200 partitions at 256 KiB would take 50 MiB per shard.
   */
  public static Properties targetProducer(ClusterConfig c, String transactionalId, int partitions) {
    return targetProducer(c, transactionalId, partitions, MIN_TRANSACTION_TIMEOUT);
  }

  /** Transactions are never given less than this before the coordinator aborts them. */
  public static final Duration MIN_TRANSACTION_TIMEOUT = Duration.ofSeconds(60);

  /**
   * The transaction timeout for transactions that stay open up to {@code longest} before their commit begins: twice
   * that (the commit's flush and round trips need time too), at least {@link #MIN_TRANSACTION_TIMEOUT}. A transaction
   * that outlived it would be aborted by its coordinator, and the lane would write it again forever.
   */
  public static Duration transactionTimeout(Duration longest) {
    Duration twice = longest.multipliedBy(2);
    return twice.compareTo(MIN_TRANSACTION_TIMEOUT) > 0 ? twice : MIN_TRANSACTION_TIMEOUT;
  }

  /** As {@link #targetProducer(ClusterConfig, String, int)}, with this transaction timeout. */
  public static Properties targetProducer(ClusterConfig c, String transactionalId, int partitions, Duration transactionTimeout) {
    Properties p = new Properties();
    p.put(ProducerConfig.CLIENT_ID_CONFIG, transactionalId);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(batchBytes(partitions)));
    p.put(ProducerConfig.LINGER_MS_CONFIG, "10");
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(16 * 1024 * 1024));
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(64 * 1024 * 1024));
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, String.valueOf(transactionTimeout.toMillis()));
    // below the transaction timeout, so a write that cannot be delivered fails the transaction before the coordinator aborts it
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "45000");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "60000");
    withCluster(c, p);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return withMeters(p);
  }

  public static int batchBytes(int partitions) {
    return Math.max(MIN_BATCH_BYTES, Math.min(MAX_BATCH_BYTES, BATCH_BUDGET_BYTES / Math.max(1, partitions)));
  }

  /** The producer that writes a flow's checkpoints (not transactional: a checkpoint is one compacted record). */
  public static Properties checkpointProducer(ClusterConfig c, String clientId) {
    Properties p = new Properties();
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    withCluster(c, p);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  /** A plain read_committed reader without a group (offset map, verification). */
  public static Properties readerProperties(ClusterConfig c) {
    Properties p = new Properties();
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    withCluster(c, p);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }

  /** The cluster's bootstrap servers and the user's client properties, as a map (for ferry-client's readers). */
  public static Map<String, Object> asMap(ClusterConfig c) {
    Map<String, Object> m = new java.util.HashMap<>(c.properties());
    m.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrap());
    return m;
  }

  /**
   * The cluster's bootstrap servers and the user's client properties over {@code defaults}: what every client of the
   * cluster starts from.
   */
  public static Properties withCluster(ClusterConfig c, Properties defaults) {
    for (Map.Entry<String, String> e : c.properties().entrySet()) {
      defaults.put(e.getKey(), e.getValue());
    }
    defaults.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrap());
    return defaults;
  }
}
