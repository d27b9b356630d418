package dev.ferry.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Binds a YAML configuration to {@link FerryConfig} with Jackson: the records validate themselves in their constructors,
 * unknown keys are rejected, and every error names its full key path ({@code flows[0].target.bootstrap}) from the
 * binding's own path. The format is in docs/configuration.md.
 */
public final class ConfigLoader {
  private static final ObjectMapper YAML = YAMLMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
      // a whole number may be quoted; true and false may not (0 is not false), and an empty value is not a default
      .withCoercionConfig(LogicalType.Boolean, c -> c.setCoercion(CoercionInputShape.String, CoercionAction.Fail)
          .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail).setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail))
      .withCoercionConfig(LogicalType.Integer, c -> c.setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail))
      .addModule(new SimpleModule("ferry-config")
          .addDeserializer(Duration.class, new DurationDeserializer())
          .addDeserializer(TopicSelection.class, new TopicSelectionDeserializer()))
      .build();

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

  /**
   * The parser's problem without the excerpts of the file it quotes (indented lines under "in 'reader', line N"): the
   * offending line may hold a secret (a password, a JAAS line), and the error is one line.
   */
  static String problemWithoutSnippets(String message) {
    if (message == null) {
      return "syntax error";
    }
    return java.util.Arrays.stream(message.split("\\R")).filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
        .collect(java.util.stream.Collectors.joining("; "));
  }

  public static FerryConfig parse(String yaml, String origin) {
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new ConfigException("", origin + " is not valid YAML" + where + ": " + problemWithoutSnippets(e.getOriginalMessage()));
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      throw new ConfigException("flows", "is required (the file " + origin + " is empty)");
    }
    rejectUnknownKeys(root, YAML.constructType(FerryConfig.class), "");
    try {
      return YAML.treeToValue(root, FerryConfig.class);
    } catch (UnrecognizedPropertyException e) {
      Set<String> allowed = new TreeSet<>();
      e.getKnownPropertyIds().forEach(id -> allowed.add(id.toString()));
      throw new ConfigException(path(e), "unknown key (allowed: " + String.join(", ", allowed) + ")");
    } catch (JsonMappingException e) {
      throw explain(e, root);
    } catch (JsonProcessingException e) {
      throw new ConfigException("", origin + ": " + e.getOriginalMessage());
    }
  }

  /**
   * Rejects keys the bound records do not have, before binding: Jackson reports an unknown key only after it built the
   * object around it, so a typo of a required key would show as the key "is required" instead of as the typo.
   */
  private static void rejectUnknownKeys(JsonNode node, JavaType type, String path) {
    Class<?> raw = type.getRawClass();
    if (type.isCollectionLikeType() && node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        if (node.get(i).isNull()) {
          throw new ConfigException(path + "[" + i + "]", "must be a mapping of keys to values");
        }
        rejectUnknownKeys(node.get(i), type.getContentType(), path + "[" + i + "]");
      }
      return;
    }
    if (type.isMapLikeType() && node.isObject()) {
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        if (!e.getValue().isValueNode() || e.getValue().isNull()) {
          throw new ConfigException(path + "." + e.getKey(), "must be a single value");
        }
      }
      return;
    }
    if (!node.isObject() || !raw.isRecord() || !raw.getPackageName().equals(ConfigLoader.class.getPackageName())
        || raw == TopicSelection.class) {
      return; // a value, a map of free keys, or bound by a deserializer of its own
    }
    Map<String, JavaType> keys = new TreeMap<>();
    for (BeanPropertyDefinition p : YAML.getDeserializationConfig().introspect(type).findProperties()) {
      if (p.getConstructorParameter() != null) {
        keys.put(p.getName(), p.getConstructorParameter().getType());
      }
    }
    for (Map.Entry<String, JsonNode> f : node.properties()) {
      String key = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
      JavaType t = keys.get(f.getKey());
      if (t == null) {
        throw new ConfigException(key, "unknown key (allowed: " + String.join(", ", keys.keySet()) + ")");
      }
      rejectUnknownKeys(f.getValue(), t, key);
    }
  }

  /** A binding error as a {@link ConfigException} at its key path. */
  private static ConfigException explain(JsonMappingException e, JsonNode root) {
    String path = path(e);
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof ConfigException ce) {
        return ce.under(path); // thrown by a record's constructor or a deserializer below the path
      }
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof InputCoercionException c) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\(([^)]*)\\)").matcher(c.getOriginalMessage());
        return new ConfigException(path, (m.find() ? "'" + m.group(1) + "' " : "") + "is out of range for a whole number here");
      }
    }
    if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
      JsonNode given = root;
      for (JsonMappingException.Reference r : e.getPath()) {
        given = given == null ? null : r.getFieldName() != null ? given.get(r.getFieldName()) : given.get(r.getIndex());
      }
      String value = given != null && given.isValueNode() && !given.isNull() ? "'" + given.asText() + "' " : "";
      return new ConfigException(path, value + expected(m.getTargetType()));
    }
    return new ConfigException(path, e.getOriginalMessage());
  }

  private static String expected(Class<?> type) {
    if (type == Integer.class || type == int.class || type == Short.class || type == short.class) {
      return "must be a whole number";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "must be true or false";
    }
    if (type == String.class) {
      return "must be a single value";
    }
    if (Collection.class.isAssignableFrom(type)) {
      return "must be a list";
    }
    return "must be a mapping of keys to values";
  }

  /** {@code flows[0].target.bootstrap} from the binding's path. */
  private static String path(JsonMappingException e) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        b.append(b.length() == 0 ? "" : ".").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.toString();
  }

  /** Durations as operators write them ({@link Durations}). */
  private static final class DurationDeserializer extends JsonDeserializer<Duration> {
    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      JsonNode n = p.readValueAsTree();
      if (!n.isValueNode()) {
        throw new ConfigException("", "must be a duration such as 200ms, 5s, 2m");
      }
      return Durations.parse("", n.asText());
    }
  }

  /** A topic or group selection: one regular expression, or {@code {include: .., exclude: ..}}. */
  private static final class TopicSelectionDeserializer extends JsonDeserializer<TopicSelection> {
    private static final Set<String> KEYS = Set.of("include", "exclude");

    @Override
    public TopicSelection deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      JsonNode n = p.readValueAsTree();
      if (n.isTextual()) {
        return TopicSelection.of(n.asText(), null);
      }
      if (!n.isObject()) {
        throw new ConfigException("", "must be a regular expression or a mapping with include and exclude");
      }
      for (Iterator<String> keys = n.fieldNames(); keys.hasNext(); ) {
        String k = keys.next();
        if (!KEYS.contains(k)) {
          throw new ConfigException(k, "unknown key (allowed: exclude, include)");
        }
      }
      Map<String, String> values = KEYS.stream().filter(k -> n.hasNonNull(k))
          .collect(Collectors.toMap(k -> k, k -> scalar(n.get(k), k)));
      return TopicSelection.of(values.get("include"), values.get("exclude"));
    }

    private static String scalar(JsonNode v, String key) {
      if (!v.isValueNode()) {
        throw new ConfigException(key, "must be a single value");
      }
      return v.asText();
    }
  }
}
