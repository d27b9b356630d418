package dev.ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ferry.replicate.TwoClusters;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Ferry as a service. The archive, unpacked away from the source tree, runs. A running {@code ferry run --metrics-port}
 * seen from outside, as Prometheus, Kubernetes and an operator's browser see it: metrics that follow the flow (lag rising while the target is slowed by a produce quota, falling after; records at
 * risk for a group ahead of replication), every metric the dashboard and the alert rules use, the probes, the JSON
 * status, and the status page in headless Chromium. The container image holds its runtime and runs its entrypoint.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServiceIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters();

  private static final String TOPIC = "obs.orders";
  private static final String GROUP = "obs-app";
  private static final String BACKLOG = "obs.backlog";
  private static final int BACKLOG_RECORDS = 300_000;
  private static final Path DEPLOY = Path.of("..", "deploy");
  private static FerryProcess ferry;
  private static int port;
  private static Path config;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** The line a Ferry process logs once its HTTP server listens; port 0 lets the system pick, as two test classes run at once. */
  private static final Pattern SERVING = Pattern.compile("serving metrics, health and status on http://127\\.0\\.0\\.1:(\\d+)/");
  private static volatile long written;

  @BeforeAll
  static void startFerry() throws Exception {
    try (Admin a = admin(clusters.a().bootstrap())) {
      a.createTopics(List.of(new NewTopic(TOPIC, 2, (short) 1), new NewTopic(BACKLOG, 2, (short) 1))).all().get();
    }
    write(200);
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      for (int i = 0; i < BACKLOG_RECORDS; i++) { // a backlog large enough for the catch-up's progress
        producer.send(new ProducerRecord<>(BACKLOG, i % 2, null, new byte[16]));
      }
    }
    config = clusters.directory().resolve("observability.yaml");
    Files.writeString(config, """
        flows:
          - name: obs
            source: {alias: A, bootstrap: "%s"}
            target: {alias: B, bootstrap: "%s"}
            topics: 'obs\\..*'
            groups: %s
            checkpoint-interval: 1s
            topic-refresh-interval: 1s
        metrics:
          port: 0
          host: 127.0.0.1
          status-interval: 1s
        """.formatted(clusters.a().bootstrap(), clusters.b().bootstrap(), GROUP));
    ferry = FerryProcess.start(clusters.directory().resolve("logs"), "run", "--config", config.toString());
    await().atMost(Duration.ofSeconds(60)).until(() -> SERVING.matcher(ferry.output()).find() || !ferry.isAlive());
    Matcher m = SERVING.matcher(ferry.output());
    assertThat(m.find()).as(ferry.output()).isTrue();
    port = Integer.parseInt(m.group(1));
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
        .untilAsserted(() -> assertThat(get("/readyz").statusCode()).as(ferry.output()).isEqualTo(200));
  }

  @AfterAll
  static void stopFerry() throws Exception {
    if (ferry != null) {
      ferry.close();
    }
  }

  @Test
  @Order(1)
  void probesAnswerAndStatusIsTheSameJsonAsFerryStatus() throws Exception {
    assertThat(get("/healthz").body()).isEqualTo("ok\n");
    assertThat(get("/readyz").body()).isEqualTo("ok\n");
    assertThat(get("/nothing-here").statusCode()).isEqualTo(404);
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> { // 503 until the first status read
      JsonNode flows = json(get("/status").body());
      assertThat(flows.get(0).get("flow").asText()).isEqualTo("obs");
      long replicated = 0;
      for (JsonNode p : flows.get(0).get("partitions")) {
        if (p.get("topic").asText().equals(TOPIC)) {
          replicated += p.get("replicatedUpTo").asLong();
        }
      }
      assertThat(replicated).isEqualTo(written);
    });
    // the backlog at start: progress lines (not a terminal), then the end
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(ferry.output())
        .containsPattern("catching up obs: \\d+ of \\d+ records, \\d+ left")
        .containsPattern("flow obs caught up its backlog of \\d{6} records"));
    Cli.Result cli = Cli.ferry("status", "--config", config.toString(), "--format", "json");
    assertThat(cli.code()).as(cli.err()).isZero();
    JsonNode fromCli = json(cli.out()).get(0);
    assertThat(fromCli.get("partitions").size()).isEqualTo(4);
    // the server answers from its last read (every status-interval): wait until that read saw the end of the catch-up
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      JsonNode served = json(get("/status").body()).get(0);
      assertThat(fieldNames(fromCli)).isEqualTo(fieldNames(served));
      assertThat(fromCli.get("partitions").get(0).get("replicatedUpTo")).isEqualTo(served.get("partitions").get(0).get("replicatedUpTo"));
    });
    assertThat(fromCli.toString()).doesNotContain("bootstrap.servers", "sasl.jaas.config");
  }

  @Test
  @Order(2)
  void lagRisesWhileTheTargetIsSlowedAndFallsAfterAndAGroupAheadOfReplicationHasRecordsAtRisk() throws Exception {
    assertThat(lag()).isZero();
    slowTarget(true);
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer = writer(writing);
    try {
      List<Double> seen = new ArrayList<>();
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        seen.add(lag());
        int n = seen.size();
        assertThat(n >= 3 && seen.get(n - 1) > seen.get(n - 3) && seen.get(n - 1) > 1000).as(() -> "lag rising above 1000 records: " + seen + "\n" + tail(ferry.output())).isTrue();
      });
      consumeAllOnSource();
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
          assertThat(metric("ferry_group_at_risk_records", Map.of("group", GROUP))).as(() -> tail(ferry.output())).isPositive());
    } finally {
      writing.set(false);
      writer.join();
      slowTarget(false);
    }
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> lag() == 0);
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
        .until(() -> metric("ferry_group_at_risk_records", Map.of("group", GROUP)) == 0);
    assertThat(metric("ferry_replicated_records_total", Map.of())).isEqualTo(written + BACKLOG_RECORDS);
    assertThat(metric("ferry_transaction_commit_seconds_count", Map.of())).isPositive();
  }

  @Test
  @Order(3)
  void everyMetricTheDashboardAndTheAlertRulesUseIsExposed() throws Exception {
    Set<String> used = new TreeSet<>();
    collectExpressions(new ObjectMapper().readTree(DEPLOY.resolve("grafana/ferry.json").toFile()), used);
    JsonNode alerts = new ObjectMapper(new YAMLFactory()).readTree(DEPLOY.resolve("prometheus/alerts.yaml").toFile());
    collectExpressions(alerts, used);
    assertThat(used).as("metric names in the dashboard and the alert rules").hasSizeGreaterThan(10);
    int rules = 0;
    for (JsonNode g : alerts.get("groups")) {
      rules += g.get("rules").size();
    }
    assertThat(rules).isGreaterThanOrEqualTo(6);
    write(10); // latency and throughput are reported for partitions that replicated recently
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      Set<String> exposed = families(get("/metrics").body());
      assertThat(exposed).as("metrics /metrics exposes").containsAll(used);
    });
  }

  @Test
  @Order(4)
  void thePageShowsLagChangingWhileRecordsArriveAndAProblemOnceOneIsIntroduced() throws Exception {
    System.setProperty("webdriver.chrome.driver", "/usr/bin/chromedriver");
    ChromeOptions options = new ChromeOptions().setBinary("/usr/bin/chromium")
        .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1100");
    WebDriver browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile()).build(),
        options);
    slowTarget(true);
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer = null;
    try {
      browser.get("http://127.0.0.1:" + port + "/");
      By lagCell = By.cssSelector("[data-lag='" + TOPIC + "-0']");
      await().atMost(Duration.ofSeconds(30)).until(() -> !browser.findElements(lagCell).isEmpty());
      writer = writer(writing);
      Set<String> shown = new TreeSet<>();
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
        browser.findElements(lagCell).forEach(e -> shown.add(e.getText()));
        return shown.size() >= 3;
      });
      // a problem: the target topic exists with another cleanup.policy than its source
      try (Admin b = admin(clusters.b().bootstrap()); Admin a = admin(clusters.a().bootstrap())) {
        b.createTopics(List.of(new NewTopic("A.obs.compacted", 1, (short) 1).configs(Map.of("cleanup.policy", "compact")))).all().get();
        a.createTopics(List.of(new NewTopic("obs.compacted", 1, (short) 1))).all().get();
      }
      By problem = By.cssSelector("[data-problems='obs'] [data-kind='cleanup-policy-mismatch']");
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
          .until(() -> browser.findElement(problem).getText().contains("obs.compacted"));
      Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
      Files.copy(shot, Path.of("target", "status-page.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } finally {
      writing.set(false);
      if (writer != null) {
        writer.join();
      }
      slowTarget(false);
      browser.quit();
    }
  }

  private static String tail(String output) {
    return output.substring(Math.max(0, output.length() - 4000));
  }

  @Test
  @Order(5)
  void theArchiveRunsWithoutMavenOrTheSourceTree() throws Exception {
    Path archive = Path.of(System.getProperty("ferry.archive"));
    Path home = Files.createTempDirectory(clusters.directory(), "unpacked");
    assertThat(new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", home.toString()).inheritIO().start().waitFor()).isZero();
    Path bin = home.resolve(archive.getFileName().toString().replace(".tar.gz", "")).resolve("bin/ferry");
    assertThat(bin).isExecutable();
    assertThat(bin.resolveSibling("../config/ferry.yaml").normalize()).exists();
    assertThat(bin.resolveSibling("../LICENSE").normalize()).exists();
    Process version = archived(home, bin, "--version");
    String out = new String(version.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(version.waitFor()).as(out).isZero();
    assertThat(out).startsWith("ferry " + System.getProperty("ferry.version") + " (Kafka clients "
        + org.apache.kafka.common.utils.AppInfoParser.getVersion() + ")");
    Process status = archived(home, bin, "status", "--config", config.toString(), "--format", "json");
    out = new String(status.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(status.waitFor()).as(out).isZero();
    assertThat(json(out).get(0).get("flow").asText()).isEqualTo("obs");
  }

  @Test
  @Order(6)
  void theImageHoldsItsRuntimeAndRunsItsEntrypointAsItsUserWithNothingButItsLayers() throws Exception {
    Assumptions.assumeTrue(System.getProperty("os.name").equals("Linux"), "the container image is built on Linux only");
    Assumptions.assumeFalse(Boolean.getBoolean("ferry.skipImage"), "-DskipImage: no image built");
    Path image = Path.of(System.getProperty("ferry.image"));
    assertThat(image).as("built by mvn package in ferry-image").exists();
    Path unpacked = Files.createTempDirectory(clusters.directory(), "image");
    assertThat(new ProcessBuilder("tar", "-xf", image.toString(), "-C", unpacked.toString()).inheritIO().start().waitFor()).isZero();
    JsonNode manifest = json(Files.readString(unpacked.resolve("manifest.json"))).get(0);
    String version = System.getProperty("ferry.version");
    assertThat(manifest.get("RepoTags").get(0).asText()).isEqualTo("ferry:" + version)
        .as("the image the Deployment runs").isEqualTo(new ObjectMapper(new YAMLFactory())
            .readTree(DEPLOY.resolve("kubernetes/deployment.yaml").toFile()).at("/spec/template/spec/containers/0/image").asText());
    JsonNode imageConfig = json(Files.readString(unpacked.resolve(manifest.get("Config").asText()))).get("config");
    List<String> entrypoint = new ArrayList<>();
    imageConfig.get("Entrypoint").forEach(e -> entrypoint.add(e.asText()));
    assertThat(entrypoint).startsWith("java").endsWith("@/app/jib-classpath-file", "dev.ferry.cli.Ferry");
    assertThat(imageConfig.get("User").asText()).as("not root").isEqualTo("65532:65532");
    assertThat(imageConfig.get("ExposedPorts").has("9404/tcp")).as("the metrics port of the Deployment").isTrue();

    // the layers, in order, make the container's file system
    Path root = unpacked.resolve("root");
    Files.createDirectories(root);
    List<String> layers = new ArrayList<>();
    manifest.get("Layers").forEach(l -> layers.add(l.asText()));
    assertThat(layers).as("a base layer, then Jib's layers (dependencies, snapshot dependencies, resources, classes...)").hasSizeGreaterThan(2);
    for (String layer : layers) {
      assertThat(new ProcessBuilder("tar", "-xzf", unpacked.resolve(layer).toString(), "-C", root.toString()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor()).as(layer).isZero();
    }
    assertThat(root.resolve("opt/java/bin/java")).isExecutable();
    assertThat(root.resolve("app/libs/kafka-clients-" + org.apache.kafka.common.utils.AppInfoParser.getVersion() + ".jar")).exists();
    assertThat(root.resolve("app/resources/META-INF/LICENSE")).exists();
    List<String> classpath = List.of(Files.readString(root.resolve("app/jib-classpath-file")).strip().split(":"));
    assertThat(classpath).as("the classpath of the entrypoint").anyMatch(e -> e.matches("/app/libs/ferry-cli.*\\.jar"))
        .allMatch(e -> Files.exists(root.resolve(e.substring(1))))
        .as("the Kafka server jars are the drill's, not the service's").noneMatch(e -> e.contains("kafka-server") || e.contains("kafka_2."));

    // run as a container runtime would: in the image's root, as its user, with its environment, /proc mounted
    Assumptions.assumeTrue(new ProcessBuilder(hostTool("unshare"), "--mount", "--pid", "--fork", "true").redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0, "running the image's entrypoint needs unshare and chroot (root)");
    Files.createDirectories(root.resolve("proc"));
    Files.copy(config, root.resolve("home/nonroot/ferry.yaml"));
    // the files a container runtime provides: the clusters by name, resolved by the image's C library
    Files.writeString(root.resolve("etc/hosts"), "127.0.0.1 localhost\n");
    assertThat(inImage(root, imageConfig, List.of("keytool"), "-list", "-cacerts", "-storepass", "changeit"))
        .as("CA certificates for TLS to the clusters").containsPattern("Your keystore contains [1-9][0-9]* entries");
    String out = inImage(root, imageConfig, entrypoint, "--version");
    assertThat(out).startsWith("ferry " + version + " (Kafka clients " + org.apache.kafka.common.utils.AppInfoParser.getVersion() + ")");
    out = inImage(root, imageConfig, entrypoint, "status", "--config", "/home/nonroot/ferry.yaml", "--format", "json");
    assertThat(json(out).get(0).get("flow").asText()).isEqualTo("obs");

    // the service: a flow of its own, its clusters named, replicates records written with each codec whose native
    // library the image's clients unpack into /tmp (zstd and snappy to read them, lz4 to write them), and answers its
    // probes over HTTP
    String topic = "img.codecs";
    try (Admin a = admin(clusters.a().bootstrap())) {
      a.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
    for (String codec : List.of("zstd", "snappy", "gzip")) {
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, clusters.a().bootstrap());
      p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
        for (int i = 0; i < 100; i++) {
          producer.send(new ProducerRecord<>(topic, 0, null, (codec + "-" + i).repeat(20).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
      }
    }
    Files.writeString(root.resolve("home/nonroot/image.yaml"), """
        flows:
          - name: img
            source: {alias: A, bootstrap: "%s"}
            target: {alias: B, bootstrap: "%s"}
            topics: 'img\\..*'
        metrics: {port: 0, host: 127.0.0.1}
        """.formatted(clusters.a().bootstrap().replace("127.0.0.1", "localhost"), clusters.b().bootstrap().replace("127.0.0.1", "localhost")));
    Path log = Files.createTempFile(clusters.directory(), "image-run", ".log");
    Process service = imageProcess(root, imageConfig, entrypoint, "run", "--config", "/home/nonroot/image.yaml")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> SERVING.matcher(Files.readString(log)).find() || !service.isAlive());
      Matcher m = SERVING.matcher(Files.readString(log));
      assertThat(m.find()).as(Files.readString(log)).isTrue();
      int servicePort = Integer.parseInt(m.group(1));
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
          .untilAsserted(() -> assertThat(get(servicePort, StatusServer.READY).statusCode()).as(Files.readString(log)).isEqualTo(200));
      Properties c = new Properties();
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, clusters.b().bootstrap());
      c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        org.apache.kafka.common.TopicPartition copy = new org.apache.kafka.common.TopicPartition("A." + topic, 0);
        await().atMost(Duration.ofSeconds(60)).until(() -> consumer.partitionsFor(copy.topic(), Duration.ofSeconds(5)).size() == 1);
        consumer.assign(List.of(copy));
        consumer.seekToBeginning(List.of(copy));
        List<String> values = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (values.size() < 300 && System.nanoTime() < deadline) {
          consumer.poll(Duration.ofMillis(500)).forEach(r -> values.add(new String(r.value(), java.nio.charset.StandardCharsets.UTF_8)));
        }
        assertThat(values).as(Files.readString(log)).hasSize(300);
        assertThat(values.get(0)).isEqualTo("zstd-0".repeat(20));
        assertThat(values.get(150)).isEqualTo("snappy-50".repeat(20));
      }
      try (var unpackedNatives = Files.list(root.resolve("tmp"))) {
        // lz4 would fall back to Java without its native library, silently; zstd deletes its copy once loaded (the records
        // it decompressed are its proof)
        assertThat(unpackedNatives.map(f -> f.getFileName().toString()).toList()).as("native codecs unpacked in the image's /tmp")
            .anyMatch(f -> f.contains("snappy")).anyMatch(f -> f.startsWith("liblz4-java") && f.endsWith(".so"));
      }
      // SIGTERM to Ferry, as the runtime stops a container (unshare does not pass it on: it waits for its child)
      service.toHandle().children().forEach(ProcessHandle::destroy);
      assertThat(service.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();
      assertThat(service.exitValue()).as(Files.readString(log)).isIn(0, 143);
      assertThat(Files.readString(log)).as("a clean stop").contains("stopped;").doesNotContain(" ERROR ");
    } finally {
      stop(service);
    }
  }

  /**
   * Kills what {@link #imageProcess} started and all it started: the entrypoint is PID 1 of its namespace and, once
   * chroot changed its user, no longer dies with unshare.
   */
  private static void stop(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }

  /** Runs the image's entrypoint with {@code args} in {@code root} (its layers unpacked); returns its standard output. */
  private static String inImage(Path root, JsonNode imageConfig, List<String> entrypoint, String... args) throws Exception {
    Path err = Files.createTempFile(clusters.directory(), "image", ".err");
    Path out = Files.createTempFile(clusters.directory(), "image", ".out");
    Process p = imageProcess(root, imageConfig, entrypoint, args).redirectError(err.toFile()).redirectOutput(out.toFile()).start();
    try {
      assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).as("ended: " + Files.readString(err)).isTrue();
      assertThat(p.exitValue()).as(Files.readString(out) + Files.readString(err)).isZero();
      return Files.readString(out);
    } finally {
      stop(p);
    }
  }

  /**
   * The image's entrypoint with {@code args}, as a container runtime starts it: in {@code root} (its layers unpacked), as
   * its user, with its environment only, in a PID namespace of its own with /proc mounted; a signal that ends the
   * process started ends the entrypoint too.
   */
  private static ProcessBuilder imageProcess(Path root, JsonNode imageConfig, List<String> entrypoint, String... args) {
    List<String> cmd = new ArrayList<>(List.of(hostTool("unshare"), "--mount", "--pid", "--fork", "--kill-child=SIGTERM",
        "--mount-proc=" + root.resolve("proc"), hostTool("chroot"), "--userspec=" + imageConfig.get("User").asText(), root.toString()));
    cmd.addAll(entrypoint);
    cmd.addAll(List.of(args));
    ProcessBuilder b = new ProcessBuilder(cmd);
    b.environment().clear();
    imageConfig.get("Env").forEach(e -> b.environment().put(e.asText().split("=", 2)[0], e.asText().split("=", 2)[1]));
    b.environment().put("JAVA_TOOL_OPTIONS", "-Xmx128m"); // the Deployment's way to set the heap
    return b;
  }

  /** A tool of this machine by its full path (the image's environment, which runs it, has the image's PATH). */
  private static String hostTool(String name) {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
    dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
    return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, name)).filter(Files::isExecutable).findFirst()
        .orElseThrow(() -> new AssertionError(name + " not found: running the image needs it")).toString();
  }

  /** bin/ferry of the unpacked archive, run from its own directory with nothing of the build around it. */
  private static Process archived(Path home, Path bin, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(bin.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder b = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true);
    b.environment().keySet().removeIf(k -> !k.equals("PATH") && !k.equals("HOME"));
    b.environment().put("JAVA_HOME", System.getProperty("java.home"));
    b.environment().put("FERRY_JAVA_OPTS", "-Xmx128m -XX:+UseSerialGC");
    return b.start();
  }

  /** Names in every {@code expr} of a dashboard or rule file (a metric family each: histograms by their base name). */
  private static void collectExpressions(JsonNode node, Set<String> out) {
    if (node.isObject()) {
      node.properties().forEach(e -> {
        if (e.getKey().equals("expr") && e.getValue().isTextual()) {
          Matcher m = Pattern.compile("\\b((?:ferry|jvm|process)_[a-z0-9_]+)").matcher(e.getValue().asText());
          while (m.find()) {
            out.add(m.group(1).replaceAll("_(bucket|count|sum)$", ""));
          }
        } else {
          collectExpressions(e.getValue(), out);
        }
      });
    } else if (node.isArray()) {
      node.forEach(n -> collectExpressions(n, out));
    }
  }

  /** The metric families of an exposition, histograms by their base name. */
  private static Set<String> families(String exposition) {
    Set<String> out = new TreeSet<>();
    for (String line : exposition.split("\n")) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        out.add(line.split("[{ ]", 2)[0].replaceAll("_(bucket|count|sum)$", ""));
      }
    }
    return out;
  }

  /** The summed lag of the topic's partitions, from /metrics. */
  private static double lag() throws Exception {
    return metric("ferry_replication_lag_records", Map.of("topic", TOPIC));
  }

  /** The sum of a metric's samples whose labels include these. */
  private static double metric(String name, Map<String, String> labels) throws Exception {
    double sum = 0;
    boolean found = false;
    for (String line : get("/metrics").body().split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        if (labels.entrySet().stream().allMatch(l -> line.contains(l.getKey() + "=\"" + l.getValue() + "\""))) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
          found = true;
        }
      }
    }
    return found ? sum : Double.NaN;
  }

  /** Slows every client's writes to B to 2 KB/s with a default produce quota (or lifts it). */
  private static void slowTarget(boolean slow) throws Exception {
    Map<String, String> defaultClient = new HashMap<>();
    defaultClient.put(ClientQuotaEntity.CLIENT_ID, null);
    try (Admin b = admin(clusters.b().bootstrap())) {
      b.alterClientQuotas(List.of(new ClientQuotaAlteration(new ClientQuotaEntity(defaultClient),
          List.of(new ClientQuotaAlteration.Op("producer_byte_rate", slow ? 2048.0 : null))))).all().get();
    }
  }

  /** Writes 1 KiB records to the source until told to stop. */
  private static Thread writer(AtomicBoolean writing) {
    Thread t = new Thread(() -> {
      try (KafkaProducer<byte[], byte[]> producer = producer()) {
        while (writing.get()) {
          send(producer, 100);
          Thread.sleep(50); // at most 2,000 records/s: enough to outrun the quota, little to catch up afterwards
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "obs-writer");
    t.start();
    return t;
  }

  private static void write(int records) {
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      send(producer, records);
    }
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, clusters.a().bootstrap());
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, int records) {
    java.util.Random random = new java.util.Random();
    for (int i = 0; i < records; i++) {
      byte[] value = new byte[1024]; // random: a produce quota counts compressed bytes
      random.nextBytes(value);
      producer.send(new ProducerRecord<>(TOPIC, i % 2, null, value));
    }
    producer.flush();
    synchronized (ServiceIT.class) {
      written += records;
    }
  }

  /** A group on the source reads everything there and commits: it is ahead of replication while the target is slowed. */
  private static void consumeAllOnSource() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, clusters.a().bootstrap());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(TOPIC));
      long read = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (read < 1000 && System.nanoTime() < deadline) {
        read += c.poll(Duration.ofMillis(500)).count();
      }
      c.commitSync();
    }
  }

  private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return get(port, path);
  }

  private static HttpResponse<String> get(int onPort, String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + onPort + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(String text) throws IOException {
    return new ObjectMapper().readTree(text);
  }

  private static Set<String> fieldNames(JsonNode n) {
    Set<String> out = new TreeSet<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }

  private static Admin admin(String bootstrap) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    return Admin.create(p);
  }
}
