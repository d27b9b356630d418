package dev.ferry.config;

import dev.ferry.FerryException;

/** A bad configuration value. {@link #key()} is the full key path, such as {@code flows[0].target.bootstrap}. */
public final class ConfigException extends FerryException {
  private final String key;
  private final String problem;

  public ConfigException(String key, String problem) {
    super(Reason.BAD_INPUT, key.isEmpty() ? problem : key + ": " + problem);
    this.key = key;
    this.problem = problem;
  }

  public String key() {
    return key;
  }

  public String problem() {
    return problem;
  }

  /** The same problem with {@code prefix} put in front of its key path. */
  public ConfigException under(String prefix) {
    if (prefix.isEmpty()) {
      return this;
    }
    String full = key.isEmpty() ? prefix : key.startsWith("[") ? prefix + key : prefix + "." + key;
    return new ConfigException(full, problem);
  }
}
