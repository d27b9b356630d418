package dev.ferry.topics;

import dev.ferry.config.FlowConfig;
import dev.ferry.kafka.Incarnations;
import dev.ferry.kafka.ProgressStore;
import dev.ferry.naming.TopicNaming;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

/** Source topics deleted and created again that a flow has not taken up (yet), read from its committed progress. */
public final class Recreations {
  private Recreations() {}

  /**
   * Source topics whose committed progress holds another topic id than the topic has now: deleted and created again,
   * and not taken up yet (under {@code stop}, until an operator acts; else until the next topic refresh of a running
   * Ferry), each with one line saying so, by source topic. Empty when the source cannot be asked.
   */
  public static Map<String, String> pending(FlowConfig flow, Admin source, Map<TopicPartition, ProgressStore.Progress> committed) {
    TopicNaming naming = TopicNaming.of(flow);
    Map<String, Set<Uuid>> replicatedAs = new TreeMap<>();
    committed.forEach((t, p) -> naming.sourceTopic(t.topic()).ifPresent(st -> {
      if (!Uuid.ZERO_UUID.equals(p.incarnation().source())) {
        replicatedAs.computeIfAbsent(st, k -> new HashSet<>()).add(p.incarnation().source());
      }
    }));
    if (replicatedAs.isEmpty()) {
      return Map.of();
    }
    Map<String, Uuid> now;
    try {
      now = Incarnations.ids(source, replicatedAs.keySet()).get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Map.of();
    } catch (ExecutionException | TimeoutException e) {
      return Map.of();
    }
    Map<String, String> out = new TreeMap<>();
    replicatedAs.forEach((t, ids) -> {
      Uuid current = now.get(t);
      if (current != null && !ids.contains(current)) {
        String what = switch (flow.onRecreate()) {
          case STOP -> "not replicated (on-recreate stop; run ferry resync --topic " + t + " to replicate the new topic)";
          case APPEND -> "taken up by a running Ferry at its next topic refresh (on-recreate append)";
          case RESYNC -> "re-synced by a running Ferry at its next topic refresh (on-recreate resync)";
        };
        out.put(t, "source topic " + t + " was deleted and created again (topic id " + ids.iterator().next() + " replicated, now " + current + "): "
            + what);
      }
    });
    return out;
  }

}
