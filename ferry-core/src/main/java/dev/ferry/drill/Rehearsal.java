package dev.ferry.drill;

import dev.ferry.FerryException;
import dev.ferry.client.Checkpoint;
import dev.ferry.client.FerryCheckpoints;
import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import dev.ferry.config.TopicSelection;
import dev.ferry.failback.FailbackFinish;
import dev.ferry.failback.FailbackPlan;
import dev.ferry.failback.FailbackStart;
import dev.ferry.failback.FailbackStatus;
import dev.ferry.failback.GroupsBackJob;
import dev.ferry.failover.Failover;
import dev.ferry.flow.Replicator;
import dev.ferry.kafka.ClusterProbe;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.Waits;
import dev.ferry.naming.TopicNaming;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.TopicPartition;

/**
 * The whole DR cycle rehearsed on two clusters, each phase verified: (1) replicate A -> B while a consumer group reads on
 * A; (2) disaster: A is stopped, {@code failover} moves the group to B, where it goes on; (3) outage writes on B, some
 * read by the group there; (4) A is back: failback plan, start, the group moves back first and goes on on A, producers
 * stop on B, finish drains; (5) forward again: new records on A replicate to B, nothing comes back from B. In the end
 * every committed record is on both clusters exactly once, in order per partition, and the group read every record
 * exactly once across the three switches.
 *
 * <p>The topics and the group are the rehearsal's own ({@code rehearsal-<id>.*}): on staging clusters it touches nothing
 * else, and deletes them at the end unless asked to keep them.
 */
