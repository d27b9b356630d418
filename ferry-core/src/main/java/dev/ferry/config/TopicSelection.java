package dev.ferry.config;

import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Which source topics a flow replicates: names matching {@code include} in full and not matching {@code exclude}. */
public record TopicSelection(Pattern include, Optional<Pattern> exclude) {
  public TopicSelection {
    if (include == null) {
      throw new ConfigException("include", "is required");
    }
    exclude = exclude == null ? Optional.empty() : exclude;
  }

  public static TopicSelection of(String include, String exclude) {
    return new TopicSelection(compile("include", include), Optional.ofNullable(exclude).map(e -> compile("exclude", e)));
  }

  public boolean matches(String topic) {
    return include.matcher(topic).matches() && exclude.map(e -> !e.matcher(topic).matches()).orElse(true);
  }

  private static Pattern compile(String key, String regex) {
    if (regex == null || regex.isEmpty()) {
      throw new ConfigException(key, "must be a non-empty regular expression");
    }
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new ConfigException(key, "'" + regex + "' is not a valid regular expression: " + e.getDescription());
    }
  }

  @Override
  public String toString() {
    return "include=" + include.pattern() + exclude.map(e -> " exclude=" + e.pattern()).orElse("");
  }
}
