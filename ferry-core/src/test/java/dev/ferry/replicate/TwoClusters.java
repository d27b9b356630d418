package dev.ferry.replicate;

import dev.ferry.config.ClusterConfig;
import dev.ferry.local.LocalKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Two real local KRaft clusters, A and B, shared by the tests of one class. */
public final class TwoClusters implements AutoCloseable {
  public final LocalKafka a;
  public final LocalKafka b;

  private TwoClusters(List<LocalKafka> clusters) {
    this.a = clusters.get(0);
    this.b = clusters.get(1);
  }

  public static TwoClusters start() {
    return start(Map.of());
  }

  public static TwoClusters start(Map<String, String> brokerOverrides) {
    try {
      Path dir = Files.createTempDirectory("ferry-it");
      return new TwoClusters(LocalKafka.startAll(dir, brokerOverrides, "A", "B"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public ClusterConfig clusterA() {
    return new ClusterConfig("A", a.bootstrap());
  }

  public ClusterConfig clusterB() {
    return new ClusterConfig("B", b.bootstrap());
  }

  @Override
  public void close() {
    a.close();
    b.close();
  }
}
