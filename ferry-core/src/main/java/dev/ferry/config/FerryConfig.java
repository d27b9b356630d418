package dev.ferry.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A whole Ferry configuration: one or more flows, and where {@code ferry run} serves its metrics and status.
 */
public record FerryConfig(List<FlowConfig> flows, MetricsConfig metrics) {
  @JsonCreator
  static FerryConfig fromYaml(@JsonProperty("flows") List<FlowConfig> flows, @JsonProperty("metrics") MetricsConfig metrics) {
    if (flows == null) {
      throw new ConfigException("flows", "is required");
    }
    return new FerryConfig(flows, metrics);
  }

  /** Flows without metrics. */
  public FerryConfig(List<FlowConfig> flows) {
    this(flows, MetricsConfig.OFF);
  }

  public FerryConfig {
    metrics = metrics == null ? MetricsConfig.OFF : metrics;
    if (flows == null || flows.isEmpty()) {
      throw new ConfigException("flows", "needs at least one flow");
    }
    flows = List.copyOf(flows);
    Set<String> names = new HashSet<>();
    for (int i = 0; i < flows.size(); i++) {
      if (!names.add(flows.get(i).name())) {
        throw new ConfigException("flows[" + i + "].name", "'" + flows.get(i).name() + "' is used by another flow");
      }
    }
  }
}
