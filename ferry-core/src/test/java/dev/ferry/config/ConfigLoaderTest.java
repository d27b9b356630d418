package dev.ferry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
  private static final String GOOD = """
      flows:
        - name: eu-to-us
          source: {alias: eu, bootstrap: "eu-kafka:9092", properties: {security.protocol: SASL_SSL, sasl.jaas.config: "secret stuff"}}
          target: {alias: us, bootstrap: "us-kafka:9092,us-kafka-2:9092"}
          topics: {include: "orders.*", exclude: "orders\\\\.tmp.*"}
          naming: identity
          shards: 8
          provenance: true
          replication-factor: 3
          topic-configs: {min.insync.replicas: 2}
          commit-interval: 500ms
          topic-refresh-interval: 1s
          on-recreate: stop
          sync-acls: true
      """;

  @Test
  void readsEveryKey() {
    FlowConfig f = ConfigLoader.parse(GOOD, "test").flows().get(0);
    assertThat(f.name()).isEqualTo("eu-to-us");
    assertThat(f.source().properties()).containsEntry("security.protocol", "SASL_SSL");
    assertThat(f.target().bootstrap()).isEqualTo("us-kafka:9092,us-kafka-2:9092");
    assertThat(f.topics().matches("orders-1")).isTrue();
    assertThat(f.topics().matches("orders.tmp.1")).isFalse();
    assertThat(f.naming().mode()).isEqualTo(Naming.Mode.IDENTITY);
    assertThat(f.shards()).isEqualTo(8);
    assertThat(f.replicationFactor()).hasValue((short) 3);
    assertThat(f.topicConfigs()).containsEntry("min.insync.replicas", "2");
    assertThat(f.commitInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(f.topicRefreshInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(f.onRecreate()).isEqualTo(OnRecreate.STOP);
    assertThat(f.syncAcls()).isTrue();
  }

  @Test
  void defaultsFillWhatIsLeftOut() {
    FlowConfig f = ConfigLoader.parse("""
        flows:
          - source: {alias: A, bootstrap: "a:9092"}
            target: {alias: B, bootstrap: "b:9092"}
            topics: ".*"
        """, "test").flows().get(0);
    assertThat(f.name()).isEqualTo("A-to-B");
    assertThat(f.naming()).isEqualTo(Naming.DEFAULT);
    assertThat(f.shards()).isEqualTo(FlowConfig.DEFAULT_SHARDS);
    assertThat(f.provenance()).isTrue();
    assertThat(f.replicationFactor()).isEmpty();
    assertThat(f.onRecreate()).isEqualTo(OnRecreate.APPEND);
    assertThat(f.syncAcls()).isFalse();
  }

  @Test
  void secretsNeverShowInToString() {
    FlowConfig f = ConfigLoader.parse(GOOD, "test").flows().get(0);
    assertThat(f.toString()).doesNotContain("secret stuff").contains("sasl.jaas.config=******");
  }

  private static void assertError(String yaml, String message) {
    assertThatThrownBy(() -> ConfigLoader.parse(yaml, "test")).isInstanceOf(ConfigException.class).hasMessage(message);
  }

  @Test
  void errorsNameTheKeyPath() {
    String base = """
        flows:
          - source: {alias: A, bootstrap: "a:9092"}
            target: {alias: B, bootstrap: "%s"}
            topics: "%s"
            %s
        """;
    assertError(base.formatted("nohost", ".*", ""), "flows[0].target.bootstrap: 'nohost' is not host:port");
    assertError(base.formatted("b:1", "(", ""), "flows[0].topics.include: '(' is not a valid regular expression: Unclosed group");
    assertError(base.formatted("b:1", ".*", "naming: mirror"), "flows[0].naming: 'mirror' is not a naming mode (prefix or identity)");
    assertError(base.formatted("b:1", ".*", "shards: 0"), "flows[0].shards: 0 is out of range 1..1024");
    assertError(base.formatted("b:1", ".*", "shards: many"), "flows[0].shards: 'many' must be a whole number");
    assertError(base.formatted("b:1", ".*", "commit-interval: soon"), "flows[0].commit-interval: 'soon' is not a duration (such as 200ms, 5s, 2m, PT1M)");
    assertError(base.formatted("b:1", ".*", "provenance: maybe"), "flows[0].provenance: 'maybe' must be true or false");
    assertError(base.formatted("b:1", ".*", "exclude-configs: [min.insync.replicas]"), "flows[0].exclude-configs: 'min.insync.replicas' is not a"
        + " config the target takes from the source (those are " + new java.util.TreeSet<>(SyncedConfigs.SOURCE_OWNED) + ")");
    assertError(base.formatted("b:1", ".*", "on-recreate: drop"), "flows[0].on-recreate: 'drop' is not an on-recreate policy (append, resync or stop)");
    assertThatThrownBy(() -> ConfigLoader.parse(base.formatted("b:1", ".*", "shard: 3"), "test"))
        .hasMessageStartingWith("flows[0].shard: unknown key (allowed: ");
  }

  @Test
  void aTypoOfARequiredKeyIsReportedAsTheTypoAndNestedKeysAreChecked() {
    assertError("flows:\n  - source: {alias: A, bootstrap: \"a:1\"}\n    targett: {alias: B, bootstrap: \"b:1\"}\n    topics: x\n",
        "flows[0].targett: unknown key (allowed: balance-interval, checkpoint-interval, commit-interval, exclude-configs, groups, max-latency, name, naming, on-recreate, "
            + "provenance, replication-factor, separator, shards, source, sync-acls, sync-group-offsets, target, topic-configs, topic-refresh-interval, topics)");
    assertError("flows:\n  - source: {alias: A, bootstrap: \"a:1\", propertiez: {}}\n    target: {alias: B, bootstrap: \"b:1\"}\n    topics: x\n",
        "flows[0].source.propertiez: unknown key (allowed: alias, bootstrap, properties)");
    assertError("flows:\n  - source: {alias: A, bootstrap: \"a:1\"}\n    target: {alias: B, bootstrap: \"b:1\"}\n    topics: {includ: x}\n",
        "flows[0].topics.includ: unknown key (allowed: exclude, include)");
  }

  @Test
  void valuesOfTheWrongShapeNameTheirKey() {
    String flow = "flows:\n  - source: {alias: A, bootstrap: \"a:1\"}\n    target: {alias: B, bootstrap: \"b:1\"}\n    topics: x\n";
    assertError(flow + "    shards: 3.5\n", "flows[0].shards: '3.5' must be a whole number");
    assertError(flow + "    topic-configs: {retention.ms: {a: 1}}\n", "flows[0].topic-configs.retention.ms: must be a single value");
    assertError("flows: x\n", "flows: 'x' must be a list");
    assertError(flow.replace("source: {alias: A, bootstrap: \"a:1\"}", "source: A"), "flows[0].source: 'A' must be a mapping of keys to values");
    assertError(flow + "    commit-interval: 5m1s\n", "flows[0].commit-interval: '5m1s' is not a duration (such as 200ms, 5s, 2m, PT1M)");
    assertError(flow + "    commit-interval: PT5M1S\n", "flows[0].commit-interval: PT5M1S is out of range 10ms..5m");
    assertError(flow + "    max-latency: 0ms\n", "flows[0].max-latency: PT0S is out of range 1ms..5m");
  }

  @Test
  void nullsCoercionsAndOverflowsAreRefusedWithTheirKey() {
    String flow = "flows:\n  - source: {alias: A, bootstrap: \"a:1\"}\n    target: {alias: B, bootstrap: \"b:1\"}\n    topics: x\n";
    assertError(flow.replace("bootstrap: \"a:1\"}", "bootstrap: \"a:1\", properties: {sasl.jaas.config: ~}}"),
        "flows[0].source.properties.sasl.jaas.config: must be a single value");
    assertError("flows: [~]\n", "flows[0]: must be a mapping of keys to values");
    assertError(flow + "    shards: 99999999999\n", "flows[0].shards: '99999999999' is out of range for a whole number here");
    assertError(flow + "    provenance: 0\n", "flows[0].provenance: '0' must be true or false");
    assertError(flow + "    provenance: 'false'\n", "flows[0].provenance: 'false' must be true or false");
    assertError(flow + "    shards: ''\n", "flows[0].shards: '' must be a whole number");
    assertError(flow.replace("topics: x", "topics: 123"), "flows[0].topics: must be a regular expression or a mapping with include and exclude");
    assertThat(ConfigLoader.parse(flow + "    shards: '8'\n", "test").flows().get(0).shards()).as("a quoted whole number").isEqualTo(8);
  }

  @Test
  void missingAndDuplicateThingsAreNamed() {
    assertError("flows:\n  - source: {alias: A, bootstrap: \"a:1\"}\n    topics: x\n", "flows[0].target: is required");
    assertError("flows:\n  - source: {alias: A, bootstrap: \"a:1\"}\n    target: {alias: A, bootstrap: \"b:1\"}\n    topics: x\n",
        "flows[0].target.alias: must differ from source.alias ('A')");
    assertError("flows:\n  - source: {bootstrap: \"a:1\"}\n    target: {alias: B, bootstrap: \"b:1\"}\n    topics: x\n",
        "flows[0].source.alias: is required");
    String flow = "  - source: {alias: A, bootstrap: \"a:1\"}\n    target: {alias: B, bootstrap: \"b:1\"}\n    topics: x\n";
    assertError("flows:\n" + flow + flow, "flows[1].name: 'A-to-B' is used by another flow");
    assertError("flows: []\n", "flows: needs at least one flow");
    assertError("", "flows: is required (the file test is empty)");
    assertError("flowz: 1\n", "flowz: unknown key (allowed: flows, metrics)");
  }

  @Test
  void metricsAreOffUnlessAPortIsGivenAndTheirErrorsNameTheKey() {
    String flow = "flows:\n  - source: {alias: A, bootstrap: \"a:1\"}\n    target: {alias: B, bootstrap: \"b:1\"}\n    topics: x\n";
    assertThat(ConfigLoader.parse(flow, "test").metrics().enabled()).isFalse();
    MetricsConfig m = ConfigLoader.parse(flow + "metrics:\n  port: 9404\n  per-partition: false\n  status-interval: 30s\n", "test").metrics();
    assertThat(m.port()).hasValue(9404);
    assertThat(m.host()).isEqualTo("0.0.0.0");
    assertThat(m.perPartition()).isFalse();
    assertThat(m.statusInterval()).isEqualTo(java.time.Duration.ofSeconds(30));
    assertError(flow + "metrics:\n  port: 70000\n", "metrics.port: 70000 is not a port (0..65535; 0 picks a free one)");
    assertError(flow + "metrics:\n  status-interval: 10ms\n", "metrics.status-interval: PT0.01S is out of range 500ms..1h");
    assertError(flow + "metrics:\n  prot: 9404\n", "metrics.prot: unknown key (allowed: host, per-partition, port, status-interval)");
  }

  @Test
  void invalidYamlSaysWhere() {
    assertThatThrownBy(() -> ConfigLoader.parse("flows: [\n  - {", "f.yaml")).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("f.yaml is not valid YAML at line");
  }

  @Test
  void durationsTakeOperatorUnits() {
    assertThat(Durations.parse("k", "250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("k", "3m")).isEqualTo(Duration.ofMinutes(3));
    assertThat(Durations.parse("k", "PT2S")).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void aYamlErrorOnALineHoldingASecretNamesThePlaceButNeverQuotesTheLine() {
    String yaml = "flows:\n  - topics: t\n    source:\n      alias: A\n      bootstrap: \"h:1\"\n      properties:\n"
        + "        sasl.jaas.config: \"ScramLoginModule required username=\\\"u\\\" password=\\\"TOPSECRET\\\";\" ]\n";
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigLoader.parse(yaml, "f.yaml"))
        .hasMessageStartingWith("f.yaml is not valid YAML at line 7, column ")
        .hasMessageContaining("expected <block end>, but found ']'")
        .hasMessageNotContaining("TOPSECRET")
        .satisfies(e -> org.assertj.core.api.Assertions.assertThat(e.getMessage()).doesNotContain("\n"));
  }
}
