package dev.ferry.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * One Kafka cluster as Ferry sees it: an alias (used in topic names and provenance), its bootstrap servers and raw
 * Kafka client properties (security settings and the like) that pass through to every client of this cluster.
 */
public record ClusterConfig(String alias, String bootstrap, Map<String, String> properties) {
  private static final Pattern ALIAS = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern HOST_PORT = Pattern.compile("[^\\s,:]+:\\d{1,5}");
  /**
   * Client properties exactly-once and gap reporting depend on: Ferry sets them, and refuses them from the user rather
   * than overriding them quietly.
   */
  private static final Map<String, String> OWNED_BY_FERRY = Map.of(
      "auto.offset.reset", "it starts new partitions at their beginning and reports every out-of-range position as a gap or a truncation",
      "isolation.level", "it reads read_committed",
      "enable.auto.commit", "progress is committed with the data",
      "enable.idempotence", "its producers are transactional",
      "transactional.id", "each shard has its own",
      "group.id", "its clients use their own groups or none",
      "allow.auto.create.topics", "it never creates a topic by reading it");
  private static final Pattern SECRET_KEY = Pattern.compile("(?i).*(password|secret|jaas|token|credential|key\\.pem|keystore\\.key).*");

  public ClusterConfig {
    if (alias == null || alias.isBlank()) {
      throw new ConfigException("alias", "is required");
    }
    if (!ALIAS.matcher(alias).matches()) {
      throw new ConfigException("alias", "'" + alias + "' must be 1-64 letters, digits, '_' or '-'");
    }
    if (bootstrap == null || bootstrap.isBlank()) {
      throw new ConfigException("bootstrap", "is required (host:port[,host:port...])");
    }
    for (String hp : bootstrap.split(",")) {
      if (!HOST_PORT.matcher(hp.trim()).matches()) {
        throw new ConfigException("bootstrap", "'" + hp.trim() + "' is not host:port");
      }
    }
    properties = properties == null ? Map.of() : Map.copyOf(properties);
    for (String k : properties.keySet()) {
      if (k.equals("bootstrap.servers")) {
        throw new ConfigException("properties.bootstrap.servers", "set 'bootstrap' instead");
      }
      String why = OWNED_BY_FERRY.get(k);
      if (why != null) {
        throw new ConfigException("properties." + k, "is decided by Ferry (" + why + "); remove it");
      }
    }
  }

  @JsonCreator
  static ClusterConfig fromYaml(@JsonProperty("alias") String alias, @JsonProperty("bootstrap") String bootstrap,
      @JsonProperty("properties") Map<String, String> properties) {
    return new ClusterConfig(alias, bootstrap, properties);
  }

  public ClusterConfig(String alias, String bootstrap) {
    this(alias, bootstrap, Map.of());
  }

  /** "A (localhost:9092)": how messages name this cluster. */
  public String describe() {
    return alias + " (" + bootstrap + ")";
  }

  /** Secrets never reach logs or status output: values of secret-looking keys are masked. */
  @Override
  public String toString() {
    Map<String, String> shown = new TreeMap<>();
    properties.forEach((k, v) -> shown.put(k, SECRET_KEY.matcher(k).matches() ? "******" : v));
    return "ClusterConfig[alias=" + alias + ", bootstrap=" + bootstrap + ", properties=" + shown + "]";
  }
}
