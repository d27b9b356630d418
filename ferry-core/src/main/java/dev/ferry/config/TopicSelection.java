package dev.ferry.config;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
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

  /**
   * The topic names the selection spells out: each alternative of {@code include} made of topic-name characters only
   * (letters, digits, '.', '_', '-'; a '.' is read as itself) that {@link #matches(String)} accepts. Empty for a selection
   * by pattern. Such a name missing on the source is worth saying: the topic may not exist, or Ferry's user may not see it.
   */
  public Set<String> literalNames() {
    Set<String> out = new TreeSet<>();
    for (String alternative : include.pattern().split("\\|", -1)) {
      if (!TOPIC_NAME.matcher(alternative).matches()) {
        return Set.of();
      }
      if (matches(alternative)) {
        out.add(alternative);
      }
    }
    return out;
  }

  private static final Pattern TOPIC_NAME = Pattern.compile("[A-Za-z0-9._-]+");

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
