package dev.ferry.kafka;

import dev.ferry.FerryException;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Batched Admin calls about topics that fail per topic: one topic that cannot be described (not authorized, say) is
 * reported with its reason and never fails the others. A cluster that does not answer fails the call.
 */
public final class AdminTopics {
  private static final long TIMEOUT_MS = 30_000;

  private AdminTopics() {}

  /**
   * Describes topics; a topic that cannot be described (not authorized, ...) goes to {@code failed} with the reason,
   * one deleted since it was listed is left out. An unreachable cluster fails the round.
   */
  public static Map<String, TopicDescription> describe(Admin admin, Collection<String> names, String what, Map<String, String> failed) {
    Map<String, TopicDescription> out = new HashMap<>();
    admin.describeTopics(names).topicNameValues().forEach((name, f) -> {
      try {
        out.put(name, KafkaCalls.await(f, TIMEOUT_MS, what));
      } catch (FerryException e) {
        recordFailure(e, name, failed);
      }
    });
    return out;
  }

  private static void recordFailure(FerryException e, String topic, Map<String, String> failed) {
    if (e.reason() == FerryException.Reason.UNREACHABLE) {
      throw e;
    }
    if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
      failed.put(topic, e.getMessage());
    }
  }


  public static Map<ConfigResource, Config> describeConfigs(Admin admin, Collection<String> topics, String where, Map<String, String> failed) {
    List<ConfigResource> resources = topics.stream().map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
    Map<ConfigResource, Config> out = new HashMap<>();
    admin.describeConfigs(resources).values().forEach((r, f) -> {
      try {
        out.put(r, KafkaCalls.await(f, TIMEOUT_MS, "describe configs of " + r.name() + " on " + where));
      } catch (FerryException e) {
        recordFailure(e, r.name(), failed);
      }
    });
    return out;
  }

  /**
   * Every config of these topics that has a value (defaults included), by topic name; a topic whose configs cannot be
   * read goes to {@code failed}, as in {@link #describeConfigs}.
   */
  public static Map<String, Map<String, String>> effectiveConfigs(Admin admin, Collection<String> topics, String where, Map<String, String> failed) {
    Map<String, Map<String, String>> out = new HashMap<>();
    describeConfigs(admin, topics, where, failed).forEach((r, c) -> {
      Map<String, String> values = new HashMap<>();
      c.entries().forEach(e -> {
        if (e.value() != null) {
          values.put(e.name(), e.value());
        }
      });
      out.put(r.name(), values);
    });
    return out;
  }
}
