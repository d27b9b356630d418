package dev.ferry.failback;

import dev.ferry.FerryException;
import dev.ferry.config.FlowConfig;
import dev.ferry.flow.FailedOver;
import dev.ferry.flow.Replicator;
import java.time.Instant;
import java.util.Optional;

/**
 * The second step of a failback: checks the plan, records that the failback began (with A's partition ends, where the
 * divergence stops) and starts the reverse flow B -> A from where the forward flow's writes ended, with the job that
 * keeps every group with no members on A at its exact position there. Started again, it goes on where it stopped.
 */
public final class FailbackStart {
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
    Instant at = FailedOver.read(forward).orElseThrow(() -> new FerryException(FerryException.Reason.REFUSED,
        "failback start refused: flow " + forward.name() + " has not failed over")).at();
    Optional<FailbackState> state = FailbackState.read(forward).filter(st -> st.after(at));
    if (state.isPresent() && state.get().phase() == FailbackState.Phase.FINISHED) {
      throw new FerryException(FerryException.Reason.REFUSED, "failback start refused: the failback of flow " + forward.name() + " finished at "
          + state.get().at() + "; ferry run of the flow is next");
    }
    if (state.isEmpty()) {
      new FailbackState(FailbackState.Phase.STARTED, Instant.now(), planner.primaryEnds(p)).write(forward);
    }
    return new FailbackStart(forward, p, at);
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
