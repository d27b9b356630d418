package dev.ferry.topics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.kafka.Incarnation;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

class RecreationTest {
  private final FlowConfig flow = FlowConfig.of(new ClusterConfig("A", "a:9092"), new ClusterConfig("B", "b:9092"), TopicSelection.of("rc", null));
  private final Uuid oldSource = Uuid.randomUuid();
  private final Uuid newSource = Uuid.randomUuid();
  private final Uuid target = Uuid.randomUuid();

  @Test
  void aRecordOfTheStateTopicReadsBackAsTheRecreationItWasWrittenFor() {
    Recreation r = at(2, 5_000, 1_000);
    ProducerRecord<byte[], byte[]> rec = r.toRecord(flow);
    assertThat(rec.topic()).isEqualTo("__ferry.A-to-B.state");
    assertThat(Recreation.decode(rec.key(), rec.value())).contains(r);
    assertThat(r.sourceRecreated()).isTrue();
  }

  @Test
  void otherRecordsOfTheStateTopicAreNotRecreations() {
    assertThat(Recreation.decode("failed-over".getBytes(), "v1;at=1;shards=4".getBytes())).isEmpty();
    assertThat(Recreation.decode("recreated;rc;0;x/y".getBytes(), "v2;whatever".getBytes())).isEmpty();
  }

  @Test
  void oneLinePerTopicEventWithEachPartitionsBoundaryWhileItsTargetTopicIsStillTheOneWrittenInto() {
    List<Recreation> all = List.of(at(1, 4_998, 1_000), at(0, 5_003, 1_000));
    assertThat(Recreation.summaries(all, Map.of("A.rc", target))).singleElement().asString()
        .startsWith("source topic rc was created again (topic id " + oldSource + " -> " + newSource + ") at 1970-01-01T00:00:01Z")
        .endsWith("A.rc holds the new topic from offsets 0:5003 1:4998");
    assertThat(Recreation.summaries(all, Map.of("A.rc", Uuid.randomUuid()))).as("target topic replaced since").isEmpty();
  }

  private Recreation at(int partition, long targetStart, long atMs) {
    return new Recreation(new TopicPartition("rc", partition), "A.rc", new Incarnation(oldSource, target), new Incarnation(newSource, target), 0,
        targetStart, Instant.ofEpochMilli(atMs));
  }
}
