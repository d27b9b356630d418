package dev.ferry.config;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** A whole Ferry configuration: one or more flows. */
public record FerryConfig(List<FlowConfig> flows) {
  public FerryConfig {
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
