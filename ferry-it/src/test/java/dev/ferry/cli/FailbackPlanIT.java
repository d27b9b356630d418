package dev.ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.config.ClusterConfig;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import dev.ferry.config.TopicSelection;
import dev.ferry.drill.Verifier;
import dev.ferry.drill.Workload;
import dev.ferry.failback.FailbackPlan;
import dev.ferry.failback.FailbackStart;
import dev.ferry.flow.Replicator;
import dev.ferry.groups.ResumeCheck;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.ClusterHealth;
import dev.ferry.provenance.ProvenanceCodec;
import dev.ferry.replicate.TargetValues;
import dev.ferry.replicate.TwoClusters;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A failback from the command line, with 1,000 records written on the primary after the flow's last copy (the
 * divergence). {@code plan}: the outage delta starts in each partition exactly where the flow's writes ended, the
 * divergent records are listed per partition and counted, the group that moves back is shown where it stands; refused
 * before the failover and with the primary down (exit 4), changing nothing. {@code start} copies the outage only and
 * moves the group exactly. {@code finish} is refused before start, with the primary down and while producers write;
 * {@code status} shows the group positioned; {@code finish} drains, lists the divergence and the group past it (exit 3);
 * the divergent records then reach the target, and nothing is deleted.
 */
class FailbackPlanIT {
  @RegisterExtension
  static final TwoClusters clusters = new TwoClusters();

