package dev.ferry.cli;

import java.util.Map;
import picocli.CommandLine;

/** Parses {@code name=value} (a cluster as ALIAS=host:port, a client property as key=value). */
final class KeyValueConverter implements CommandLine.ITypeConverter<Map.Entry<String, String>> {
  @Override
  public Map.Entry<String, String> convert(String value) {
    int eq = value.indexOf('=');
    if (eq <= 0 || eq == value.length() - 1) {
      throw new CommandLine.TypeConversionException("'" + value + "' is not NAME=VALUE");
    }
    return Map.entry(value.substring(0, eq).trim(), value.substring(eq + 1).trim());
  }
}
