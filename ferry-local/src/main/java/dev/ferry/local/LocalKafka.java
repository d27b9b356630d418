package dev.ferry.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node KRaft Kafka cluster (combined broker and controller) running as a child JVM on loopback.
 *
 * <p>The node keeps its data directory across {@link #stop()} / {@link #start()} so a test can kill a cluster and
 * bring it back. Every process is stopped by its own pid; nothing here searches for processes by name.
 */
public final class LocalKafka implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final String name;
  private final Path dir;
  /** Chosen free when created; chosen again if another process took one before the node bound it (first start only). */
  private int brokerPort;
  private int controllerPort;
  private boolean everReady;
  private final String clusterId;
  private final Map<String, String> overrides;
  /** Users (name to password) with ACLs enforced, or empty for a plain, open cluster. */
  private final Map<String, String> saslUsers;
  /** How clients authenticate to a secured cluster. */
  private final Security security;
  /** 1 for the combined broker+controller node; 2, 3, ... for broker-only nodes added with {@link #addBroker()}. */
  private final int nodeId;
  private int brokersAdded;
  private Process process;

  private LocalKafka(String name, Path dir, Map<String, String> overrides, Map<String, String> saslUsers) {
    this(name, dir, overrides, saslUsers, Security.SASL_PLAIN);
  }

  private LocalKafka(String name, Path dir, Map<String, String> overrides, Map<String, String> saslUsers, Security security) {
    this(name, dir, overrides, saslUsers, 1, Uuid.randomUuid().toString(), freePort(), security);
  }

  private LocalKafka(String name, Path dir, Map<String, String> overrides, Map<String, String> saslUsers, int nodeId,
      String clusterId, int controllerPort) {
    this(name, dir, overrides, saslUsers, nodeId, clusterId, controllerPort, Security.SASL_PLAIN);
  }

  private LocalKafka(String name, Path dir, Map<String, String> overrides, Map<String, String> saslUsers, int nodeId,
      String clusterId, int controllerPort, Security security) {
    this.security = security;
    this.name = name;
    this.dir = dir;
    this.brokerPort = freePort();
    this.controllerPort = controllerPort;
    this.clusterId = clusterId;
    this.overrides = Map.copyOf(overrides);
    this.saslUsers = Map.copyOf(saslUsers);
    this.nodeId = nodeId;
  }

  /**
   * Adds a broker-only node (its own child JVM) to this plain cluster, for tests that need a partition on a broker
   * that can be stopped while the rest of the cluster serves. Returns it started; it is stopped like any node.
   */
  public LocalKafka addBroker() {
    if (!saslUsers.isEmpty() || nodeId != 1) {
      throw new IllegalStateException("brokers can only be added to the combined node of a plain cluster");
    }
    int id = 2 + brokersAdded++;
    LocalKafka broker = new LocalKafka(name + "-" + id, dir.resolveSibling(dir.getFileName() + "-broker-" + id), overrides,
        Map.of(), id, clusterId, controllerPort);
    broker.launch();
    broker.awaitFirstStart();
    return broker;
  }

  /** This node's id in its cluster (1 for the combined node). */
  public int nodeId() {
    return nodeId;
  }

  /** The superuser of a secured cluster. */
  public static final String ADMIN = "admin";

  /**
   * Creates (but does not start) a cluster that authenticates clients with SASL/PLAIN and authorizes them with ACLs
   * (StandardAuthorizer, nothing allowed without an ACL). {@value #ADMIN} (password {@code admin-secret}) is a
   * superuser; {@code users} maps further user names to passwords.
   */
  public static LocalKafka createSecured(String name, Path dir, Map<String, String> users) {
    Map<String, String> all = new LinkedHashMap<>(users);
    all.put(ADMIN, "admin-secret");
    return new LocalKafka(name, dir, Map.of(), all);
  }

  /** How clients authenticate to a secured cluster; every one enforces ACLs. */
  public enum Security {
    /** SASL/PLAIN over a plaintext listener. */
    SASL_PLAIN,
    /** SASL/SCRAM-SHA-512 over TLS ({@value #ADMIN} uses PLAIN over the same listener, to create the SCRAM credentials). */
    SASL_SSL_SCRAM,
    /** Mutual TLS: each user has a certificate (CN = user name), the principal is the user name. */
    MUTUAL_TLS
  }

  /**
   * Creates (but does not start) a cluster secured as {@code security}, with ACLs (nothing allowed without one).
   * {@value #ADMIN} is a superuser; {@code users} maps further user names to their passwords (for TLS, their key
   * store's password). Key stores and trust stores (PKCS12) are made with the JDK's keytool under {@code dir/tls}.
   */
  public static LocalKafka createSecured(String name, Path dir, Map<String, String> users, Security security) {
    Map<String, String> all = new LinkedHashMap<>(users);
    all.put(ADMIN, "admin-secret");
    LocalKafka k = new LocalKafka(name, dir, Map.of(), all, security);
    if (security != Security.SASL_PLAIN) {
      Tls.make(dir.resolve("tls"), all, security == Security.MUTUAL_TLS);
    }
    return k;
  }

  /** Client properties for {@code user} of a secured cluster (empty for a plain cluster). */
  public Map<String, String> clientProperties(String user) {
    if (saslUsers.isEmpty()) {
      return Map.of();
    }
    String password = saslUsers.get(user);
    if (password == null) {
      throw new IllegalArgumentException("no user " + user + " on " + name);
    }
    Path tls = dir.resolve("tls");
    return switch (security) {
      case SASL_PLAIN -> Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN", "sasl.jaas.config", jaas(user, password, ""));
      case SASL_SSL_SCRAM -> Map.of("security.protocol", "SASL_SSL",
          "sasl.mechanism", user.equals(ADMIN) ? "PLAIN" : "SCRAM-SHA-512",
          "sasl.jaas.config", user.equals(ADMIN) ? jaas(user, password, "")
              : "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\"" + password + "\";",
          "ssl.truststore.location", tls.resolve("client-trust.p12").toString(), "ssl.truststore.password", Tls.TRUST_PASSWORD,
          "ssl.truststore.type", "PKCS12");
      case MUTUAL_TLS -> Map.of("security.protocol", "SSL",
          "ssl.keystore.location", tls.resolve(user + ".p12").toString(), "ssl.keystore.password", password, "ssl.key.password", password,
          "ssl.keystore.type", "PKCS12",
          "ssl.truststore.location", tls.resolve("client-trust.p12").toString(), "ssl.truststore.password", Tls.TRUST_PASSWORD,
          "ssl.truststore.type", "PKCS12");
    };
  }

  /** Creates SCRAM credentials for every user but the admin (SASL_SSL_SCRAM clusters, once they answer). */
  private void createScramUsers() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.putAll(clientProperties(ADMIN));
    try (Admin admin = Admin.create(p)) {
      List<org.apache.kafka.clients.admin.UserScramCredentialAlteration> creds = new ArrayList<>();
      saslUsers.forEach((u, pw) -> {
        if (!u.equals(ADMIN)) {
          creds.add(new org.apache.kafka.clients.admin.UserScramCredentialUpsertion(u,
              new org.apache.kafka.clients.admin.ScramCredentialInfo(org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_512, 4096), pw));
        }
      });
      if (!creds.isEmpty()) {
        admin.alterUserScramCredentials(creds).all().get(30, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot create the SCRAM users of " + name + ": " + e.getMessage(), e);
    }
  }

  private static String jaas(String user, String password, String extra) {
    return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user + "\" password=\"" + password + "\"" + extra + ";";
  }

  /** Creates (but does not start) a cluster whose files live under {@code dir}. */
  public static LocalKafka create(String name, Path dir, Map<String, String> brokerOverrides) {
    return new LocalKafka(name, dir, brokerOverrides, Map.of());
  }

  /** Starts several clusters in parallel and waits until each answers. */
  public static List<LocalKafka> startAll(Path parent, Map<String, String> brokerOverrides, String... names) {
    List<LocalKafka> clusters = new ArrayList<>();
    try {
      for (String n : names) {
        LocalKafka k = create(n, parent.resolve(n + "-" + UUID.randomUUID().toString().substring(0, 8)), brokerOverrides);
        clusters.add(k);
        k.launch();
      }
      for (LocalKafka k : clusters) {
        k.awaitFirstStart();
      }
      return clusters;
    } catch (RuntimeException e) {
      clusters.forEach(LocalKafka::close);
      throw e;
    }
  }

  public String name() {
    return name;
  }

  public String bootstrap() {
    return "127.0.0.1:" + brokerPort;
  }

  public Path directory() {
    return dir;
  }

  public long pid() {
    Process p = process;
    return p == null ? -1 : p.pid();
  }

  public boolean isRunning() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** Starts the node and waits until it serves metadata. */
  public LocalKafka start() {
    launch();
    if (everReady) {
      awaitReady();
    } else {
      awaitFirstStart();
    }
    return this;
  }

  /**
   * Waits for a node started for the first time. Its ports were free when chosen, but another process can bind one
   * before the node does ("Address already in use"): the node is then started again on fresh ports, up to three times.
   * A node that ran before keeps its ports (clients know them).
   */
  private void awaitFirstStart() {
    for (int attempt = 1; ; attempt++) {
      try {
        awaitReady();
        everReady = true;
        if (security == Security.SASL_SSL_SCRAM) {
          createScramUsers();
        }
        return;
      } catch (PortTaken e) {
        if (attempt == 3) {
          throw e;
        }
        brokerPort = freePort();
        if (nodeId == 1) {
          controllerPort = freePort();
        }
        launch();
      }
    }
  }

  /** The node exited because a port it was given was taken by another process in the meantime. */
  private static final class PortTaken extends IllegalStateException {
    PortTaken(String message) {
      super(message);
    }
  }

  private void launch() {
    if (isRunning()) {
      return;
    }
    try {
      Files.createDirectories(dir);
      Path props = dir.resolve("server.properties");
      Files.writeString(props, serverProperties(), StandardCharsets.UTF_8);
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      List<String> cmd = new ArrayList<>();
      cmd.add(java.toString());
      cmd.add("-Xms64m");
      cmd.add("-Xmx" + System.getProperty("ferry.local.brokerHeap", "512m"));
      cmd.add("-XX:+UseSerialGC");
      cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
      cmd.add("-Dorg.slf4j.simpleLogger.logFile=System.out");
      cmd.add("-Dlog4j2.level=warn");
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(BrokerMain.class.getName());
      cmd.add(props.toString());
      cmd.add(clusterId);
      cmd.add(Long.toString(ProcessHandle.current().pid()));
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.redirectErrorStream(true);
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("broker.log").toFile()));
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start local Kafka cluster " + name, e);
    }
  }

  private void awaitReady() {
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
    p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
    if (!saslUsers.isEmpty()) {
      p.putAll(clientProperties(ADMIN));
    }
    try (Admin admin = Admin.create(p)) {
      while (true) {
        if (!process.isAlive()) {
          String message = "local Kafka cluster " + name + " exited with code " + process.exitValue() + "; see " + dir.resolve("broker.log");
          throw portTaken() ? new PortTaken(message + " (a port was taken)") : new IllegalStateException(message);
        }
        try {
          boolean registered = admin.describeCluster(new DescribeClusterOptions().timeoutMs(2000)).nodes().get(3, TimeUnit.SECONDS)
              .stream().anyMatch(n -> n.id() == nodeId);
          if (registered) {
            return;
          }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
          // not up yet
        }
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException("local Kafka cluster " + name + " did not start within " + START_TIMEOUT);
        }
        Thread.sleep(200);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting " + name, e);
    }
  }

  private boolean portTaken() {
    try {
      return Files.readString(dir.resolve("broker.log"), StandardCharsets.UTF_8).contains("Address already in use");
    } catch (IOException e) {
      return false;
    }
  }

  /** Stops the node cleanly (SIGTERM) and waits for it. Data is kept. */
  public void stop() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
    process = null;
  }

  /** Kills the node at once (SIGKILL), as a crash would. Data is kept. */
  public void kill() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /**
   * Stops the node and deletes its data (partitions, metadata log), which benchmarks make gigabytes of; the node's
   * log ({@code broker.log}) stays for whoever needs to read what happened.
   */
  @Override
  public void close() {
    stop();
    Path data = dir.resolve("data");
    if (!Files.exists(data)) {
      return;
    }
    try (var paths = Files.walk(data)) {
      for (Path path : (Iterable<Path>) paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the data of " + name + " under " + data + ": " + e.getMessage(), e);
    }
  }

  private String serverProperties() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("process.roles", nodeId == 1 ? "broker,controller" : "broker");
    p.put("node.id", Integer.toString(nodeId));
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.put("listeners", nodeId == 1 ? "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort
        : "PLAINTEXT://127.0.0.1:" + brokerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", dir.resolve("data").toString());
    p.put("num.partitions", "1");
    p.put("auto.create.topics.enable", "false");
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("log.cleaner.backoff.ms", "500");
    p.put("log.initial.task.delay.ms", "1000");
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "4");
    if (!saslUsers.isEmpty()) {
      p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
      p.put("allow.everyone.if.no.acl.found", "false");
      Path tls = dir.resolve("tls");
      switch (security) {
        case SASL_PLAIN -> {
          p.put("listeners", "SASL_PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
          p.put("advertised.listeners", "SASL_PLAINTEXT://127.0.0.1:" + brokerPort);
          p.put("inter.broker.listener.name", "SASL_PLAINTEXT");
          p.put("listener.security.protocol.map", "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
          p.put("sasl.enabled.mechanisms", "PLAIN");
          p.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
          StringBuilder users = new StringBuilder();
          saslUsers.forEach((u, pw) -> users.append(" user_").append(u).append("=\"").append(pw).append('"'));
          p.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", jaas(ADMIN, saslUsers.get(ADMIN), users.toString()));
          p.put("super.users", "User:" + ADMIN + ";User:ANONYMOUS");
        }
        case SASL_SSL_SCRAM -> {
          p.put("listeners", "SASL_SSL://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
          p.put("advertised.listeners", "SASL_SSL://127.0.0.1:" + brokerPort);
          p.put("inter.broker.listener.name", "SASL_SSL");
          p.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT");
          p.put("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512");
          p.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
          p.put("listener.name.sasl_ssl.plain.sasl.jaas.config",
              jaas(ADMIN, saslUsers.get(ADMIN), " user_" + ADMIN + "=\"" + saslUsers.get(ADMIN) + "\""));
          p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
          brokerTls(p, tls);
          p.put("super.users", "User:" + ADMIN + ";User:ANONYMOUS");
        }
        case MUTUAL_TLS -> {
          p.put("listeners", "SSL://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
          p.put("advertised.listeners", "SSL://127.0.0.1:" + brokerPort);
          p.put("inter.broker.listener.name", "SSL");
          p.put("listener.security.protocol.map", "SSL:SSL,CONTROLLER:PLAINTEXT");
          p.put("ssl.client.auth", "required");
          p.put("ssl.principal.mapping.rules", "RULE:^CN=([^,]+)$/$1/,DEFAULT");
          brokerTls(p, tls);
          p.put("super.users", "User:" + ADMIN + ";User:broker;User:ANONYMOUS");
        }
        default -> throw new IllegalStateException("unknown security " + security);
      }
    }
    p.putAll(overrides);
    StringBuilder sb = new StringBuilder();
    p.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
    return sb.toString();
  }

  private static void brokerTls(Map<String, String> p, Path tls) {
    p.put("ssl.keystore.location", tls.resolve("broker.p12").toString());
    p.put("ssl.keystore.password", Tls.BROKER_PASSWORD);
    p.put("ssl.key.password", Tls.BROKER_PASSWORD);
    p.put("ssl.keystore.type", "PKCS12");
    p.put("ssl.truststore.location", tls.resolve("broker-trust.p12").toString());
    p.put("ssl.truststore.password", Tls.TRUST_PASSWORD);
    p.put("ssl.truststore.type", "PKCS12");
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  @Override
  public String toString() {
    return "LocalKafka[" + name + " " + bootstrap() + " pid " + pid() + "]";
  }
}
