package dev.ferry.groups;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.config.ClusterConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** What a consumer group that moved from the source to the target read, checked for exactly once. */
public final class ResumeCheck {
  private ResumeCheck() {}

  /**
   * @param onSource records the group read on the source before failover
   * @param onTarget records it read on the target after (in order read, duplicates kept)
   * @param source every record of the source topic
   */
  public static void assertResumedExactlyOnce(Set<String> onSource, List<String> onTarget, Set<String> source) {
    Set<String> targetSet = new HashSet<>(onTarget);
    Set<String> reRead = new HashSet<>(targetSet);
    reRead.retainAll(onSource);
    Set<String> missing = new HashSet<>(source);
    missing.removeAll(onSource);
    missing.removeAll(targetSet);
    assertThat(onTarget.size() - targetSet.size()).as("duplicates read on the target").isZero();
    assertThat(reRead).as("records re-read after failover").isEmpty();
    assertThat(missing).as("records never read").isEmpty();
  }

  /** A consumer of {@code group} as an application would run it: manual commits, read_committed. */
  public static KafkaConsumer<byte[], byte[]> groupConsumer(ClusterConfig c, String group) {
    return new KafkaConsumer<>(groupConsumerProperties(c, group));
  }

  /** As {@link #groupConsumer(ClusterConfig, String)}, starting from {@code autoOffsetReset} where the group has no offset. */
  public static KafkaConsumer<byte[], byte[]> groupConsumer(ClusterConfig c, String group, String autoOffsetReset) {
    Properties p = groupConsumerProperties(c, group);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, autoOffsetReset);
    return new KafkaConsumer<>(p);
  }

  private static Properties groupConsumerProperties(ClusterConfig c, String group) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrap());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }
}
