package dev.ferry.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ferry.FerryException;
import dev.ferry.config.MetricsConfig;
import dev.ferry.status.LiveStatus;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code ferry run} serves over HTTP on its metrics port: {@code /metrics} (Prometheus text format), {@code /healthz}
 * and {@code /readyz} (Kubernetes probes), {@code /status} (the flows' status as JSON, as {@code ferry status --format
 * json} writes it) and {@code /}, a page that shows that status and refreshes itself.
 */
final class StatusServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StatusServer.class);

  /** A flow of this process as the server sees it. */
  interface Flow {
    LiveStatus status();

    /** Why the flow is not alive (it failed), if it is not. */
    java.util.Optional<String> dead();

    /** Why the flow is not ready (starting, not yet a member of its group, a shard that cannot go on), if it is not. */
    java.util.Optional<String> notReady();
  }

  static final String METRICS = "/metrics";
  static final String HEALTH = "/healthz";
  static final String READY = "/readyz";
  static final String STATUS = "/status";
  static final String PAGE = "/";

  private final HttpServer server;
  private final ExecutorService executor;
  private final PrometheusMeterRegistry registry;
  private final Supplier<List<Flow>> flows;

  private StatusServer(HttpServer server, ExecutorService executor, PrometheusMeterRegistry registry, Supplier<List<Flow>> flows) {
    this.server = server;
    this.executor = executor;
    this.registry = registry;
    this.flows = flows;
  }

  /** Starts serving on the configured host and port; the meters of Ferry and of the JVM go to a Prometheus registry. */
  static StatusServer start(MetricsConfig config, Supplier<List<Flow>> flows) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(config.host(), config.port().orElseThrow()), 16);
    } catch (IOException e) {
      registry.close();
      throw new FerryException(FerryException.Reason.BAD_INPUT, "metrics.port: cannot listen on " + config.host() + ":" + config.port().getAsInt()
          + ": " + e.getMessage());
    }
    io.micrometer.core.instrument.Metrics.addRegistry(registry);
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    // a few threads: a slow client of /status or /metrics must not hold up the probes
    ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "ferry-http-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    StatusServer s = new StatusServer(server, executor, registry, flows);
    server.createContext(METRICS, x -> s.answer(x, () -> new Answer(200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape())));
    server.createContext(HEALTH, x -> s.answer(x, () -> s.probe(Flow::dead, false)));
    server.createContext(READY, x -> s.answer(x, () -> s.probe(Flow::notReady, true)));
    server.createContext(STATUS, x -> s.answer(x, s::status));
    server.createContext(PAGE, x -> s.answer(x, () -> PAGE.equals(x.getRequestURI().getPath()) ? page()
        : new Answer(404, "text/plain; charset=utf-8", "not found: " + x.getRequestURI().getPath() + " (see /, /status, /metrics, /healthz, /readyz)\n")));
    server.start();
    LOG.atInfo().log("serving metrics, health and status on http://{}:{}/", config.host(), s.port());
    return s;
  }

  int port() {
    return server.getAddress().getPort();
  }

  private record Answer(int code, String type, String body) {}

  private void answer(HttpExchange x, Supplier<Answer> what) throws IOException {
    try (x) {
      Answer a;
      if (!"GET".equals(x.getRequestMethod()) && !"HEAD".equals(x.getRequestMethod())) {
        a = new Answer(405, "text/plain; charset=utf-8", "only GET\n");
      } else {
        try {
          a = what.get();
        } catch (RuntimeException e) {
          LOG.atWarn().log("answering {} failed: {}", x.getRequestURI(), e.toString());
          a = new Answer(500, "text/plain; charset=utf-8", "failed (see the process's log)\n");
        }
      }
      byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
      x.getResponseHeaders().set("Content-Type", a.type());
      x.getResponseHeaders().set("Cache-Control", "no-store");
      boolean head = "HEAD".equals(x.getRequestMethod());
      x.sendResponseHeaders(a.code(), head ? -1 : body.length);
      if (!head) {
        try (OutputStream out = x.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  /** 200 "ok" when no flow has a reason (and, for readiness, the flows are known), else 503 with one line per reason. */
  private Answer probe(Function<Flow, java.util.Optional<String>> reason, boolean readiness) {
    List<String> lines = new ArrayList<>();
    if (readiness && flows.get().isEmpty()) {
      lines.add("starting");
    }
    for (Flow f : flows.get()) {
      reason.apply(f).ifPresent(why -> lines.add("flow " + f.status().flow().name() + ": " + why));
    }
    return lines.isEmpty() ? new Answer(200, "text/plain; charset=utf-8", "ok\n")
        : new Answer(503, "text/plain; charset=utf-8", String.join("\n", lines) + "\n");
  }

  /** The flows' last status reads; 503 while a flow has none yet. */
  private Answer status() {
    List<StatusJson> out = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (Flow f : flows.get()) {
      LiveStatus s = f.status();
      s.latest().ifPresentOrElse(snap -> out.add(StatusJson.of(snap.report(), snap.readAtMs(), java.util.Optional.of(s.local()))),
          () -> missing.add("flow " + s.flow().name() + ": no status read yet" + s.lastError().map(e -> " (" + e + ")").orElse("")));
    }
    if (!missing.isEmpty()) {
      return new Answer(503, "application/json", Json.write(java.util.Map.of("error", String.join("; ", missing))));
    }
    return new Answer(200, "application/json", Json.write(out));
  }

  private static Answer page() {
    try (InputStream in = StatusServer.class.getResourceAsStream("status.html")) {
      if (in == null) {
        throw new IllegalStateException("status.html is missing from the jar");
      }
      return new Answer(200, "text/html; charset=utf-8", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    io.micrometer.core.instrument.Metrics.removeRegistry(registry);
    registry.close();
  }
}
