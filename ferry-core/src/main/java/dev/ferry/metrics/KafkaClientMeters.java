package dev.ferry.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricsReporter;

/**
 * Publishes the few Kafka client figures an operator of Ferry needs (request and fetch latency, buffer exhaustion,
 * send errors and retries, throttling) as Ferry meters tagged with the client's id; Kafka loads it through
 * {@code metric.reporters} on the shards' producers and consumers. The clients' hundreds of other figures stay out of
 * the exposition.
 */
public final class KafkaClientMeters implements MetricsReporter {
  /** What is published: Kafka's metric group and name, Ferry's name, the factor to its base unit. */
  private record Published(String group, String name, String meter, String unit, double scale) {}

  private static final List<Published> PUBLISHED = List.of(
      new Published("producer-metrics", "request-latency-avg", "producer.request.latency.avg", FerryMeters.UNIT_SECONDS, 1e-3),
      new Published("producer-metrics", "request-latency-max", "producer.request.latency.max", FerryMeters.UNIT_SECONDS, 1e-3),
      new Published("producer-metrics", "buffer-exhausted-total", "producer.buffer.exhausted", null, 1),
      new Published("producer-metrics", "bufferpool-wait-ratio", "producer.bufferpool.wait.ratio", null, 1),
      new Published("producer-metrics", "record-error-total", "producer.record.errors", null, 1),
      new Published("producer-metrics", "record-retry-total", "producer.record.retries", null, 1),
      new Published("producer-metrics", "produce-throttle-time-avg", "producer.throttle.time.avg", FerryMeters.UNIT_SECONDS, 1e-3),
      new Published("consumer-fetch-manager-metrics", "fetch-latency-avg", "consumer.fetch.latency.avg", FerryMeters.UNIT_SECONDS, 1e-3),
      new Published("consumer-fetch-manager-metrics", "fetch-latency-max", "consumer.fetch.latency.max", FerryMeters.UNIT_SECONDS, 1e-3),
      new Published("consumer-fetch-manager-metrics", "fetch-throttle-time-avg", "consumer.throttle.time.avg", FerryMeters.UNIT_SECONDS, 1e-3));

  private final Map<MetricName, Meter> meters = new ConcurrentHashMap<>();

  @Override
  public void configure(Map<String, ?> configs) {}

  @Override
  public void init(List<KafkaMetric> metrics) {
    metrics.forEach(this::metricChange);
  }

  @Override
  public void metricChange(KafkaMetric metric) {
    MetricName n = metric.metricName();
    String client = n.tags().get("client-id");
    if (client == null || n.tags().size() != 1) {
      return; // per-node, per-topic and per-partition variants stay out
    }
    for (Published p : PUBLISHED) {
      if (p.group().equals(n.group()) && p.name().equals(n.name())) {
        metricRemoval(metric);
        String name = FerryMeters.KAFKA + "." + p.meter();
        String help = "Kafka client " + n.group() + " " + n.name();
        Tags tags = Tags.of("client_id", client);
        if (n.name().endsWith("-total")) { // Kafka's cumulative counts are counters (_total)
          meters.put(n, FunctionCounter.builder(name, metric, KafkaClientMeters::value).tags(tags).description(help)
              .register(FerryMeters.registry()));
          return;
        }
        Gauge.Builder<KafkaMetric> b = Gauge.builder(name, metric, m -> value(m) * p.scale()).tags(tags).description(help).strongReference(true);
        if (p.unit() != null) {
          b.baseUnit(p.unit());
        }
        meters.put(n, b.register(FerryMeters.registry()));
        return;
      }
    }
  }

  private static double value(KafkaMetric m) {
    return m.metricValue() instanceof Number v ? v.doubleValue() : Double.NaN;
  }

  @Override
  public void metricRemoval(KafkaMetric metric) {
    Meter m = meters.remove(metric.metricName());
    if (m != null) {
      FerryMeters.registry().remove(m);
    }
  }

  @Override
  public void close() {
    meters.values().forEach(FerryMeters.registry()::remove);
    meters.clear();
  }
}
