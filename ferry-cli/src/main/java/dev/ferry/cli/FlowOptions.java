package dev.ferry.cli;

import dev.ferry.config.ClusterConfig;
import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import dev.ferry.config.TopicSelection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The flows a command works on: a YAML file (--config), or one flow given by flags. Shared by every command. */
final class FlowOptions {
  @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration file (see README).")
  Path config;

  @Option(names = "--source", paramLabel = "ALIAS=HOST:PORT", converter = KeyValueConverter.class, description = "Source cluster.")
  Map.Entry<String, String> source;

  @Option(names = "--target", paramLabel = "ALIAS=HOST:PORT", converter = KeyValueConverter.class, description = "Target cluster.")
  Map.Entry<String, String> target;

  @Option(names = "--topics", paramLabel = "REGEX", description = "Source topics to replicate (whole-name match).")
  String topics;

  @Option(names = "--exclude", paramLabel = "REGEX", description = "Source topics not to replicate.")
  String exclude;

  @Option(names = "--naming", paramLabel = "prefix|identity", converter = Converters.NamingModeConverter.class,
      description = "Target topic names: prefix (default, A.orders) or identity.")
  Naming.Mode naming;

  @Option(names = "--separator", paramLabel = "SEP", description = "Separator of prefix naming (default: .).")
  String separator;

  @Option(names = "--name", paramLabel = "NAME", description = "Flow name (default: SOURCE-to-TARGET).")
  String name;

  @Option(names = "--shards", paramLabel = "N", description = "Shards of the flow (default: " + FlowConfig.DEFAULT_SHARDS + ").")
  Integer shards;

  @Option(names = "--no-provenance", description = "Do not write the provenance header (disables loop protection).")
  boolean noProvenance;

  @Option(names = "--replication-factor", paramLabel = "N", description = "Replication factor of created target topics.")
  Short replicationFactor;

  @Option(names = "--commit-interval", paramLabel = "DURATION", converter = Converters.DurationConverter.class, description = "Transaction length (default: 200ms; up to 5x while catching up a backlog).")
  Duration commitInterval;

  @Option(names = "--max-latency", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "While the flow keeps up, how long a record may wait in an open transaction (default: 50ms).")
  Duration maxLatency;

  @Option(names = "--groups", paramLabel = "REGEX", description = "Source consumer groups to checkpoint (default: all but tool groups).")
  String groups;

  @Option(names = "--exclude-groups", paramLabel = "REGEX", description = "Source consumer groups not to checkpoint.")
  String excludeGroups;

  @Option(names = "--checkpoint-interval", paramLabel = "DURATION", converter = Converters.DurationConverter.class, description = "How often groups are checkpointed (default: 5s).")
  Duration checkpointInterval;

  @Option(names = "--balance-interval", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "How often each process measures its shards' load and, if it changed, asks for a rebalance by load (default: 60s).")
  Duration balanceInterval;

  @Option(names = "--no-sync-group-offsets", description = "Do not commit translated offsets to inactive groups on the target.")
  boolean noSyncGroupOffsets;

  @Option(names = "--on-recreate", paramLabel = "append|resync|stop", converter = Converters.OnRecreateConverter.class,
      description = "When a source topic is deleted and created again: append the new topic after the old one's records (default),"
          + " resync (delete the target topic and replicate the new one from its start), or stop replicating it.")
  dev.ferry.config.OnRecreate onRecreate;

  @Option(names = "--exclude-config", paramLabel = "KEY", description = "A topic config the target topics do not take from the source"
      + " (repeatable; see docs/configuration.md for the configs that are synced).")
  List<String> excludeConfigs = new ArrayList<>();

  @Option(names = "--sync-acls", description = "Keep the source's READ/DESCRIBE ACLs of replicated topics and checkpointed groups in step on"
      + " the target, mapped to the target names (needs an authorizer on both clusters).")
  boolean syncAcls;

  @Option(names = "--source-property", paramLabel = "KEY=VALUE", converter = KeyValueConverter.class,
      description = "Kafka client property for the source cluster (repeatable).")
  List<Map.Entry<String, String>> sourceProperties = new ArrayList<>();

  @Option(names = "--target-property", paramLabel = "KEY=VALUE", converter = KeyValueConverter.class,
      description = "Kafka client property for the target cluster (repeatable).")
  List<Map.Entry<String, String>> targetProperties = new ArrayList<>();

