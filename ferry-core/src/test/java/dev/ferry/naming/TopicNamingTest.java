package dev.ferry.naming;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.client.FerryNames;
import dev.ferry.config.Naming;
import org.junit.jupiter.api.Test;

class TopicNamingTest {
  private final TopicNaming prefix = new TopicNaming(Naming.DEFAULT, "A", "B");
  private final TopicNaming identity = new TopicNaming(new Naming(Naming.Mode.IDENTITY, "."), "A", "B");

  @Test
  void prefixNamingPutsTheSourceAliasInFront() {
    assertThat(prefix.targetTopic("orders")).isEqualTo("A.orders");
    assertThat(prefix.sourceTopic("A.orders")).hasValue("orders");
    assertThat(prefix.sourceTopic("C.orders")).isEmpty();
    assertThat(new TopicNaming(new Naming(Naming.Mode.PREFIX, "_"), "A", "B").targetTopic("orders")).isEqualTo("A_orders");
  }

  @Test
  void identityNamingKeepsTheName() {
    assertThat(identity.targetTopic("orders")).isEqualTo("orders");
    assertThat(identity.sourceTopic("orders")).hasValue("orders");
  }

  @Test
  void internalTopicsAndFerrysOwnAreNeverReplicated() {
    assertThat(prefix.isReplicable("__consumer_offsets")).isFalse();
    assertThat(prefix.isReplicable("__transaction_state")).isFalse();
    assertThat(prefix.isReplicable(FerryNames.offsetMapTopic("f"))).isFalse();
    assertThat(prefix.isReplicable("_confluent-metrics")).isFalse();
    assertThat(prefix.isReplicable("orders")).isTrue();
  }

  @Test
  void prefixNamingDoesNotSendTheTargetsOwnTopicsBack() {
    assertThat(prefix.isReplicable("B.orders")).isFalse();
    assertThat(identity.isReplicable("B.orders")).isTrue();
  }
}
