package dev.ferry.naming;

import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import java.util.Optional;

/**
 * Maps source topic names to target topic names for one flow, and decides which topics are never replicated:
 * internal topics ({@code __*}, {@code _confluent*}), Ferry's own, and under prefix naming the replicas of the
 * target's own topics (a topic {@code B.orders} on cluster A is not sent back to B).
 */
public final class TopicNaming {
  private final Naming naming;
  private final String sourceAlias;
  private final String targetAlias;

  public TopicNaming(Naming naming, String sourceAlias, String targetAlias) {
    this.naming = naming;
    this.sourceAlias = sourceAlias;
    this.targetAlias = targetAlias;
  }

  public static TopicNaming of(FlowConfig flow) {
    return new TopicNaming(flow.naming(), flow.source().alias(), flow.target().alias());
  }

  public String targetTopic(String sourceTopic) {
    return naming.mode() == Naming.Mode.PREFIX ? sourceAlias + naming.separator() + sourceTopic : sourceTopic;
  }

  /** The source topic a target topic replicates, if the name is one this flow produces. */
  public Optional<String> sourceTopic(String targetTopic) {
    if (naming.mode() == Naming.Mode.IDENTITY) {
      return Optional.of(targetTopic);
    }
    String prefix = sourceAlias + naming.separator();
    return targetTopic.startsWith(prefix) && targetTopic.length() > prefix.length()
        ? Optional.of(targetTopic.substring(prefix.length()))
        : Optional.empty();
  }

  /** Whether a source topic may be replicated at all by this flow, whatever the user's selection. */
  public boolean isReplicable(String sourceTopic) {
    if (isInternal(sourceTopic)) {
      return false;
    }
    if (naming.mode() == Naming.Mode.PREFIX && sourceTopic.startsWith(targetAlias + naming.separator())) {
      return false;
    }
    return targetTopic(sourceTopic).length() <= 249;
  }

  public static boolean isInternal(String topic) {
    return topic.startsWith("__") || topic.startsWith("_confluent") || FerryNames.isFerryTopic(topic);
  }
}
