package dev.ferry.config;

import java.util.Locale;

/**
 * What a flow does when a source topic it replicates is deleted and created again under the same name (a new topic
 * id).
 */
public enum OnRecreate {
  /** Replicate the new topic into the same target topic, after the old one's records (nothing is deleted). */
  APPEND,
  /** Delete the target topic and replicate the new source topic into a new one from its start (the clean re-sync). */
  RESYNC,
  /** Stop replicating the topic and report it until an operator acts. */
  STOP;

  public static OnRecreate parse(String key, String value) {
    return switch (value == null ? "" : value.toLowerCase(Locale.ROOT)) {
      case "append" -> APPEND;
      case "resync" -> RESYNC;
      case "stop" -> STOP;
      default -> throw new ConfigException(key, "'" + value + "' is not an on-recreate policy (append, resync or stop)");
    };
  }

  /** The name as the configuration spells it. */
  public String spelled() {
    return name().toLowerCase(Locale.ROOT);
  }
}
