package dev.ferry.topics;

import dev.ferry.FerryException;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.KafkaCalls;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The flow's state topic on the target (one compacted partition, created with the flow's other topics): records of
 * what must outlive every process, by key. Read whole: it holds a few records per topic event, not per record copied.
 */
public final class StateTopic {
  private StateTopic() {}

  /** The topic as created: one compacted partition. */
  public static NewTopic newTopic(FlowConfig flow) {
    return new NewTopic(FerryNames.stateTopic(flow.name()), Optional.of(1), flow.replicationFactor())
        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact"));
  }

  /** The latest value of every key, in the order the keys were first written; empty when the topic does not exist. */
  public static Map<String, byte[]> read(FlowConfig flow, Duration timeout) {
    String topic = FerryNames.stateTopic(flow.name());
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Clients.readerProperties(flow.target()))) {
      if (!c.listTopics(timeout).containsKey(topic)) {
        return out;
      }
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp), timeout).get(tp);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (c.position(tp, timeout) < end) {
        if (System.nanoTime() > deadline) {
          throw new FerryException(FerryException.Reason.UNREACHABLE, "reading " + topic + " on " + flow.target().describe() + " took longer than "
              + timeout);
        }
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
          String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
          if (r.value() == null) {
            out.remove(key);
          } else {
            out.put(key, r.value());
          }
        }
      }
    } catch (KafkaException e) {
      throw new FerryException(FerryException.Reason.FAILED, "reading " + topic + " on " + flow.target().describe() + ": " + e.getMessage(), e);
    }
    return out;
  }

  /** Writes one record (null value: the key is forgotten) and waits until the target has it. */
  public static void write(FlowConfig flow, String key, byte[] value, Duration timeout) {
    String topic = FerryNames.stateTopic(flow.name());
    String what = "write " + key + " to " + topic + " on " + flow.target().describe();
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Clients.checkpointProducer(flow.target(), FerryNames.checkpointClientId(flow.name())))) {
      p.send(new ProducerRecord<>(topic, 0, key.getBytes(StandardCharsets.UTF_8), value)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FerryException(FerryException.Reason.FAILED, what + ": interrupted", e);
    } catch (ExecutionException e) {
      throw KafkaCalls.translate(e.getCause(), what);
    } catch (TimeoutException e) {
      throw new FerryException(FerryException.Reason.UNREACHABLE, what + ": no answer within " + timeout.toMillis() + " ms", e);
    }
  }
}
