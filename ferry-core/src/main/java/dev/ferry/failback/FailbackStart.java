package dev.ferry.failback;

import dev.ferry.FerryException;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import dev.ferry.flow.Replicator;
import dev.ferry.kafka.Clients;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.kafka.TopicLeaders;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The second step of a failback: checks the plan, records that the failback began (with A's partition ends, where the
 * divergence stops) and starts the reverse flow B -> A from where the forward flow's writes ended, with the job that
 * keeps every group with no members on A at its exact position there. Started again, it goes on where it stopped.
 */
public final class FailbackStart {
  private static final Logger LOG = LoggerFactory.getLogger(FailbackStart.class);
  private static final long TIMEOUT_MS = 30_000;

  private final FlowConfig forward;
  private final FlowConfig reverse;
  private final FailbackPlan.Plan plan;
  private final Instant failedOverAt;

  private FailbackStart(FlowConfig forward, FailbackPlan.Plan plan, Instant failedOverAt) {
    this.forward = forward;
    this.reverse = ReverseFlow.of(forward);
    this.plan = plan;
    this.failedOverAt = failedOverAt;
  }

  /** Plans and records the start; refused (nothing changed) when the plan is, or when the failback finished. */
  public static FailbackStart prepare(FlowConfig forward) {
    FailbackPlan planner = new FailbackPlan(forward);
    FailbackPlan.Plan p = planner.plan();
    if (p.refused().isPresent()) {
      throw new FerryException(FerryException.Reason.REFUSED, "failback start refused: " + p.refused().get());
    }
    // a plan that is not refused found the failover record (Instant.toString round-trips through Instant.parse)
    Instant at = Instant.parse(p.failedOverAt().orElseThrow());
    Optional<FailbackState> state = FailbackState.read(forward).filter(st -> st.after(at));
    if (state.isPresent() && state.get().phase() == FailbackState.Phase.FINISHED) {
      throw new FerryException(FerryException.Reason.REFUSED, "failback start refused: the failback of flow " + forward.name() + " finished at "
          + state.get().at() + "; ferry run of the flow is next");
    }
    if (state.isEmpty()) {
      new FailbackState(FailbackState.Phase.STARTED, Instant.now(), planner.primaryEnds(p)).write(forward);
    }
    createMissingOnPrimary(forward, p);
    return new FailbackStart(forward, p, at);
  }

  /**
   * Under identity naming the reverse flow leaves the configs of A's topics to A (they are A's own), so a topic that
   * exists only on B (created there during the outage) is created on A here, with B's partitions and B's own configs
   * (its cleanup policy, retention, maximum record size): created by the reverse flow it would get A's defaults.
   */
  static void createMissingOnPrimary(FlowConfig forward, FailbackPlan.Plan plan) {
    if (forward.naming().mode() != Naming.Mode.IDENTITY || plan.delta().isEmpty()) {
      return;
    }
    Map<String, Integer> partitions = new TreeMap<>();
    plan.delta().forEach(d -> partitions.merge(d.onB().topic(), d.onB().partition() + 1, Math::max));
    try (Admin primary = Admin.create(Clients.admin(forward.source())); Admin dr = Admin.create(Clients.admin(forward.target()))) {
      Set<String> onA = KafkaCalls.await(primary.listTopics().names(), TIMEOUT_MS, "list topics on " + forward.source().describe());
      List<String> missing = partitions.keySet().stream().filter(t -> !onA.contains(t)).toList();
      if (missing.isEmpty()) {
        return;
      }
      List<ConfigResource> resources = missing.stream().map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
      Map<ConfigResource, Config> configs = KafkaCalls.await(dr.describeConfigs(resources).all(), TIMEOUT_MS,
          "describe configs on " + forward.target().describe());
      List<NewTopic> create = new ArrayList<>();
      for (String t : missing) {
        Map<String, String> own = new TreeMap<>();
        configs.get(new ConfigResource(ConfigResource.Type.TOPIC, t)).entries().stream()
            .filter(e -> e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG && e.value() != null).forEach(e -> own.put(e.name(), e.value()));
        create.add(new NewTopic(t, Optional.of(partitions.get(t)), forward.replicationFactor()).configs(own));
      }
      try {
        KafkaCalls.await(primary.createTopics(create).all(), TIMEOUT_MS, "create " + missing + " on " + forward.source().describe());
      } catch (FerryException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
      TopicLeaders.await(primary, missing, Duration.ofMillis(TIMEOUT_MS), forward.source().describe());
      LOG.atInfo().addKeyValue("flow", forward.name()).log("created {} on {} with the configs they have on {} (they exist only there)", missing,
          forward.source().describe(), forward.target().describe());
    }
  }

  public FailbackPlan.Plan plan() {
    return plan;
  }

  public FlowConfig reverse() {
    return reverse;
  }

  /** Starts the reverse flow (as {@link Replicator#start}: {@code startup} says what to do with a cluster that does not answer). */
  public Replicator replicate(Replicator.Startup startup) {
    return Replicator.start(reverse, startup, ReverseFlow.afterFailover(reverse, failedOverAt), ReverseFlow.starts(plan.delta()));
  }

  /** Starts the job that moves the groups (after {@link #replicate}: the reverse flow's topics on A must exist). */
  public GroupsBackJob moveGroups() {
    return GroupsBackJob.start(forward, plan);
  }

  /** Whether {@code failback finish} stopped the reverse flow (a running reverse flow then stops, refused). */
  public boolean stoppedByFinish() {
    return ReverseFlow.stoppedSince(reverse, failedOverAt);
  }

  /** Whether the failback finished (not only its reverse flow stopped: the groups moved and the flow re-armed). */
  public boolean finished() {
    return FailbackState.read(forward).filter(s -> s.phase() == FailbackState.Phase.FINISHED && s.after(failedOverAt)).isPresent();
  }
}
