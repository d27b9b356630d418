package dev.ferry.kafka;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** Which incarnations (topic ids) of source topics and their target topics exist now. */
public final class Incarnations {
  private Incarnations() {}

  /**
   * The incarnations now of these source topics (source topic to target topic), asked of both clusters at once; a topic
   * that does not exist on either side is left out. Completes exceptionally when a cluster cannot be asked.
   */
  public static CompletableFuture<Map<String, Incarnation>> current(Admin source, Admin target, Map<String, String> targetTopicOf) {
    CompletableFuture<Map<String, Uuid>> sourceIds = ids(source, targetTopicOf.keySet());
    CompletableFuture<Map<String, Uuid>> targetIds = ids(target, targetTopicOf.values());
    return sourceIds.thenCombine(targetIds, (s, t) -> {
      Map<String, Incarnation> out = new HashMap<>();
      targetTopicOf.forEach((st, tt) -> {
        if (s.containsKey(st) && t.containsKey(tt)) {
          out.put(st, new Incarnation(s.get(st), t.get(tt)));
        }
      });
      return out;
    });
  }

  /** The ids of these topics now, by name; a topic that does not exist is left out. */
  public static CompletableFuture<Map<String, Uuid>> ids(Admin admin, Collection<String> topics) {
    Map<String, KafkaFuture<TopicDescription>> each = admin.describeTopics(topics).topicNameValues();
    Map<String, Uuid> out = new ConcurrentHashMap<>();
    CompletableFuture<?>[] all = each.entrySet().stream().map(e -> e.getValue().toCompletionStage().toCompletableFuture().handle((d, error) -> {
      if (error == null) {
        out.put(e.getKey(), d.topicId() == null ? Uuid.ZERO_UUID : d.topicId());
      } else if (!(cause(error) instanceof UnknownTopicOrPartitionException)) {
        throw new CompletionException(cause(error));
      }
      return null;
    })).toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(all).thenApply(v -> out);
  }

  private static Throwable cause(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
