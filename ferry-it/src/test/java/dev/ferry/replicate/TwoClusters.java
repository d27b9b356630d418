package dev.ferry.replicate;

import dev.ferry.config.ClusterConfig;
import dev.ferry.local.LocalKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Two real local KRaft clusters, A and B, shared by the tests of one class:
 * {@code @RegisterExtension static final TwoClusters clusters = new TwoClusters();} starts them before the class's
 * first test and stops them after its last. {@link #start()} gives a pair to close by hand.
 */
public final class TwoClusters implements BeforeAllCallback, AfterAllCallback, AutoCloseable {
  private final Map<String, String> brokerOverrides;
  private Path dir;
  private LocalKafka a;
  private LocalKafka b;

  /** Started with {@link #start()} or, registered as an extension, before the class's tests. */
  public TwoClusters() {
    this(Map.of());
  }

  /** Clusters whose brokers run with these settings over the defaults. */
  public TwoClusters(Map<String, String> brokerOverrides) {
    this.brokerOverrides = Map.copyOf(brokerOverrides);
  }

  public static TwoClusters start() {
    TwoClusters c = new TwoClusters();
    c.startClusters();
    return c;
  }

  private void startClusters() {
    try {
      dir = Files.createTempDirectory("ferry-it");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<LocalKafka> both = LocalKafka.startAll(dir, brokerOverrides, "A", "B");
    a = both.get(0);
    b = both.get(1);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    startClusters();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  public LocalKafka a() {
    return a;
  }

  public LocalKafka b() {
    return b;
  }

  /** The directory the clusters (and anything a test wants to keep beside them) live in. */
  public Path directory() {
    return dir;
  }

  public ClusterConfig clusterA() {
    return new ClusterConfig("A", a.bootstrap());
  }

  public ClusterConfig clusterB() {
    return new ClusterConfig("B", b.bootstrap());
  }

  @Override
  public void close() {
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
  }
}
