package dev.ferry.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TopicSelectionTest {
  @Test
  void namesSpelledOutAreKnownAndPatternsHaveNone() {
    assertThat(TopicSelection.of("orders|payments.eu|audit_log-2", null).literalNames()).containsExactly("audit_log-2", "orders", "payments.eu");
    assertThat(TopicSelection.of("orders|payments", "payments").literalNames()).as("an excluded name is not expected").containsExactly("orders");
    assertThat(TopicSelection.of("orders.*", null).literalNames()).isEmpty();
    assertThat(TopicSelection.of("orders|pay[a-z]+", null).literalNames()).as("one alternative is a pattern").isEmpty();
  }
}
