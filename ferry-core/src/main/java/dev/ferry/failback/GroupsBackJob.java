package dev.ferry.failback;

import dev.ferry.config.FlowConfig;
import dev.ferry.groups.Checkpointer;
import dev.ferry.kafka.Clients;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the consumer groups of a failback positioned on A while the reverse flow runs: every checkpoint interval, a
 * {@link GroupsBack} round (each group with no members on A gets its exact position there). Each position moved and
 * each reason a group waits is logged once per change; a failed round is tried again at the next interval.
 */
public final class GroupsBackJob implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupsBackJob.class);

  private final FlowConfig forward;
  private final FailbackPlan.Plan plan;
  private final ScheduledExecutorService timer;
  private final Admin dr;
  private final Admin primary;
  private final Map<String, Long> logged = new HashMap<>();
  private final Map<String, String> loggedWaiting = new HashMap<>();
  private GroupsBack groups;
  private Checkpointer checkpointer;
  private String lastFailure = "";

  private GroupsBackJob(FlowConfig forward, FailbackPlan.Plan plan) {
    this.forward = forward;
    this.plan = plan;
    this.dr = Admin.create(Clients.admin(forward.target()));
    this.primary = Admin.create(Clients.admin(forward.source()));
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ferry-" + forward.name() + "-groups-back");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts the rounds (the reverse flow's topics on A must exist: start it after the reverse flow). */
  public static GroupsBackJob start(FlowConfig forward, FailbackPlan.Plan plan) {
    GroupsBackJob job = new GroupsBackJob(forward, plan);
    long every = forward.checkpointInterval().toMillis();
    job.timer.scheduleWithFixedDelay(job::round, 0, every, TimeUnit.MILLISECONDS);
    return job;
  }

  private void round() {
    try {
      if (groups == null) {
        // both or neither: a construction that failed is tried again next round
        GroupsBack g = new GroupsBack(forward, plan);
        checkpointer = new Checkpointer(ReverseFlow.of(forward), dr, primary);
        groups = g;
      }
      GroupsBack.Result r = groups.round(checkpointer, dr, primary);
      for (GroupsBack.Move m : r.committed()) {
        String key = m.group() + " " + m.onA();
        if (!Long.valueOf(m.positionOnA()).equals(logged.put(key, m.positionOnA()))) {
          LOG.atInfo().addKeyValue("flow", forward.name()).addKeyValue("group", m.group()).log("group {} at {} on {} is at {} on {}", m.group(),
              m.positionOnB(), m.onB(), m.positionOnA(), m.onA());
        }
      }
      r.waiting().forEach((what, why) -> {
        if (!why.equals(loggedWaiting.put(what, why))) {
          LOG.atInfo().addKeyValue("flow", forward.name()).log("{} waits: {}", what, why);
        }
      });
      lastFailure = "";
    } catch (RuntimeException e) {
      if (!e.toString().equals(lastFailure)) {
        LOG.atWarn().addKeyValue("flow", forward.name()).log("moving groups back failed, tried again next interval: {}", e.getMessage());
      }
      lastFailure = e.toString();
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (checkpointer != null) {
      checkpointer.close();
    }
    dr.close();
    primary.close();
  }
}
