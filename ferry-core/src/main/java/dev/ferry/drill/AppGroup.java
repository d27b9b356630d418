package dev.ferry.drill;

import dev.ferry.FerryException;
import dev.ferry.config.ClusterConfig;
import dev.ferry.kafka.Clients;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * The rehearsal's application: a consumer group that reads a number of records (read_committed) from where its
 * committed offsets say (from the beginning where it has none), commits exactly after the last one it took, and stops.
 */
final class AppGroup {
  private AppGroup() {}

  /** Reads {@code count} records of {@code topics} (those that exist) and commits after them; their values in order read. */
  static List<String> read(ClusterConfig cluster, String group, List<String> topics, int count, Duration timeout) {
    return consume(cluster, group, topics, count, timeout);
  }

  /** Reads every record up to the topics' ends and commits after them. */
  static List<String> readToEnd(ClusterConfig cluster, String group, List<String> topics, Duration timeout) {
    return consume(cluster, group, topics, -1, timeout);
  }

  private static List<String> consume(ClusterConfig cluster, String group, List<String> topics, int count, Duration timeout) {
    List<String> out = new ArrayList<>();
    Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(properties(cluster, group))) {
      List<TopicPartition> parts = new ArrayList<>();
      Map<String, List<PartitionInfo>> existing = c.listTopics(timeout);
      topics.stream().filter(existing::containsKey).forEach(t -> existing.get(t).forEach(p -> parts.add(new TopicPartition(t, p.partition()))));
      c.assign(parts);
      Map<TopicPartition, OffsetAndMetadata> committed = c.committed(new java.util.HashSet<>(parts), timeout);
      for (TopicPartition tp : parts) {
        OffsetAndMetadata om = committed.get(tp);
        if (om == null) {
          c.seekToBeginning(List.of(tp));
        } else {
          c.seek(tp, om.offset());
        }
      }
      Map<TopicPartition, Long> ends = count < 0 ? c.endOffsets(parts, timeout) : Map.of();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (count < 0 ? !atEnd(c, ends) : out.size() < count) {
        if (System.nanoTime() > deadline) {
          throw new FerryException(FerryException.Reason.FAILED, "group " + group + " read " + out.size() + (count < 0 ? " records and not the end" : " of "
              + count + " records") + " of " + topics + " on " + cluster.describe() + " within " + timeout);
        }
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (count >= 0 && out.size() >= count) {
            break;
          }
          out.add(new String(r.value(), StandardCharsets.UTF_8));
          commit.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
      }
      if (count < 0) {
        // past the topics' ends, transaction markers included: nothing of them is read again
        parts.forEach(tp -> commit.put(tp, new OffsetAndMetadata(c.position(tp, timeout))));
      }
      if (!commit.isEmpty()) {
        c.commitSync(commit, timeout);
      }
    } catch (KafkaException e) {
      throw new FerryException(FerryException.Reason.FAILED, "group " + group + " on " + cluster.describe() + ": " + e.getMessage(), e);
    }
    return out;
  }

  private static boolean atEnd(KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> ends) {
    return ends.entrySet().stream().allMatch(e -> c.position(e.getKey()) >= e.getValue());
  }

  /** The group's committed offsets on {@code cluster}. */
  static Map<TopicPartition, Long> committed(ClusterConfig cluster, String group) {
    try (Admin admin = Admin.create(Clients.admin(cluster))) {
      Map<TopicPartition, Long> out = new HashMap<>();
      admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, java.util.concurrent.TimeUnit.SECONDS)
          .forEach((tp, om) -> out.put(tp, om.offset()));
      return out;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new FerryException(FerryException.Reason.FAILED, "offsets of group " + group + " on " + cluster.describe() + ": " + e, e);
    }
  }

  private static Properties properties(ClusterConfig cluster, String group) {
    Properties p = Clients.readerProperties(cluster); // read_committed, no auto-commit
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    return p;
  }
}
