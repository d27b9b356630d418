package dev.ferry.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class ShardStatsTest {
  private static final TopicPartition ORDERS_0 = new TopicPartition("orders.eu-west", 0);
  private static final TopicPartition ORDERS_7 = new TopicPartition("orders.eu-west", 7);

  @Test
  void aStatsRecordKeepsEachPartitionsLatency() {
    ShardStats stats = new ShardStats(1_700_000_000_000L, "ferry-1", 5000.5, 2.5e6, 1, Map.of(ORDERS_0, 48L, ORDERS_7, 1_250L));
    assertThat(ShardStats.decode(stats.encode())).isEqualTo(stats);
  }

  @Test
  void aRecordWrittenBeforeLatenciesIsReadWithoutThem() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(1);
      out.writeLong(42L);
      out.writeUTF("ferry-0");
      out.writeDouble(10.0);
      out.writeDouble(20.0);
      out.writeInt(0);
    }
    assertThat(ShardStats.decode(bytes.toByteArray())).isEqualTo(new ShardStats(42L, "ferry-0", 10.0, 20.0, 0, Map.of()));
  }

  @Test
  void fieldsAppendedByANewerFerryAreIgnored() {
    ShardStats stats = new ShardStats(7L, "m", 1, 2, 0, Map.of(ORDERS_0, 3L));
    byte[] value = java.util.Arrays.copyOf(stats.encode(), stats.encode().length + 9);
    assertThat(ShardStats.decode(value)).isEqualTo(stats);
  }

  @Test
  void anotherVersionIsRefused() {
    byte[] value = new ShardStats(1L, "m", 0, 0, 0, Map.of()).encode();
    value[0] = 2;
    assertThatThrownBy(() -> ShardStats.decode(value)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("version");
  }

  @Test
  void aRecordKeepsTheLongestLatenciesWhenTooManyPartitionsReplicated() {
    Map<TopicPartition, Long> many = new java.util.HashMap<>();
    for (int p = 0; p < ShardStats.MAX_LATENCIES + 5; p++) {
      many.put(new TopicPartition("t", p), (long) p);
    }
    ShardStats stats = new ShardStats(1L, "m", 0, 0, 0, many);
    assertThat(stats.latencyMs()).hasSize(ShardStats.MAX_LATENCIES).doesNotContainKeys(new TopicPartition("t", 4))
        .containsEntry(new TopicPartition("t", 5), 5L);
    assertThat(ShardStats.decode(stats.encode()).latencyMs()).hasSize(ShardStats.MAX_LATENCIES);
  }

  @Test
  void countersKeepTheLongestLatencyPerPartitionUntilTheNextStatsRecord() {
    ShardStats.Counters counters = new ShardStats.Counters();
    counters.latency(ORDERS_0, 40);
    counters.latency(ORDERS_0, 90);
    counters.latency(ORDERS_0, 60);
    counters.latency(ORDERS_7, 5);
    assertThat(counters.drainLatency()).containsExactlyInAnyOrderEntriesOf(Map.of(ORDERS_0, 90L, ORDERS_7, 5L));
    assertThat(counters.drainLatency()).as("a partition that replicated nothing since has no latency").isEmpty();
  }

  @Test
  void aPartitionsLatencyRunsFromTheOldestRecordOfTheTransactionToTheCommit() {
    ShardPartition p = new ShardPartition(ORDERS_0, new TopicPartition("A.orders.eu-west", 0), 0, dev.ferry.kafka.SourceGaps.NONE, 1);
    assertThat(p.latencyMs(1_000)).isEmpty();
    p.sent(900);
    p.sent(850);
    p.sent(-1); // a record without a timestamp
    p.sent(950);
    assertThat(p.latencyMs(1_000)).hasValue(150);
    assertThat(p.latencyMs(800)).as("a source clock ahead of this one").hasValue(0);
    p.committed();
    assertThat(p.latencyMs(1_000)).isEmpty();
    p.sent(990);
    p.rewound();
    assertThat(p.latencyMs(1_000)).as("an aborted transaction's records are sent again").isEmpty();
  }
}
