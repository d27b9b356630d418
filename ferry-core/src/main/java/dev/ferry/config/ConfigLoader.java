package dev.ferry.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a YAML configuration into {@link FerryConfig}. Unknown keys are rejected and every error names its full key
 * path ({@code flows[0].target.bootstrap}). See the README for the format.
 */
public final class ConfigLoader {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Set<String> TOP_KEYS = Set.of("flows");
  private static final Set<String> FLOW_KEYS =
      Set.of("name", "source", "target", "topics", "naming", "separator", "shards", "provenance",
          "replication-factor", "topic-configs", "commit-interval", "topic-refresh-interval", "groups", "checkpoint-interval", "balance-interval",
          "sync-group-offsets");
  private static final Set<String> CLUSTER_KEYS = Set.of("alias", "bootstrap", "properties");
  private static final Set<String> TOPICS_KEYS = Set.of("include", "exclude");

  private ConfigLoader() {}

  public static FerryConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("", "config file " + file + " does not exist");
    } catch (IOException e) {
      throw new ConfigException("", "cannot read config file " + file + ": " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  public static FerryConfig parse(String yaml, String origin) {
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new ConfigException("", origin + " is not valid YAML" + where + ": " + e.getOriginalMessage());
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      throw new ConfigException("flows", "is required (the file " + origin + " is empty)");
    }
    Node top = new Node("", root);
    top.rejectUnknown(TOP_KEYS);
    List<FlowConfig> flows = new ArrayList<>();
    Node list = top.required("flows");
    if (!list.json.isArray()) {
      throw new ConfigException("flows", "must be a list of flows");
    }
    for (int i = 0; i < list.json.size(); i++) {
      flows.add(flow(new Node("flows[" + i + "]", list.json.get(i))));
    }
    return new FerryConfig(flows);
  }

  private static FlowConfig flow(Node n) {
    n.rejectUnknown(FLOW_KEYS);
    ClusterConfig source = cluster(n.required("source"));
    ClusterConfig target = cluster(n.required("target"));
    TopicSelection topics = topics(n.required("topics"));
    Naming naming =
        n.wrap(() -> new Naming(
            Naming.Mode.parse("naming", n.string("naming").orElse("prefix")), n.string("separator").orElse(".")));
    int shards = n.integer("shards").orElse(FlowConfig.DEFAULT_SHARDS);
    boolean provenance = n.bool("provenance").orElse(true);
    Optional<Short> rf = n.integer("replication-factor").map(Integer::shortValue);
    Map<String, String> topicConfigs = n.stringMap("topic-configs");
    Duration commit = n.duration("commit-interval").orElse(null);
    Duration refresh = n.duration("topic-refresh-interval").orElse(null);
    TopicSelection groups = n.json.has("groups") ? topics(n.required("groups")) : null;
    Duration checkpoint = n.duration("checkpoint-interval").orElse(null);
    boolean sync = n.bool("sync-group-offsets").orElse(true);
    Duration balance = n.duration("balance-interval").orElse(null);
    return n.wrap(() -> new FlowConfig(n.string("name").orElse(null), source, target, topics, naming, shards, provenance, rf,
        topicConfigs, commit, refresh, groups, checkpoint, sync, balance));
  }

  private static ClusterConfig cluster(Node n) {
    n.requireObject();
    n.rejectUnknown(CLUSTER_KEYS);
    return n.wrap(() -> new ClusterConfig(
        n.string("alias").orElse(null), n.string("bootstrap").orElse(null), n.stringMap("properties")));
  }

  private static TopicSelection topics(Node n) {
    if (n.json.isTextual()) {
      return n.wrap(() -> TopicSelection.of(n.json.asText(), null));
    }
    n.requireObject();
    n.rejectUnknown(TOPICS_KEYS);
    return n.wrap(() -> TopicSelection.of(n.string("include").orElse(null), n.string("exclude").orElse(null)));
  }

  /** A YAML node and its key path. */
  private record Node(String path, JsonNode json) {
    String child(String key) {
      return path.isEmpty() ? key : path + "." + key;
    }

    void requireObject() {
      if (!json.isObject()) {
        throw new ConfigException(path, "must be a mapping of keys to values");
      }
    }

    void rejectUnknown(Set<String> allowed) {
      requireObject();
      Iterator<String> names = json.fieldNames();
      while (names.hasNext()) {
        String k = names.next();
        if (!allowed.contains(k)) {
          throw new ConfigException(child(k), "unknown key (allowed: " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
        }
      }
    }

    Node required(String key) {
      JsonNode v = json.get(key);
      if (v == null || v.isNull()) {
        throw new ConfigException(child(key), "is required");
      }
      return new Node(child(key), v);
    }

    Optional<String> string(String key) {
      JsonNode v = json.get(key);
      if (v == null || v.isNull()) {
        return Optional.empty();
      }
      if (!v.isValueNode()) {
        throw new ConfigException(child(key), "must be a single value");
      }
      return Optional.of(v.asText());
    }

    Optional<Integer> integer(String key) {
      JsonNode v = json.get(key);
      if (v == null || v.isNull()) {
        return Optional.empty();
      }
      if (!v.canConvertToInt() || !(v.isIntegralNumber() || v.isTextual() && v.asText().matches("-?\\d+"))) {
        throw new ConfigException(child(key), "'" + v.asText() + "' must be a whole number");
      }
      return Optional.of(v.isTextual() ? Integer.parseInt(v.asText()) : v.intValue());
    }

    Optional<Boolean> bool(String key) {
      JsonNode v = json.get(key);
      if (v == null || v.isNull()) {
        return Optional.empty();
      }
      if (v.isBoolean()) {
        return Optional.of(v.booleanValue());
      }
      throw new ConfigException(child(key), "'" + v.asText() + "' must be true or false");
    }

    Optional<Duration> duration(String key) {
      return string(key).map(s -> Durations.parse(child(key), s));
    }

    Map<String, String> stringMap(String key) {
      JsonNode v = json.get(key);
      if (v == null || v.isNull()) {
        return Map.of();
      }
      if (!v.isObject()) {
        throw new ConfigException(child(key), "must be a mapping of names to values");
      }
      Map<String, String> out = new LinkedHashMap<>();
      v.properties().forEach(e -> {
        if (!e.getValue().isValueNode() || e.getValue().isNull()) {
          throw new ConfigException(child(key) + "." + e.getKey(), "must be a single value");
        }
        out.put(e.getKey(), e.getValue().asText());
      });
      return out;
    }

    <T> T wrap(java.util.function.Supplier<T> make) {
      try {
        return make.get();
      } catch (ConfigException e) {
        throw e.under(path);
      }
    }
  }
}
