package dev.ferry.cli;

import dev.ferry.config.ConfigException;
import dev.ferry.config.Durations;
import dev.ferry.config.Naming;
import java.time.Duration;
import picocli.CommandLine;

/** picocli converters for Ferry's value types: a bad value is reported with the flag's name and what is wrong. */
final class Converters {
  private Converters() {}

  /** {@code 200ms}, {@code 5s}, {@code 2m}, {@code 1h} or ISO-8601. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return Durations.parse("", value);
      } catch (ConfigException e) {
        throw new CommandLine.TypeConversionException(e.problem());
      }
    }
  }

  /** {@code prefix} or {@code identity}, in any case. */
  static final class OnRecreateConverter implements CommandLine.ITypeConverter<dev.ferry.config.OnRecreate> {
    @Override
    public dev.ferry.config.OnRecreate convert(String value) {
      try {
        return dev.ferry.config.OnRecreate.parse("", value);
      } catch (ConfigException e) {
        throw new CommandLine.TypeConversionException(e.problem());
      }
    }
  }

  static final class NamingModeConverter implements CommandLine.ITypeConverter<Naming.Mode> {
    @Override
    public Naming.Mode convert(String value) {
      try {
        return Naming.Mode.parse("", value);
      } catch (ConfigException e) {
        throw new CommandLine.TypeConversionException(e.problem());
      }
    }
  }
}
