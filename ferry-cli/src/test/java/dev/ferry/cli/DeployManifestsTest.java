package dev.ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests and the archive's example config fit what Ferry serves and reads: probes on the paths and
 * port Ferry serves them on, a config that loads, credentials only from the Secret, a monitor on the metrics port.
 */
class DeployManifestsTest {
  private static final Path DEPLOY = Path.of("..", "deploy", "kubernetes");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static Map<String, JsonNode> byKind() throws IOException {
    Map<String, JsonNode> out = new HashMap<>();
    try (var files = Files.list(DEPLOY)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        try (var docs = YAML.readerFor(JsonNode.class).readValues(f.toFile())) {
          while (docs.hasNext()) {
            JsonNode d = (JsonNode) docs.next();
            out.put(d.get("kind").asText(), d);
          }
        }
      }
    }
    return out;
  }

  @Test
  void probesAndTheMonitorUseThePathsAndThePortFerryServes() throws IOException {
    Map<String, JsonNode> k = byKind();
    assertThat(k).containsKeys("ConfigMap", "Secret", "Deployment", "PodMonitor", "Kustomization");
    FerryConfig config = ConfigLoader.parse(k.get("ConfigMap").get("data").get("ferry.yaml").asText(), "configmap.yaml");
    int port = config.metrics().port().orElseThrow();
    JsonNode pod = k.get("Deployment").get("spec").get("template");
    JsonNode container = pod.get("spec").get("containers").get(0);
    Map<String, Integer> ports = new HashMap<>();
    container.get("ports").forEach(p -> ports.put(p.get("name").asText(), p.get("containerPort").asInt()));
    assertThat(ports).containsEntry("metrics", port);
    assertThat(container.get("livenessProbe").get("httpGet").get("path").asText()).isEqualTo(StatusServer.HEALTH);
    assertThat(container.get("startupProbe").get("httpGet").get("path").asText()).isEqualTo(StatusServer.HEALTH);
    assertThat(container.get("readinessProbe").get("httpGet").get("path").asText()).isEqualTo(StatusServer.READY);
    for (String probe : new String[] {"livenessProbe", "readinessProbe", "startupProbe"}) {
      assertThat(container.get(probe).get("httpGet").get("port").asText()).as(probe).isEqualTo("metrics");
    }
    JsonNode endpoint = k.get("PodMonitor").get("spec").get("podMetricsEndpoints").get(0);
    assertThat(endpoint.get("port").asText()).isEqualTo("metrics");
    assertThat(endpoint.get("path").asText()).isEqualTo(StatusServer.METRICS);
    assertThat(k.get("PodMonitor").get("spec").get("selector").get("matchLabels")).isEqualTo(pod.get("metadata").get("labels"));
    assertThat(k.get("Deployment").get("spec").get("selector").get("matchLabels")).isEqualTo(pod.get("metadata").get("labels"));
    assertThat(container.get("args").toString()).contains("\"run\"", "/etc/ferry/ferry.yaml");
    assertThat(pod.get("spec").get("volumes").get(0).get("configMap").get("name").asText()).isEqualTo(k.get("ConfigMap").get("metadata").get("name").asText());
  }

  @Test
  void aReadOnlyRootFileSystemLeavesTmpWritableForTheCodecsNativeLibraries() throws IOException {
    JsonNode spec = byKind().get("Deployment").get("spec").get("template").get("spec");
    JsonNode container = spec.get("containers").get(0);
    assertThat(container.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
    if (container.at("/securityContext/readOnlyRootFilesystem").asBoolean()) {
      String tmp = null;
      for (JsonNode m : container.get("volumeMounts")) {
        if (m.get("mountPath").asText().equals("/tmp")) {
          tmp = m.get("name").asText();
          assertThat(m.path("readOnly").asBoolean()).as("/tmp read-only").isFalse();
        }
      }
      assertThat(tmp).as("a volume on /tmp: snappy, zstd and lz4 unpack their native libraries there").isNotNull();
      boolean emptyDir = false;
      for (JsonNode v : spec.get("volumes")) {
        emptyDir |= v.get("name").asText().equals(tmp) && v.has("emptyDir");
      }
      assertThat(emptyDir).as("/tmp is an emptyDir").isTrue();
    }
  }

  @Test
  void credentialsComeOnlyFromTheSecret() throws IOException {
    Map<String, JsonNode> k = byKind();
    String ferryYaml = k.get("ConfigMap").get("data").get("ferry.yaml").asText();
    Set<String> referenced = envReferences(ferryYaml);
    assertThat(referenced).contains("FERRY_SOURCE_PASSWORD", "FERRY_TARGET_PASSWORD");
    assertThat(ferryYaml).doesNotContainPattern("password=\"[^$]");
    Set<String> secretKeys = new HashSet<>();
    k.get("Secret").get("stringData").fieldNames().forEachRemaining(secretKeys::add);
    assertThat(secretKeys).containsAll(referenced);
    JsonNode container = k.get("Deployment").get("spec").get("template").get("spec").get("containers").get(0);
    assertThat(container.get("envFrom").get(0).get("secretRef").get("name").asText()).isEqualTo(k.get("Secret").get("metadata").get("name").asText());
  }

  @Test
  void theArchivesExampleConfigLoads() throws IOException {
    Path example = Path.of("..", "ferry-dist", "src", "main", "dist", "config", "ferry.yaml");
    FerryConfig config = ConfigLoader.parse(Files.readString(example), example.toString());
    assertThat(config.flows()).hasSize(1);
    assertThat(config.metrics().port()).hasValue(9404);
    assertThat(Files.readString(example)).doesNotContainPattern("password=\"[^$]");
  }

  private static Set<String> envReferences(String text) {
    Set<String> out = new HashSet<>();
    Matcher m = Pattern.compile("\\$\\{env:([A-Z_]+)}").matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
