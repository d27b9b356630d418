package dev.ferry.cli;

import dev.ferry.local.LocalKafka;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The drill's two local clusters. The only class of the command that uses the Kafka server jars, which the launcher
 * puts on the classpath for {@code ferry drill} alone: it is loaded only when the drill starts local clusters.
 */
final class LocalClusters implements AutoCloseable {
  private final List<LocalKafka> clusters;

  private LocalClusters(List<LocalKafka> clusters) {
    this.clusters = clusters;
  }

  static LocalClusters none() {
    return new LocalClusters(List.of());
  }

  /** Starts clusters A and B under {@code dir} and waits until both answer. */
  static LocalClusters start(Path dir) {
    try {
      return new LocalClusters(LocalKafka.startAll(dir, Map.of(), "A", "B"));
    } catch (NoClassDefFoundError e) {
      throw new dev.ferry.FerryException(dev.ferry.FerryException.Reason.FAILED,
          "the local clusters need the Kafka server jars (ferry-cli/target/lib-drill), which are not on the classpath", e);
    }
  }

  /** Kills cluster A's broker, as a disaster would. */
  void killPrimary() {
    clusters.get(0).kill();
  }

  /** Starts cluster A's broker again and waits until it answers. */
  void restartPrimary() {
    clusters.get(0).start();
  }

  String bootstrap(int i) {
    return clusters.get(i).bootstrap();
  }

  @Override
  public void close() {
    for (LocalKafka k : clusters) { // a loop, not a method reference: with none started, LocalKafka is never loaded
      k.close();
    }
  }
}
