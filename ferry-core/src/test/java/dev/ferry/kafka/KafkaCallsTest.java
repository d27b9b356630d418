package dev.ferry.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.FerryException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

class KafkaCallsTest {
  @Test
  void aCodecWhoseNativeLibraryDoesNotLoadIsNamedWithWhatToCheck() {
    // as the consumer reports a zstd batch it cannot decompress: its codec's load error two levels down
    KafkaException fetch = new KafkaException("Received exception when fetching the next record from orders-0. If needed, please seek past"
        + " the record to continue consumption.", new KafkaException(new UnsatisfiedLinkError("libpthread.so.0: cannot open shared object file")));
    FerryException e = KafkaCalls.translate(fetch, "shard 1 of flow f");
    assertThat(e.reason()).isEqualTo(FerryException.Reason.FAILED);
    assertThat(e.getMessage()).startsWith("shard 1 of flow f: a library does not load in this process (UnsatisfiedLinkError: libpthread.so.0")
        .contains("java.io.tmpdir (" + System.getProperty("java.io.tmpdir") + ")", "noexec", "Received exception when fetching the next record");
  }

  @Test
  void otherFaultsKeepTheirReasonAndMessage() {
    FerryException e = KafkaCalls.translate(new TopicAuthorizationException("not allowed"), "read orders");
    assertThat(e.reason()).isEqualTo(FerryException.Reason.NOT_AUTHORIZED);
    assertThat(e.getMessage()).isEqualTo("read orders: TopicAuthorizationException: not allowed");
  }
}