  /** With --config, --groups narrows which groups a command acts on (without it, the flow's own selection holds). */
  java.util.Optional<java.util.regex.Pattern> groupFilter() {
    if (groups == null) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(java.util.regex.Pattern.compile(groups));
    } catch (java.util.regex.PatternSyntaxException e) {
      throw new ConfigException("--groups", "'" + groups + "' is not a valid regular expression: " + e.getDescription());
    }
  }

  /** Every flow given. */
  FerryConfig config() {
    return config != null ? fromFile() : fromFlags();
  }

  /** The one flow a command acts on: {@code flow} by name, or the only flow given. */
  FlowConfig flow(String flowName) {
    List<FlowConfig> flows = config().flows();
    if (flowName == null) {
      if (flows.size() > 1) {
        throw new ConfigException("--flow", "the configuration has " + flows.size() + " flows: name one of "
            + flows.stream().map(FlowConfig::name).toList());
      }
      return flows.get(0);
    }
    return flows.stream().filter(f -> f.name().equals(flowName)).findFirst()
        .orElseThrow(() -> new ConfigException("--flow", "no flow named '" + flowName + "' (flows: "
            + flows.stream().map(FlowConfig::name).toList() + ")"));
  }

  private FerryConfig fromFile() {
    if (source != null || target != null || topics != null) {
      throw new ConfigException("--config", "give either --config or --source/--target/--topics, not both");
    }
    List<String> ignored = new ArrayList<>();
    addIf(ignored, exclude != null, "--exclude");
    addIf(ignored, naming != null, "--naming");
    addIf(ignored, separator != null, "--separator");
    addIf(ignored, name != null, "--name");
    addIf(ignored, shards != null, "--shards");
    addIf(ignored, noProvenance, "--no-provenance");
    addIf(ignored, replicationFactor != null, "--replication-factor");
    addIf(ignored, commitInterval != null, "--commit-interval");
    addIf(ignored, maxLatency != null, "--max-latency");
    addIf(ignored, excludeGroups != null, "--exclude-groups");
    addIf(ignored, checkpointInterval != null, "--checkpoint-interval");
    addIf(ignored, balanceInterval != null, "--balance-interval");
    addIf(ignored, noSyncGroupOffsets, "--no-sync-group-offsets");
    addIf(ignored, onRecreate != null, "--on-recreate");
    addIf(ignored, !excludeConfigs.isEmpty(), "--exclude-config");
    addIf(ignored, syncAcls, "--sync-acls");
    addIf(ignored, !sourceProperties.isEmpty(), "--source-property");
    addIf(ignored, !targetProperties.isEmpty(), "--target-property");
    if (!ignored.isEmpty()) {
      throw new ConfigException("--config", "the flow comes from the file, so " + String.join(", ", ignored)
          + " would be ignored: set it in the file instead");
    }
    return ConfigLoader.load(config);
  }

  private FerryConfig fromFlags() {
    if (source == null) {
      throw new ConfigException("--source", "is required (ALIAS=HOST:PORT), or give --config");
    }
    if (target == null) {
      throw new ConfigException("--target", "is required (ALIAS=HOST:PORT)");
    }
    if (topics == null) {
      throw new ConfigException("--topics", "is required (a regular expression)");
    }
    ClusterConfig s = flag("--source", () -> new ClusterConfig(source.getKey(), source.getValue(), toMap(sourceProperties)));
    ClusterConfig t = flag("--target", () -> new ClusterConfig(target.getKey(), target.getValue(), toMap(targetProperties)));
    TopicSelection sel = flag("--topics", () -> TopicSelection.of(topics, exclude));
    Naming n = flag("--separator", () -> new Naming(naming == null ? Naming.Mode.PREFIX : naming, separator == null ? "." : separator));
    TopicSelection g = groups == null && excludeGroups == null ? null
        : flag("--groups", () -> TopicSelection.of(groups == null ? ".*" : groups, excludeGroups));
    FlowConfig.Builder b = FlowConfig.builder(s, t, sel).name(name).naming(n).provenance(!noProvenance)
        .replicationFactor(Optional.ofNullable(replicationFactor)).groups(g).commitInterval(commitInterval).maxLatency(maxLatency)
        .checkpointInterval(checkpointInterval).balanceInterval(balanceInterval).syncGroupOffsets(!noSyncGroupOffsets).onRecreate(onRecreate)
        .excludeConfigs(new java.util.HashSet<>(excludeConfigs)).syncAcls(syncAcls);
    if (shards != null) {
      b.shards(shards);
    }
    return new FerryConfig(List.of(flag("", b::build)));
  }

  private static void addIf(List<String> flags, boolean given, String flag) {
    if (given) {
      flags.add(flag);
    }
  }

  private static <T> T flag(String flag, java.util.function.Supplier<T> make) {
    try {
      return make.get();
    } catch (ConfigException e) {
      if (e.key().startsWith("properties.") && (flag.equals("--source") || flag.equals("--target"))) {
        // a client property given with --source-property / --target-property: name that flag and the property
        throw new ConfigException(flag + "-property " + e.key().substring("properties.".length()), e.problem());
      }
      throw new ConfigException(flag.isEmpty() ? "--" + e.key() : flag + (e.key().isEmpty() ? "" : " (" + e.key() + ")"), e.problem());
    }
  }

  private static Map<String, String> toMap(List<Map.Entry<String, String>> entries) {
    Map<String, String> m = new LinkedHashMap<>();
    entries.forEach(e -> m.put(e.getKey(), e.getValue()));
    return m;
  }
}
