package dev.ferry.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.config.ClusterConfig;
import dev.ferry.kafka.ClusterHealth;
import dev.ferry.kafka.Clients;
import dev.ferry.local.LocalKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

/**
 * The health checks a failback runs on the primary, on a real two-broker cluster: all hold while it is whole; with a
 * broker down, the brokers and partitions checks fail and name the broker and the partitions; with the controller gone,
 * the quorum check fails while the other broker still answers.
 */
class ClusterHealthIT {
  @Test
  void aBrokerDownAndAControllerQuorumThatDoesNotAnswerFailTheirChecksAndSayWhy() throws Exception {
    Path dir = Files.createTempDirectory("ferry-health");
    // a stopped broker is fenced within seconds, not the default 9
    LocalKafka a = LocalKafka.create("A", dir.resolve("A"), Map.of("broker.session.timeout.ms", "3000", "broker.heartbeat.interval.ms", "500"));
    LocalKafka b2 = null;
    try {
      a.start();
      b2 = a.addBroker();
      ClusterConfig both = new ClusterConfig("A", a.bootstrap() + "," + b2.bootstrap());
      try (Admin admin = Admin.create(Clients.admin(both))) {
        admin.createTopics(List.of(new NewTopic("h", Map.of(0, List.of(1, 2), 1, List.of(2, 1))))).all().get();
        await().atMost(Duration.ofSeconds(30)).until(() -> ClusterHealth.healthy(check(admin, both)));
        assertThat(check(admin, both)).extracting(ClusterHealth.Check::detail).contains("2 broker(s) answer: [1, 2]",
            "leader 1, 1 voter(s) caught up", "2 partition(s) of 1 topic(s) online and in sync");

        b2.stop();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
          List<ClusterHealth.Check> c = check(admin, both);
          assertThat(c).filteredOn(x -> !x.ok()).extracting(ClusterHealth.Check::name).contains("brokers", "partitions");
          assertThat(c).extracting(ClusterHealth.Check::detail).anySatisfy(d -> assertThat(d)
              .startsWith("broker(s) [2] hold replicas of the topics but are not registered with A")).anySatisfy(d -> assertThat(d)
              .contains("2 under-replicated: h-0 (1 of 2 in sync), h-1 (1 of 2 in sync)"));
        });

        b2.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> ClusterHealth.healthy(check(admin, both)));
        a.stop(); // the only controller: broker 2 still answers, the quorum does not
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(check(admin, both))
            .filteredOn(x -> x.name().equals("controller quorum")).singleElement()
            .satisfies(q -> {
              assertThat(q.ok()).isFalse();
              assertThat(q.detail()).startsWith("no answer about the controller quorum");
            }));
      }
    } finally {
      if (b2 != null) {
        b2.close();
      }
      a.close();
    }
  }

  private static List<ClusterHealth.Check> check(Admin admin, ClusterConfig c) {
    return ClusterHealth.check(admin, c, List.of("h"), 1024, System.currentTimeMillis());
  }
}