  @Test
  void planShowsDeltaDivergenceAndGroupsAndIsRefusedBeforeTheFailoverOrWithThePrimaryDown() throws Exception {
    ClusterConfig a = clusters.clusterA();
    ClusterConfig b = clusters.clusterB();
    Workload.createTopic(a, "fb", 2, Map.of());
    Workload.plain(a, "fb", 2, 1_000, 0);
    try (KafkaConsumer<byte[], byte[]> c = ResumeCheck.groupConsumer(a, "app")) {
      c.commitSync(Map.of(new TopicPartition("fb", 0), new OffsetAndMetadata(300), new TopicPartition("fb", 1), new OffsetAndMetadata(300)));
    }
    FlowConfig flow = FlowConfig.builder(a, b, TopicSelection.of("fb|fb-new", null)).name("fb").naming(new Naming(Naming.Mode.IDENTITY, ".")).shards(1)
        .checkpointInterval(Duration.ofMillis(500)).build();
    try (Replicator r = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      r.awaitCaughtUp(Duration.ofSeconds(60));
    }
    // written on the primary after the flow stopped: they never reach the target before the outage
    Map<TopicPartition, Long> before = ends(a);
    Workload.plain(a, "fb", 2, 1_000, 500_000);
    Map<TopicPartition, Long> after = ends(a);

    Cli.Result early = Cli.ferry(args("failback", "plan"));
    assertThat(early.code()).as(early.out() + early.err()).isEqualTo(ExitCodes.REFUSED);
    assertThat(early.out()).contains("RESULT: refused (exit 4): flow fb has not failed over to B", "run ferry failover first");
    Cli.Result earlyStart = Cli.ferry(args("failback", "start"));
    assertThat(earlyStart.code()).as(earlyStart.out() + earlyStart.err()).isEqualTo(ExitCodes.REFUSED);
    assertThat(earlyStart.err().strip()).startsWith("ferry: failback start refused: flow fb has not failed over").doesNotContain("\n");

    Cli.Result failover = Cli.ferry(args("failover"));
    assertThat(failover.code()).as(failover.out() + failover.err()).isZero();
    Cli.Result finishFirst = Cli.ferry(args("failback", "finish"));
    assertThat(finishFirst.code()).as(finishFirst.out() + finishFirst.err()).isEqualTo(ExitCodes.REFUSED);
    assertThat(finishFirst.err().strip()).startsWith("ferry: failback finish refused: no failback of flow fb has started")
        .contains("run ferry failback start first").doesNotContain("\n");
    Workload.plain(b, "fb", 2, 300, 1_000_000); // the outage: producers write to the target
    // and to a compacted topic created there meanwhile, which A does not have
    Workload.createTopic(b, "fb-new", 1, Map.of("cleanup.policy", "compact", "max.message.bytes", "2000000"));
    Workload.plain(b, "fb-new", 1, 10, 1); // keyed (record 0 has no key, which a compacted topic refuses)

    FailbackPlan.Plan plan = new FailbackPlan(flow).plan();
    assertThat(plan.refused()).isEmpty();
    assertThat(plan.health()).extracting(ClusterHealth.Check::name).containsExactly("brokers", "controller quorum", "partitions", "disk");
    assertThat(plan.health()).allMatch(ClusterHealth.Check::ok);
    Map<TopicPartition, Long> targetEnds = ends(b);
    assertThat(plan.delta()).hasSize(3);
    assertThat(plan.delta()).filteredOn(d -> d.onB().topic().equals("fb-new")).singleElement()
        .satisfies(d -> assertThat(List.of(d.start(), d.end())).as("all of it is the outage's").containsExactly(0L, 10L));
    for (FailbackPlan.DeltaRow d : plan.delta().stream().filter(d -> d.onB().topic().equals("fb")).toList()) {
      assertThat(d.onA()).isEqualTo(d.onB());
      assertThat(d.end()).isEqualTo(targetEnds.get(d.onB()));
      List<String[]> records = read(b, d.onB());
      // below the start: only what the flow replicated; from it: only the outage's records, the first at the start or
      // right after the flow's last commit marker
      assertThat(records.stream().filter(rec -> Long.parseLong(rec[0]) < d.start())).allMatch(rec -> rec[2].equals("replicated"));
      List<String[]> from = records.stream().filter(rec -> Long.parseLong(rec[0]) >= d.start()).toList();
      assertThat(from).hasSize(150).allMatch(rec -> rec[2].equals("local") && rec[1].startsWith("fb-1"));
      assertThat(Long.parseLong(from.get(0)[0])).isBetween(d.start(), d.start() + 1);
    }
    assertThat(plan.deltaOffsets()).isBetween(310L, 312L);
    assertThat(plan.divergence()).hasSize(2);
    for (FailbackPlan.DivergenceRow d : plan.divergence()) {
      assertThat(d.from()).isEqualTo(before.get(d.onA()));
      assertThat(d.to()).isEqualTo(after.get(d.onA()));
      assertThat(d.records()).isEqualTo(500);
    }
    assertThat(plan.groups()).singleElement().satisfies(g -> {
      assertThat(g.group()).isEqualTo("app");
      assertThat(g.membersOnB()).isZero();
      assertThat(g.positions()).containsOnlyKeys(new TopicPartition("fb", 0), new TopicPartition("fb", 1));
    });

    Cli.Result table = Cli.ferry(args("failback", "plan"));
    assertThat(table.code()).as(table.out() + table.err()).isZero();
    System.out.println(table.out()); // the sample in docs/operations.md
    assertThat(table.out()).contains("Failback plan for flow fb: back from B", "ok    controller quorum", "fb-0", "fb-1",
        "Divergence: records on A (" + a.bootstrap() + ") that never reached B", "offsets " + before.get(new TopicPartition("fb", 0)) + "..",
        "500 records", "app", "inactive:", "RESULT: ready; ferry failback start is next");
    assertThat(ends(b)).as("the plan changes nothing").isEqualTo(targetEnds);
    Cli.Result json = Cli.ferry(args("failback", "plan", "--format", "json"));
    assertThat(json.out()).contains("\"divergence\"", "\"records\" : 500");

    // failback start: the reverse flow reads only the delta (nothing before it, so nothing of A's own records to
    // skip), copies the outage's records to A once each, and keeps what diverged
    FailbackStart start = FailbackStart.prepare(flow);
    assertThat(start.plan().delta()).isEqualTo(plan.delta());
    try (Replicator back = start.replicate(Replicator.Startup.FAIL_FAST)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> TargetValues.counts(a, "fb").size() == 2_300);
      back.awaitCaughtUp(Duration.ofSeconds(60));
      assertThat(back.status().replication().replicatedRecords()).isEqualTo(310);
      assertThat(back.status().replication().filteredRecords()).as("no record of A's was even read").isZero();
    }
    // the group moves back: one partition inside the outage's records, the other inside the data that came from A
    TopicPartition p0 = new TopicPartition("fb", 0);
    TopicPartition p1 = new TopicPartition("fb", 1);
    List<String[]> b0 = read(b, p0);
    String[] outageRecord = b0.stream().filter(rec -> rec[2].equals("local")).skip(50).findFirst().orElseThrow();
    long at0 = Long.parseLong(outageRecord[0]);
    try (KafkaConsumer<byte[], byte[]> c = ResumeCheck.groupConsumer(b, "app")) {
      c.commitSync(Map.of(p0, new OffsetAndMetadata(at0), p1, new OffsetAndMetadata(400)));
    }
    // ferry failback start (again: the reverse flow goes on from its progress) keeps the group positioned on A
    Map<TopicPartition, Long> appOnA = new HashMap<>();
    try (FerryProcess back = FerryProcess.start(clusters.directory(), args("failback", "start", "--checkpoint-interval", "500ms"));
        Admin aAdmin = Admin.create(Clients.admin(a))) {
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        assertThat(back.isAlive()).as(back.output()).isTrue();
        appOnA.clear();
        aAdmin.listConsumerGroupOffsets("app").partitionsToOffsetAndMetadata().get().forEach((tp, om) -> appOnA.put(tp, om.offset()));
        assertThat(appOnA.get(p0)).as("moved past the 300 it had on A before the outage").isGreaterThan(1_000);
        assertThat(appOnA.get(p1)).isEqualTo(400);
      });
      assertThat(back.terminate()).as(back.output()).isIn(0, 143);
      assertThat(back.output()).contains("failback of flow fb: replicating B", "as flow fb-failback", "group app at " + at0 + " on fb-0 is at ");
    }
    // the topic that exists only on B was created on A with B's configs, not A's defaults, and holds its 10 records
    try (Admin aAdmin = Admin.create(Clients.admin(a))) {
      org.apache.kafka.common.config.ConfigResource r = new org.apache.kafka.common.config.ConfigResource(
          org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "fb-new");
      org.apache.kafka.clients.admin.Config c = aAdmin.describeConfigs(List.of(r)).all().get().get(r);
      assertThat(c.get("cleanup.policy").value()).isEqualTo("compact");
      assertThat(c.get("max.message.bytes").value()).isEqualTo("2000000");
    }
    assertThat(TargetValues.counts(a, "fb-new").keySet()).isEqualTo(TargetValues.written("fb-new", 1, 10));
    List<String[]> a0 = read(a, p0);
    List<String[]> a1 = read(a, p1);
    assertThat(valueAt(a0, appOnA.get(p0))).as("the next record on A is the next outage record the group had not read on B")
        .isEqualTo(outageRecord[1]);
    List<String> readOnB = b0.stream().filter(rec -> rec[2].equals("local")).limit(50).map(rec -> rec[1]).toList();
    assertThat(a0.stream().filter(rec -> Long.parseLong(rec[0]) < appOnA.get(p0)).map(rec -> rec[1]))
        .as("the outage records it read on B lie before it on A: none is read twice").containsAll(readOnB).doesNotContain(outageRecord[1]);
    assertThat(valueAt(a1, appOnA.get(p1))).as("inside A's own data: the same record as at 400 on B").isEqualTo(valueAt(read(b, p1), 400));

    Map<String, Long> onA = TargetValues.counts(a, "fb");
    assertThat(onA.values()).as("each record once").allMatch(n -> n == 1);
    assertThat(onA.keySet()).containsAll(TargetValues.written("fb", 0, 1_000)).containsAll(TargetValues.written("fb", 500_000, 1_000))
        .containsAll(TargetValues.written("fb", 1_000_000, 300));

    // with A down, finish is refused with the plan's reason, and nothing changes
    clusters.a().stop();
    Cli.Result finishDown = Cli.ferry(args("failback", "finish", "--quiet", "1s"));
    assertThat(finishDown.code()).as(finishDown.out() + finishDown.err()).isEqualTo(ExitCodes.REFUSED);
    assertThat(finishDown.err().strip()).startsWith("ferry: failback finish refused: A (" + a.bootstrap() + ") is not ready to take traffic back")
        .doesNotContain("\n");
    clusters.a().start();

    // status: the reverse flow's lag (none left), the group positioned on A, the divergence
    Cli.Result status = Cli.ferry(args("failback", "status"));
    assertThat(status.code()).as(status.out() + status.err()).isZero();
    System.out.println(status.out()); // the sample in docs/operations.md
    assertThat(status.out()).contains("Failback of flow fb (B", "failback started at", "app", "positioned on A", "offsets " + before.get(p0) + "..",
        "500 records").containsPattern("total: 31[0-2] offsets copied back, 0 left"); // the records and the forward flow's last markers
    Cli.Result statusJson = Cli.ferry(args("failback", "status", "--format", "json"));
    assertThat(statusJson.out()).contains("\"place\" : \"POSITIONED_ON_A\"", "\"lagRecords\" : 0", "\"phase\" : \"STARTED\"");

    // finish while producers still write to B: refused after --timeout, saying which topic, nothing changed
    java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread producer = new Thread(() -> {
      for (int i = 0; writing.get(); i++) {
        Workload.plain(b, "fb", 2, 20, 2_000_000 + i * 20);
      }
    });
    producer.start();
    Cli.Result busy;
    try {
      busy = Cli.ferry(args("failback", "finish", "--timeout", "3s", "--quiet", "1s"));
    } finally {
      writing.set(false);
      producer.join();
    }
    assertThat(busy.code()).as(busy.out() + busy.err()).isEqualTo(ExitCodes.REFUSED);
    assertThat(busy.err().strip()).startsWith("ferry: failback finish refused: records are still arriving on B").contains("fb (+")
        .contains("nothing was changed").doesNotContain("\n");
    assertThat(Cli.ferry(args("failback", "status")).out()).as("still under way").contains("failback started at");

    // finish: drains what the producer wrote meanwhile, stops the reverse flow, moves the group, re-arms the flow; the
    // group stands past fb-0's divergent records (it read outage records there on B), so: done with data at risk
    Cli.Result finish = Cli.ferry(args("failback", "finish", "--quiet", "1s"));
    System.out.println(finish.out()); // the sample in docs/operations.md
    assertThat(finish.code()).as(finish.out() + finish.err()).isEqualTo(ExitCodes.DATA_AT_RISK);
    assertThat(finish.out()).contains("Failback of flow fb finished: reverse replication", "fenced", "app", "fb-1", "400",
        "group app is positioned past 500 records of fb-0", "RESULT: done with data at risk (exit 3)");
    assertThat(TargetValues.counts(a, "fb").values()).as("what producers wrote during the refused finish is on A, once").allMatch(n -> n == 1);
    assertThat(TargetValues.counts(a, "fb").keySet()).as("every record on B is on A").containsAll(TargetValues.counts(b, "fb").keySet());
    // forward again: the divergent records reach B, once each, and nothing that came from B goes back
    try (Replicator forward = Replicator.start(flow, Replicator.Startup.FAIL_FAST)) {
      forward.awaitCaughtUp(Duration.ofSeconds(60));
      assertThat(forward.status().replication().replicatedRecords()).as("the divergent records, nothing else").isEqualTo(1_000);
    }
    Map<String, Long> onB = TargetValues.counts(b, "fb");
    assertThat(onB.values()).allMatch(n -> n == 1);
    assertThat(onB.keySet()).containsAll(TargetValues.written("fb", 500_000, 1_000));
    assertThat(TargetValues.counts(a, "fb").keySet()).as("nothing deleted on A").containsAll(TargetValues.written("fb", 500_000, 1_000));
    Cli.Result again = Cli.ferry(args("failback", "finish"));
    assertThat(again.code()).as(again.out() + again.err()).isZero();
    assertThat(again.out()).contains("finished already");
    Cli.Result startAfter = Cli.ferry(args("failback", "start"));
    assertThat(startAfter.code()).as(startAfter.out() + startAfter.err()).isEqualTo(ExitCodes.REFUSED);
    assertThat(startAfter.err()).contains("has not failed over since its failback finished at", "ferry run of the flow replicates it again");
  }

  private static Map<TopicPartition, Long> ends(ClusterConfig c) throws Exception {
    try (Admin admin = Admin.create(Clients.admin(c))) {
      Map<TopicPartition, OffsetSpec> req = Map.of(new TopicPartition("fb", 0), OffsetSpec.latest(), new TopicPartition("fb", 1), OffsetSpec.latest());
      Map<TopicPartition, Long> out = new HashMap<>();
      admin.listOffsets(req).all().get().forEach((tp, i) -> out.put(tp, i.offset()));
      return out;
    }
  }

  /** Offset, value and "replicated" (a provenance header) or "local" of every record of one partition. */
  private static List<String[]> read(ClusterConfig c, TopicPartition tp) {
    List<String[]> out = new ArrayList<>();
    Verifier.readAll(c, tp.topic(), Duration.ofSeconds(60), (p, r) -> {
      if (p.equals(tp)) {
        out.add(new String[] {Long.toString(r.offset()), new String(r.value(), StandardCharsets.UTF_8),
            ProvenanceCodec.read(r.headers()) == null ? "local" : "replicated"});
      }
    });
    return out;
  }

  /** The value of the first record at or after {@code offset}. */
  private static String valueAt(List<String[]> records, long offset) {
    return records.stream().filter(rec -> Long.parseLong(rec[0]) >= offset).findFirst().map(rec -> rec[1]).orElseThrow();
  }

  private static String[] args(String... verb) {
    List<String> out = new ArrayList<>(List.of(String.join(" ", verb).split(" ")));
    out.addAll(List.of("--source", "A=" + clusters.clusterA().bootstrap(), "--target", "B=" + clusters.clusterB().bootstrap(), "--topics", "fb|fb-new",
        "--name", "fb", "--naming", "identity"));
    return out.toArray(String[]::new);
  }
}
