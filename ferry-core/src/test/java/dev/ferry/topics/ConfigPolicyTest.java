package dev.ferry.topics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfigPolicyTest {
  private static final Map<String, String> SOURCE = Map.of("retention.ms", "86400000", "cleanup.policy", "compact", "min.insync.replicas", "2",
      "segment.ms", "604800000", "message.timestamp.type", "LogAppendTime");

  @Test
  void aNewTopicTakesTheSourcesDataConfigsAndTheOverridesButNothingOfThePlacement() {
    ConfigPolicy p = new ConfigPolicy(Set.of("segment.ms"), Map.of("compression.type", "zstd"));
    assertThat(p.forNewTopic(SOURCE)).containsExactlyInAnyOrderEntriesOf(Map.of("retention.ms", "86400000", "cleanup.policy", "compact",
        "compression.type", "zstd"));
  }

  @Test
  void theTargetFollowsTheSourcesEffectiveValuesOfSyncedConfigsOnlyWhereTheyDiffer() {
    ConfigPolicy p = new ConfigPolicy(Set.of(), Map.of("max.message.bytes", "2000000"));
    Map<String, String> target = Map.of("retention.ms", "3600000", "cleanup.policy", "delete", "min.insync.replicas", "1",
        "segment.ms", "604800000", "message.timestamp.type", "CreateTime", "max.message.bytes", "1048588");
    assertThat(p.changes(SOURCE, target)).containsExactly(
        new ConfigPolicy.Change("cleanup.policy", Optional.of("compact"), Optional.of("delete"), "compact", false),
        new ConfigPolicy.Change("max.message.bytes", Optional.empty(), Optional.of("1048588"), "2000000", true),
        new ConfigPolicy.Change("retention.ms", Optional.of("86400000"), Optional.of("3600000"), "86400000", false));
    ConfigPolicy plain = new ConfigPolicy(Set.of(), Map.of());
    assertThat(plain.changes(SOURCE, Map.of("retention.ms", "604800000", "cleanup.policy", "compact")))
        .as("a DR copy may keep records longer than its source").isEmpty();
    assertThat(plain.changes(SOURCE, Map.of("retention.ms", "-1", "cleanup.policy", "compact"))).as("unlimited").isEmpty();
    assertThat(plain.changes(Map.of("retention.ms", "-1"), Map.of("retention.ms", "604800000")))
        .extracting(ConfigPolicy.Change::wanted).as("the source keeps everything: so must the copy").containsExactly("-1");
    assertThat(p.changes(SOURCE, Map.of("retention.ms", "86400000", "cleanup.policy", "compact", "segment.ms", "604800000",
        "max.message.bytes", "2000000"))).as("in step").isEmpty();
    assertThat(new ConfigPolicy(Set.of("retention.ms"), Map.of()).changes(SOURCE, target)).extracting(ConfigPolicy.Change::key)
        .as("retention left out of the sync").containsExactly("cleanup.policy");
  }

  @Test
  void targetOwnedRulesAreCheckedWithBothValues() {
    ConfigPolicy synced = new ConfigPolicy(Set.of(), Map.of());
    assertThat(synced.violations("A.t", 1, SOURCE, Map.of("min.insync.replicas", "2", "retention.ms", "3600000")))
        .containsExactly("A.t: min.insync.replicas=2 is above its replication factor 1: every write with acks=all fails");
    ConfigPolicy ownRetention = new ConfigPolicy(Set.of("retention.ms"), Map.of());
    assertThat(ownRetention.violations("A.t", 3, SOURCE, Map.of("min.insync.replicas", "2", "retention.ms", "3600000")))
        .containsExactly("A.t: retention.ms=3600000 is shorter than the source's 86400000: the DR copy would lose records first");
    assertThat(new ConfigPolicy(Set.of("retention.ms"), Map.of("retention.ms", "3600000"))
        .violations("A.t", 3, SOURCE, Map.of("retention.ms", "3600000"))).as("asked for").isEmpty();
  }
}