public final class Rehearsal {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Rehearsal.class);
  static final int OUTAGE_FROM = 1_000_000;
  static final int DURING_FAILBACK_FROM = 2_000_000;
  static final int AFTER_FROM = 3_000_000;
  private static final int PER_TRANSACTION = 50;

  /** What the rehearsal does to A for its disaster: kills and restarts its brokers (local clusters), or nothing (staging). */
  public interface Primary {
    /** Stops A as a disaster would (nothing for clusters the rehearsal does not own: A is then only no longer used). */
    void fail();

    /** Brings A back. */
    void recover();
  }

  /**
   * @param records numbered records written to A's {@code orders} topic before the disaster (4 partitions)
   * @param naming the naming mode of the flow
   */
  public record Settings(int records, Naming.Mode naming, boolean keep, Duration timeout) {
    public Settings {
      if (records < 1_000) {
        throw new FerryException(FerryException.Reason.BAD_INPUT, "--records: " + records + " is too few for the rehearsal (at least 1000)");
      }
    }
  }

  /** One line of a phase's table: a topic or the group, and what was found. */
  public record Row(String what, long records, long lost, long duplicated, long reread) {}

  /** One phase and its checks. */
  public record Phase(int number, String name, List<Row> rows, List<String> notes, boolean passed) {}

  /**
   * The outcome. {@code reverseRead}: records the reverse flow read from B; {@code delta}: the outage's records it had to
   * copy back.
   */
  public record Report(String run, List<Phase> phases, long reverseRead, long delta, Optional<FailbackFinish.Report> finish) {
    public boolean passed() {
      return phases.size() == 5 && phases.stream().allMatch(Phase::passed);
    }
  }

  private final ClusterConfig a;
  private final ClusterConfig b;
  private final Settings settings;
  private final Primary primary;
  private final Consumer<Phase> onPhase;
  private final String run = "rehearsal-" + UUID.randomUUID().toString().substring(0, 6);
  private final String orders = run + ".orders";
  private final String payments = run + ".payments";
  private final String group = run + ".app";
  private final List<Phase> phases = new ArrayList<>();
  private final Set<String> readOnA = new HashSet<>();
  private final List<String> readOnB = new ArrayList<>();
  private final List<String> readBackOnA = new ArrayList<>();

  public Rehearsal(ClusterConfig a, ClusterConfig b, Settings settings, Primary primary, Consumer<Phase> onPhase) {
    this.a = a;
    this.b = b;
    this.settings = settings;
    this.primary = primary;
    this.onPhase = onPhase;
  }

  public String run() {
    return run;
  }

  public Report rehearse() {
    int n = settings.records();
    int transactions = Math.max(4, n / 10 / PER_TRANSACTION);
    FlowConfig flow = FlowConfig.builder(a, b, TopicSelection.of(Pattern.quote(run) + "\\..*", null)).name(run)
        .naming(new Naming(settings.naming(), ".")).checkpointInterval(Duration.ofMillis(500)).topicRefreshInterval(Duration.ofSeconds(1)).build();
    TopicNaming naming = TopicNaming.of(flow);
    TopicNaming back = new TopicNaming(flow.naming(), b.alias(), a.alias());
    // where the application's records are on each side: under prefix naming, A's orders is A.orders on B, and what
    // producers write to B's orders during the outage comes back as B.orders on A
    List<String> appOnA = settings.naming() == Naming.Mode.IDENTITY ? List.of(orders) : List.of(orders, back.targetTopic(orders));
    List<String> appOnB = settings.naming() == Naming.Mode.IDENTITY ? List.of(orders) : List.of(naming.targetTopic(orders), orders);
    long reverseRead = 0;
    long delta = 0;
    Optional<FailbackFinish.Report> finished = Optional.empty();
    ClusterProbe.probe(a, "source", Duration.ofSeconds(5));
    ClusterProbe.probe(b, "target", Duration.ofSeconds(5));
    try {
      // 1. replicate while the group reads on A
      Workload.createTopic(a, orders, 4, Map.of());
      Workload.createTopic(a, payments, 2, Map.of());
      Workload.plain(a, orders, 4, n, 0);
      long aborted = Workload.transactional(a, payments, 2, transactions, PER_TRANSACTION, 5);
      try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
        readOnA.addAll(AppGroup.read(a, group, appOnA, n * 6 / 10, settings.timeout()));
        r.awaitCaughtUp(settings.timeout());
        awaitCheckpoint(flow);
      }
      List<Row> rows = new ArrayList<>();
      rows.add(copied(orders + " (" + a.alias() + " -> " + b.alias() + ")", flow, orders));
      rows.add(copied(payments + " (" + a.alias() + " -> " + b.alias() + ", " + aborted + " aborted not copied)", flow, payments));
      rows.add(new Row("group " + group + " read on " + a.alias(), readOnA.size(), 0, 0, 0));
      phase(1, "replicate " + a.alias() + " -> " + b.alias() + " while a group reads on " + a.alias(), rows, List.of());

      // 2. disaster: A fails, the group fails over to B and goes on there
      primary.fail();
      Failover.Report failover = new Failover(flow, Optional.of(Pattern.compile(Pattern.quote(group))), false, false).run();
      if (failover.refused().isPresent()) {
        throw new FerryException(FerryException.Reason.FAILED, "failover refused: " + failover.refused().get());
      }
      List<String> first = AppGroup.read(b, group, appOnB, n / 5, settings.timeout());
      readOnB.addAll(first);
      phase(2, "disaster: " + a.alias() + " fails; failover to " + b.alias(), List.of(
          new Row("group " + group + " read on " + b.alias(), first.size(), 0, duplicates(first), reread(first, readOnA))),
          List.of("failover: " + failover.replication() + "; " + failover.rows().size() + " group partitions moved, " + failover.lost() + " records lost"));

      // 3. outage writes on B, some read there
      int outage = n * 2 / 5;
      if (settings.naming() == Naming.Mode.PREFIX) {
        // B's own topics of those names: what producers write to during the outage (A's are A.orders there)
        Workload.createTopic(b, orders, 4, Map.of());
        Workload.createTopic(b, payments, 2, Map.of());
      }
      Workload.plain(b, orders, 4, outage, OUTAGE_FROM);
      long abortedOnB = Workload.transactional(b, payments, 2, Math.max(2, transactions / 2), PER_TRANSACTION, 5, OUTAGE_FROM);
      List<String> more = AppGroup.read(b, group, appOnB, n / 5, settings.timeout());
      readOnB.addAll(more);
      phase(3, "outage: producers write to " + b.alias(), List.of(new Row(orders + " written on " + b.alias(), outage, 0, 0, 0),
          new Row(payments + " written on " + b.alias() + " (" + abortedOnB + " aborted)", Math.max(2, transactions / 2) * (long) PER_TRANSACTION - abortedOnB,
              0, 0, 0),
          new Row("group " + group + " read on " + b.alias(), more.size(), 0, duplicates(readOnB), reread(more, readOnA))), List.of());

      // 4. failback: A back, reverse replication of the outage only, the group moves first, producers stop, finish drains
      primary.recover();
      FailbackStart start = FailbackStart.prepare(flow);
      FailbackPlan.Plan plan = start.plan();
      List<String> notes = new ArrayList<>();
      notes.add("plan: " + plan.deltaOffsets() + " outage offsets to copy back, " + plan.divergentRecords() + " divergent records on " + a.alias());
      int during = n / 10;
      Replicator reverse = start.replicate(Replicator.Startup.FAIL_FAST);
      // as a failback start process does: it stops once finish has stopped the reverse flow
      Thread stopper = new Thread(() -> {
        try {
          reverse.awaitEnd();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        reverse.close();
      }, "ferry-" + run + "-rehearsal-failback-start");
      stopper.setDaemon(true);
      stopper.start();
      try (GroupsBackJob groups = start.moveGroups()) {
        Workload.plain(b, orders, 4, during, DURING_FAILBACK_FROM);
        awaitPositionedOnA(flow);
        List<String> onA = AppGroup.read(a, group, appOnA, n / 10, settings.timeout());
        readBackOnA.addAll(onA);
        notes.add("the group moved to " + a.alias() + " first and read " + onA.size() + " records there while the reverse flow ran");
        FailbackFinish.Report f = new FailbackFinish(flow, settings.timeout(), Duration.ofSeconds(2), d -> {}, notes::add).run();
        if (f.refused().isPresent()) {
          throw new FerryException(FerryException.Reason.FAILED, "failback finish refused: " + f.refused().get());
        }
        finished = Optional.of(f);
        reverseRead = f.readBack() + reverse.status().replication().replicatedRecords() + reverse.status().replication().filteredRecords();
        delta = outage + during + Math.max(2, transactions / 2) * (long) PER_TRANSACTION - abortedOnB;
        notes.addAll(f.atRisk());
      } finally {
        reverse.close();
      }
      List<Row> back4 = new ArrayList<>();
      back4.add(new Row("outage copied back to " + a.alias() + " (read from " + b.alias() + ": " + reverseRead + ")", delta, 0, 0, 0));
      back4.add(new Row("group " + group + " read on " + a.alias(), readBackOnA.size(), 0, duplicates(readBackOnA), reread(readBackOnA, union())));
      phase(4, "failback to " + a.alias(), back4, notes, finished.get().atRisk().isEmpty());

      // 5. forward again
      int after = n / 10;
      Workload.plain(a, orders, 4, after, AFTER_FROM);
      try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
        r.awaitCaughtUp(settings.timeout());
      }
      List<String> last = AppGroup.readToEnd(a, group, appOnA, settings.timeout());
      readBackOnA.addAll(last);
      Set<String> paymentsOnA = TopicValues.committedTransactions(payments, 0, transactions, PER_TRANSACTION, 5);
      Set<String> paymentsOnB = TopicValues.committedTransactions(payments, OUTAGE_FROM, Math.max(2, transactions / 2), PER_TRANSACTION, 5);
      phase(5, "forward again " + a.alias() + " -> " + b.alias(), verifyAll(naming, back, n, outage, during, after, paymentsOnA, paymentsOnB),
          List.of());
      return new Report(run, List.copyOf(phases), reverseRead, delta, finished);
    } finally {
      if (!settings.keep()) {
        cleanUp(flow);
      }
    }
  }

  /** The end state: each cluster holds every committed record once, in order, and the group read each once. */
  private List<Row> verifyAll(TopicNaming naming, TopicNaming back, int n, int outage, int during, int after, Set<String> paymentsOnA,
      Set<String> paymentsOnB) {
    String tx = payments;
    Set<String> allPayments = new HashSet<>(paymentsOnA);
    allPayments.addAll(paymentsOnB);
    List<Row> rows = new ArrayList<>();
    Set<String> fromA = new HashSet<>(TopicValues.numbered(orders, 0, n));
    fromA.addAll(TopicValues.numbered(orders, AFTER_FROM, after));
    Set<String> fromB = new HashSet<>(TopicValues.numbered(orders, OUTAGE_FROM, outage));
    fromB.addAll(TopicValues.numbered(orders, DURING_FAILBACK_FROM, during));
    Set<String> all = new HashSet<>(fromA);
    all.addAll(fromB);
    Map<String, Map<Integer, List<String>>> reads = new HashMap<>();
    java.util.function.BiFunction<ClusterConfig, String, Map<Integer, List<String>>> topic = (c, t) -> reads.computeIfAbsent(c.alias() + " " + t,
        k -> TopicValues.read(c, t));
    if (settings.naming() == Naming.Mode.IDENTITY) {
      rows.add(TopicValues.check(a.alias() + " " + orders, topic.apply(a, orders), all));
      rows.add(TopicValues.check(b.alias() + " " + orders, topic.apply(b, orders), all));
      rows.add(TopicValues.check(a.alias() + " " + tx, topic.apply(a, tx), allPayments));
      rows.add(TopicValues.check(b.alias() + " " + tx, topic.apply(b, tx), allPayments));
      rows.add(TopicValues.order(orders + " " + a.alias() + " vs " + b.alias(), topic.apply(a, orders), topic.apply(b, orders)));
    } else {
      String onB = naming.targetTopic(orders);
      String onA = back.targetTopic(orders);
      rows.add(TopicValues.check(a.alias() + " " + orders, topic.apply(a, orders), fromA));
      rows.add(TopicValues.check(b.alias() + " " + onB, topic.apply(b, onB), fromA));
      rows.add(TopicValues.check(b.alias() + " " + orders, topic.apply(b, orders), fromB));
      rows.add(TopicValues.check(a.alias() + " " + onA, topic.apply(a, onA), fromB));
      rows.add(TopicValues.check(a.alias() + " " + tx, topic.apply(a, tx), paymentsOnA));
      rows.add(TopicValues.check(b.alias() + " " + naming.targetTopic(tx), topic.apply(b, naming.targetTopic(tx)), paymentsOnA));
      rows.add(TopicValues.check(b.alias() + " " + tx, topic.apply(b, tx), paymentsOnB));
      rows.add(TopicValues.check(a.alias() + " " + back.targetTopic(tx), topic.apply(a, back.targetTopic(tx)), paymentsOnB));
      rows.add(TopicValues.order(orders + " " + a.alias() + " vs " + b.alias() + " " + onB, topic.apply(a, orders), topic.apply(b, onB)));
      rows.add(TopicValues.order(orders + " " + b.alias() + " vs " + a.alias() + " " + onA, topic.apply(b, orders), topic.apply(a, onA)));
    }
    List<String> everything = new ArrayList<>(readOnA);
    everything.addAll(readOnB);
    everything.addAll(readBackOnA);
    Set<String> seen = new HashSet<>(everything);
    Set<String> missing = new HashSet<>(all);
    missing.removeAll(seen);
    Set<String> unexpected = new HashSet<>(seen);
    unexpected.removeAll(all);
    rows.add(new Row("group " + group + " over " + a.alias() + " -> " + b.alias() + " -> " + a.alias(), seen.size(), missing.size(),
        everything.size() - seen.size(), unexpected.size()));
    return rows;
  }

  private Set<String> union() {
    Set<String> s = new HashSet<>(readOnA);
    s.addAll(readOnB);
    return s;
  }

  private static long duplicates(List<String> read) {
    return read.size() - new HashSet<>(read).size();
  }

  private static long reread(List<String> read, Set<String> before) {
    return read.stream().filter(before::contains).count();
  }

  private Row copied(String what, FlowConfig flow, String topic) {
    Verification v = Verifier.verify(flow, topic, settings.timeout());
    return new Row(what, v.targetRecords(), v.missing(), v.duplicated(), v.mismatched() + v.outOfOrder() + v.unexpected());
  }

  private void phase(int number, String name, List<Row> rows, List<String> notes) {
    phase(number, name, rows, notes, true);
  }

  private void phase(int number, String name, List<Row> rows, List<String> notes, boolean passed) {
    boolean ok = passed && rows.stream().allMatch(r -> r.lost() == 0 && r.duplicated() == 0 && r.reread() == 0);
    Phase p = new Phase(number, name, rows, notes, ok);
    phases.add(p);
    onPhase.accept(p);
  }

  /** Waits until the flow's checkpoint of the group holds the group's committed offsets on A (A then fails). */
  private void awaitCheckpoint(FlowConfig flow) {
    Map<TopicPartition, Long> committed = AppGroup.committed(a, group);
    long deadline = System.nanoTime() + settings.timeout().toNanos();
    while (true) {
      Map<TopicPartition, Checkpoint> cps = FerryCheckpoints.read(Clients.asMap(b), flow.name(), group, Duration.ofSeconds(10));
      Map<TopicPartition, Long> at = new HashMap<>();
      cps.values().forEach(c -> at.put(c.source(), c.sourceOffset()));
      if (at.equals(committed)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new FerryException(FerryException.Reason.FAILED, "the group's checkpoint did not reach its committed offsets within " + settings.timeout());
      }
      Waits.pause(200);
    }
  }

  /** Waits until every partition of the group has its exact position on A (the group moves first). */
  private void awaitPositionedOnA(FlowConfig flow) {
    long deadline = System.nanoTime() + settings.timeout().toNanos();
    while (true) {
      Optional<FailbackStatus.GroupRow> g = new FailbackStatus(flow).read().groups().stream().filter(r -> r.group().equals(group)).findFirst();
      if (g.isPresent() && g.get().place() == FailbackStatus.Place.POSITIONED_ON_A) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new FerryException(FerryException.Reason.FAILED, "group " + group + " was not positioned on " + a.alias() + " within " + settings.timeout()
            + (g.isPresent() ? ": " + g.get() : ""));
      }
      Waits.pause(500);
    }
  }

  /** Deletes the rehearsal's topics and groups on both clusters (best effort: what is left is named in the log). */
  private void cleanUp(FlowConfig flow) {
    for (ClusterConfig c : List.of(a, b)) {
      java.util.Properties props = Clients.admin(c);
      props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
      try (Admin admin = Admin.create(props)) {
        Set<String> topics = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true)).names().get(15, java.util.concurrent.TimeUnit.SECONDS);
        List<String> ours = topics.stream().filter(t -> t.contains(run)).toList();
        admin.deleteTopics(ours).all().get(15, java.util.concurrent.TimeUnit.SECONDS);
        List<String> groups = admin.listGroups(org.apache.kafka.clients.admin.ListGroupsOptions.forConsumerGroups()).all().get(15, java.util.concurrent.TimeUnit.SECONDS).stream().map(g -> g.groupId())
            .filter(g -> g.contains(run)).toList();
        if (!groups.isEmpty()) {
          admin.deleteConsumerGroups(groups).all().get(15, java.util.concurrent.TimeUnit.SECONDS);
        }
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        LOG.atWarn().log("the rehearsal's topics and groups ({}*) on {} were not all deleted: {}", run, c.describe(), e.toString());
      }
    }
  }
}
