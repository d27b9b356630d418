package dev.ferry.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.config.ClusterConfig;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

class ClientsTest {
  private static final ClusterConfig TARGET = new ClusterConfig("B", "127.0.0.1:9092");

  @Test
  void aShardWithFewPartitionsGetsLargeBatchesAndOneWithManyGetsSmallerOnes() {
    assertThat(batchSize(Clients.targetProducer(TARGET, "t", 1))).isEqualTo(256 * 1024);
    assertThat(batchSize(Clients.targetProducer(TARGET, "t", 64))).isEqualTo(256 * 1024);
    assertThat(batchSize(Clients.targetProducer(TARGET, "t", 200))).isEqualTo(16 * 1024 * 1024 / 200);
    assertThat(batchSize(Clients.targetProducer(TARGET, "t", 5000))).isEqualTo(16 * 1024);
    assertThat(batchSize(Clients.targetProducer(TARGET, "t", 0))).isEqualTo(256 * 1024);
  }

  @Test
  void ferrysMetricReporterComesAfterJmxOrTheUsersReporters() {
    String mine = dev.ferry.metrics.KafkaClientMeters.class.getName();
    assertThat(Clients.targetProducer(TARGET, "t", 1).getProperty("metric.reporters"))
        .isEqualTo(org.apache.kafka.common.metrics.JmxReporter.class.getName() + "," + mine);
    ClusterConfig own = new ClusterConfig("A", "127.0.0.1:9092", Map.of("metric.reporters", "com.example.Reporter"));
    assertThat(Clients.sourceConsumer(own, "c").getProperty("metric.reporters")).isEqualTo("com.example.Reporter," + mine);
  }

  @Test
  void theUsersBatchSizeWins() {
    ClusterConfig own = new ClusterConfig("B", "127.0.0.1:9092", Map.of(ProducerConfig.BATCH_SIZE_CONFIG, "65536"));
    assertThat(batchSize(Clients.targetProducer(own, "t", 1))).isEqualTo(65536);
    assertThat(batchSize(Clients.targetProducer(own, "t", 5000))).isEqualTo(65536);
  }

  @Test
  void theUsersConsumerPropertiesWinAndTheSourceConsumerNeverResetsAPositionByItself() {
    ClusterConfig own = new ClusterConfig("A", "127.0.0.1:9092", Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000"));
    java.util.Properties p = Clients.sourceConsumer(own, "c");
    assertThat(p.getProperty(ConsumerConfig.MAX_POLL_RECORDS_CONFIG)).isEqualTo("5000");
    assertThat(p.getProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG)).isEqualTo("read_committed");
    assertThat(p.getProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG)).isEqualTo("none");
    java.util.Properties defaults = Clients.sourceConsumer(new ClusterConfig("A", "127.0.0.1:9092"), "c");
    assertThat(defaults.getProperty(ConsumerConfig.MAX_POLL_RECORDS_CONFIG)).isEqualTo("1000");
    assertThat(defaults.getProperty(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG)).isEqualTo(String.valueOf(2 * 1024 * 1024));
  }

  private static int batchSize(java.util.Properties p) {
    return Integer.parseInt(p.getProperty(ProducerConfig.BATCH_SIZE_CONFIG));
  }
}
