package dev.ferry.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.OptionalInt;

/**
 * Where {@code ferry run} serves its metrics, health, status and status page over HTTP ({@code metrics:} in the YAML).
 *
 * @param port the HTTP port; empty: nothing is served (the default)
 * @param host the address to listen on (default 0.0.0.0, every interface, as a container's probes need)
 * @param perPartition whether lag and latency carry a partition label; false: one series per topic (lag summed, its age
 *     and the latency the largest of its partitions), for flows of many thousands of partitions
 * @param statusInterval how often the flow's status (lag, groups, shards, topic problems) is read from the clusters for
 *     the metrics and {@code /status}: the same read as {@code ferry status} (new admin clients and consumers on both
 *     clusters, end offsets and configs of every topic, the checkpoint topic read through), in every process of the flow
 */
public record MetricsConfig(OptionalInt port, String host, boolean perPartition, Duration statusInterval) {
  public static final Duration DEFAULT_STATUS_INTERVAL = Duration.ofSeconds(30);
  public static final String DEFAULT_HOST = "0.0.0.0";
  /** Nothing served. */
  public static final MetricsConfig OFF = new MetricsConfig(OptionalInt.empty(), DEFAULT_HOST, true, DEFAULT_STATUS_INTERVAL);

  public MetricsConfig {
    if (port == null) {
      port = OptionalInt.empty();
    }
    if (port.isPresent() && (port.getAsInt() < 0 || port.getAsInt() > 65535)) {
      throw new ConfigException("port", port.getAsInt() + " is not a port (0..65535; 0 picks a free one)");
    }
    if (host == null || host.isBlank()) {
      host = DEFAULT_HOST;
    }
    statusInterval = statusInterval == null ? DEFAULT_STATUS_INTERVAL : statusInterval;
    if (statusInterval.compareTo(Duration.ofMillis(500)) < 0 || statusInterval.compareTo(Duration.ofHours(1)) > 0) {
      throw new ConfigException("status-interval", statusInterval + " is out of range 500ms..1h");
    }
  }

  @JsonCreator
  static MetricsConfig fromYaml(@JsonProperty("port") Integer port, @JsonProperty("host") String host,
      @JsonProperty("per-partition") Boolean perPartition, @JsonProperty("status-interval") Duration statusInterval) {
    return new MetricsConfig(port == null ? OptionalInt.empty() : OptionalInt.of(port), host, perPartition == null || perPartition, statusInterval);
  }

  public boolean enabled() {
    return port.isPresent();
  }

  /** This configuration served on {@code port} (a command-line flag over the file's). */
  public MetricsConfig withPort(int p) {
    return new MetricsConfig(OptionalInt.of(p), host, perPartition, statusInterval);
  }
}
