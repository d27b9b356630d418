package dev.ferry.config;

/**
 * How target topics are named. {@code PREFIX} (the default, MM2-compatible) gives {@code A.orders} for topic
 * {@code orders} of cluster {@code A}; {@code IDENTITY} keeps {@code orders}.
 */
public record Naming(Mode mode, String separator) {
  public enum Mode {
    PREFIX,
    IDENTITY;

    public static Mode parse(String key, String value) {
      return switch (value == null ? "" : value.toLowerCase(java.util.Locale.ROOT)) {
        case "prefix" -> PREFIX;
        case "identity" -> IDENTITY;
        default -> throw new ConfigException(key, "'" + value + "' is not a naming mode (prefix or identity)");
      };
    }
  }

  public static final Naming DEFAULT = new Naming(Mode.PREFIX, ".");

  public Naming {
    if (mode == null) {
      throw new ConfigException("naming", "is required");
    }
    if (separator == null || separator.isEmpty() || !separator.matches("[A-Za-z0-9._-]{1,8}")) {
      throw new ConfigException("separator", "'" + separator + "' must be 1-8 characters legal in a topic name");
    }
  }
}
