package dev.ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.local.LocalKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every command against two clusters that authenticate with SASL/SCRAM-SHA-512 over TLS, or with mutual TLS, and
 * authorize with ACLs: Ferry's principal has exactly the permissions the operations guide lists. Nothing Ferry prints
 * (output, errors, logs, stack traces with --verbose, a YAML error quoting its line) holds a secret.
 */
class SecuredClustersIT {
  @ParameterizedTest
  @EnumSource(value = LocalKafka.Security.class, names = {"SASL_SSL_SCRAM", "MUTUAL_TLS"})
  void everyCommandWorksWithTheListedPermissionsAndPrintsNoSecret(LocalKafka.Security security) throws Exception {
    Path dir = Files.createTempDirectory("ferry-secured");
    String secret = "pw-" + UUID.randomUUID();
    List<LocalKafka> clusters = new ArrayList<>();
    List<String> printed = new ArrayList<>();
    try {
      LocalKafka a = LocalKafka.createSecured("A", dir.resolve("A"), Map.of("ferry", secret), security);
      LocalKafka b = LocalKafka.createSecured("B", dir.resolve("B"), Map.of("ferry", secret), security);
      clusters.add(a);
      clusters.add(b);
      a.start();
      b.start();
      grantListedPermissions(a, b);
      ClusterConfig adminA = new ClusterConfig("A", a.bootstrap(), a.clientProperties(LocalKafka.ADMIN));
      Workload.createTopic(adminA, "orders", 2, Map.of());
      Workload.plain(adminA, "orders", 2, 600, 0);
      try (Admin admin = admin(a)) {
        admin.alterConsumerGroupOffsets("app", Map.of(new TopicPartition("orders", 0), new OffsetAndMetadata(120),
            new TopicPartition("orders", 1), new OffsetAndMetadata(200))).all().get();
      }
      Path config = dir.resolve("ferry.yaml");
      Files.writeString(config, yaml(a, b));

      try (FerryProcess ferry = FerryProcess.start(dir, "run", "--config", config.toString())) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
          Cli.Result status = Cli.ferry("status", "--config", config.toString());
          assertThat(status.code()).as(status.out() + status.err()).isZero();
          assertThat(status.out()).contains("orders-0", "orders-1").doesNotContain(" ?");
          assertThat(Verifier.verify(flow(a, b), "orders", Duration.ofSeconds(30)).targetRecords()).isEqualTo(600);
        });
        printed.add(Cli.ferry("status", "--config", config.toString()).toString());
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
          Cli.Result t = Cli.ferry("offsets", "translate", "--config", config.toString(), "--group", "app");
          printed.add(t.toString());
          assertThat(t.code()).as(t.out() + t.err()).isZero();
          assertThat(t.out()).contains("A.orders-0", "A.orders-1");
        });
        Cli.Result dry = Cli.ferry("failover", "--config", config.toString(), "--dry-run");
        printed.add(dry.toString());
        assertThat(dry.code()).as(dry.out() + dry.err()).isZero();
        Cli.Result real = Cli.ferry("failover", "--config", config.toString());
        printed.add(real.toString());
        assertThat(real.code()).as(real.out() + real.err()).isZero();
        await().atMost(Duration.ofSeconds(60)).until(() -> !ferry.isAlive());
        printed.add(ferry.output());
      }
      assertThat(Verifier.verify(flow(a, b), "orders", Duration.ofSeconds(30)).exact()).isTrue();
      try (Admin admin = admin(b)) {
        assertThat(admin.listConsumerGroupOffsets("app").partitionsToOffsetAndMetadata().get()).hasSize(2);
      }

      // the drill against both clusters, as their admin (it creates and writes its own topics)
      List<String> drill = new ArrayList<>(List.of("drill", "--records", "2000", "--source", "A=" + a.bootstrap(), "--target", "B=" + b.bootstrap()));
      a.clientProperties(LocalKafka.ADMIN).forEach((k, v) -> drill.addAll(List.of("--source-property", k + "=" + v)));
      b.clientProperties(LocalKafka.ADMIN).forEach((k, v) -> drill.addAll(List.of("--target-property", k + "=" + v)));
      Cli.Result drilled = Cli.ferry(drill.toArray(String[]::new));
      printed.add(drilled.toString());
      assertThat(drilled.code()).as(drilled.out() + drilled.err()).isZero();
      assertThat(drilled.out()).contains("DRILL PASSED");

      // errors, with and without --verbose: a wrong password, a YAML error on the line that holds the secret
      Path wrong = dir.resolve("wrong.yaml");
      Files.writeString(wrong, yaml(a, b).replace(secret, secret + "-not-it"));
      Cli.Result refused = Cli.ferry("--verbose", "status", "--config", wrong.toString());
      printed.add(refused.toString());
      assertThat(refused.code()).isNotZero();
      Path broken = dir.resolve("broken.yaml");
      List<String> lines = new ArrayList<>(List.of(yaml(a, b).split("\n")));
      int withSecret = lines.indexOf(lines.stream().filter(l -> l.contains(secret)).findFirst().orElseThrow());
      lines.set(withSecret, lines.get(withSecret) + " ]"); // a syntax error on the very line that holds the secret
      Files.writeString(broken, String.join("\n", lines) + "\n");
      Cli.Result bad = Cli.ferry("--verbose", "status", "--config", broken.toString());
      printed.add(bad.toString());
      assertThat(bad.code()).as(bad.out() + bad.err()).isEqualTo(2);
    } finally {
      clusters.forEach(LocalKafka::close);
    }
    assertThat(printed).allSatisfy(p -> assertThat(p).doesNotContain(secret, "admin-secret", "store-secret"));
  }

  private static FlowConfig flow(LocalKafka a, LocalKafka b) {
    return FlowConfig.builder(new ClusterConfig("A", a.bootstrap(), a.clientProperties(LocalKafka.ADMIN)),
        new ClusterConfig("B", b.bootstrap(), b.clientProperties(LocalKafka.ADMIN)), TopicSelection.of("orders", null)).build();
  }

  private static String yaml(LocalKafka a, LocalKafka b) {
    StringBuilder y = new StringBuilder("flows:\n  - topics: orders\n    groups: app\n    checkpoint-interval: 1s\n");
    cluster(y, "source", "A", a);
    cluster(y, "target", "B", b);
    return y.toString();
  }

  private static void cluster(StringBuilder y, String role, String alias, LocalKafka k) {
    y.append("    ").append(role).append(":\n      alias: ").append(alias).append("\n      bootstrap: \"").append(k.bootstrap())
        .append("\"\n      properties:\n");
    k.clientProperties("ferry").forEach((key, v) -> y.append("        ").append(key).append(": \"").append(v.replace("\"", "\\\"")).append("\"\n"));
  }

  private static Admin admin(LocalKafka k) {
    Properties p = new Properties();
    p.put("bootstrap.servers", k.bootstrap());
    p.putAll(k.clientProperties(LocalKafka.ADMIN));
    return Admin.create(p);
  }

  /** Exactly what the operations guide lists, for User:ferry. */
  private static void grantListedPermissions(LocalKafka source, LocalKafka target) throws Exception {
    List<AclBinding> s = new ArrayList<>();
    allow(s, ResourceType.TOPIC, "orders", PatternType.LITERAL, AclOperation.DESCRIBE, AclOperation.READ, AclOperation.DESCRIBE_CONFIGS);
    allow(s, ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL, AclOperation.DESCRIBE);
    allow(s, ResourceType.GROUP, "app", PatternType.LITERAL, AclOperation.DESCRIBE);
    try (Admin admin = admin(source)) {
      admin.createAcls(s).all().get();
    }
    List<AclBinding> t = new ArrayList<>();
    allow(t, ResourceType.TOPIC, "A.orders", PatternType.LITERAL, AclOperation.CREATE, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS,
        AclOperation.ALTER, AclOperation.WRITE, AclOperation.READ);
    allow(t, ResourceType.TOPIC, "__ferry.", PatternType.PREFIXED, AclOperation.ALL);
    allow(t, ResourceType.GROUP, "ferry.", PatternType.PREFIXED, AclOperation.ALL);
    allow(t, ResourceType.TRANSACTIONAL_ID, "ferry.", PatternType.PREFIXED, AclOperation.ALL);
    allow(t, ResourceType.GROUP, "app", PatternType.LITERAL, AclOperation.DESCRIBE, AclOperation.READ);
    try (Admin admin = admin(target)) {
      admin.createAcls(t).all().get();
    }
  }

  private static void allow(List<AclBinding> acls, ResourceType type, String name, PatternType pattern, AclOperation... ops) {
    for (AclOperation op : ops) {
      acls.add(new AclBinding(new ResourcePattern(type, name, pattern), new AccessControlEntry("User:ferry", "*", op, AclPermissionType.ALLOW)));
    }
  }
}
