package dev.ferry.cli;

import dev.ferry.Problem;
import dev.ferry.flow.FlowStatus;
import dev.ferry.status.FlowReport;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * The JSON form of a flow's status, written by {@code ferry status --format json} and served at {@code /status}: the
 * same fields as the table, never a cluster's client properties (they may hold credentials).
 */
record StatusJson(String flow, String source, String target, String readAt, boolean sourceReachable, List<Partition> partitions,
    List<Group> groups, List<Process> processes, List<Shard> shards, List<ProblemRow> problems, List<String> recreations,
    int drifted, Optional<String> topicsUnchecked) {

  record Partition(String topic, int partition, String targetTopic, long replicatedUpTo, OptionalLong sourceEnd, OptionalLong lagRecords,
      OptionalDouble lagSeconds, OptionalLong latencyMs, long expiredRecords) {}

  record Group(String group, int partitions, double checkpointAgeSeconds, long atRisk, int membersOnTarget, boolean synced) {}

  record Process(String clientId, String host, List<Integer> shards) {}

  record Shard(int shard, Optional<String> owner, double recordsPerSecond, double bytesPerSecond, int slowPartitions, OptionalLong reportAgeMs) {}

  /** Something that needs an operator: {@code kind} is a {@link Problem.Reason} in lower case, or recreated, orphan, config-rule. */
  record ProblemRow(String kind, Optional<String> topic, OptionalLong partition, String message) {}

  /** From a report read at {@code readAtMs}; with {@code local}, the problems the running process sees added. */
  static StatusJson of(FlowReport.Report r, long readAtMs, Optional<FlowStatus> local) {
    List<Partition> partitions = r.partitions().stream().map(p -> new Partition(p.source().topic(), p.source().partition(), p.target().topic(),
        p.replicatedUpTo(), p.sourceEnd(), p.lagRecords(), p.lagSeconds(), p.latencyMs(), p.gaps().records())).toList();
    boolean sync = r.flow().syncGroupOffsets();
    List<Group> groups = r.groups().stream().map(g -> new Group(g.group(), g.partitions(), g.checkpointAgeMs() / 1000.0, g.atRisk(),
        g.membersOnTarget(), sync && g.membersOnTarget() == 0)).toList();
    List<Process> processes = r.members().stream().map(m -> new Process(m.clientId(), m.host(), m.shards())).toList();
    List<Shard> shards = r.shards().stream().map(s -> new Shard(s.shard(), s.owner(), s.recordsPerSecond(), s.bytesPerSecond(),
        s.slowPartitions(), s.statsAgeMs())).toList();
    List<ProblemRow> problems = new ArrayList<>();
    local.ifPresent(l -> {
      l.topicProblems().forEach((topic, p) -> problems.add(new ProblemRow(kind(p), Optional.of(topic), OptionalLong.empty(), p.message())));
      l.replication().partitionProblems().forEach((tp, p) ->
          problems.add(new ProblemRow(kind(p), Optional.of(tp.topic()), OptionalLong.of(tp.partition()), p.message())));
    });
    r.recreated().forEach(line -> problems.add(new ProblemRow("recreated", Optional.empty(), OptionalLong.empty(), line)));
    r.orphans().forEach(t -> problems.add(new ProblemRow("orphan", Optional.of(t), OptionalLong.empty(),
        "target topic " + t + " was replicated by the flow, but its source topic is gone (kept)")));
    r.configRules().forEach(line -> problems.add(new ProblemRow("config-rule", Optional.empty(), OptionalLong.empty(), line)));
    return new StatusJson(r.flow().name(), r.flow().source().describe(), r.flow().target().describe(), Instant.ofEpochMilli(readAtMs).toString(),
        r.sourceReachable(), partitions, groups, processes, shards, problems, r.recreations(), r.drifted(), r.topicsUnchecked());
  }

  private static String kind(Problem p) {
    return p.reason().name().toLowerCase().replace('_', '-');
  }
}
