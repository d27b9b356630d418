package dev.ferry.cli;

import dev.ferry.failback.FailbackFinish;
import dev.ferry.failback.FailbackPlan;
import dev.ferry.failback.FailbackStatus;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** The tables of {@code failback status} and {@code failback finish}. */
final class FailbackOutput {
  private FailbackOutput() {}

  static void status(PrintWriter out, FailbackStatus.Status s) {
    String phase = switch (s.phase()) {
      case NOT_FAILED_OVER -> "the flow has not failed over: nothing to fail back";
      case NOT_STARTED -> "failed over at " + s.failedOverAt().orElse("?") + "; no failback started (ferry failback plan, then start)";
      case STARTED -> "failed over at " + s.failedOverAt().orElse("?") + "; failback started at " + s.failbackAt().orElse("?");
      case FINISHED -> "failback finished at " + s.failbackAt().orElse("?") + "; ferry run of the flow is next";
    };
    out.printf("Failback of flow %s (%s -> %s): %s%n", s.flow(), s.dr(), s.primary(), phase);
    if (s.phase() == FailbackStatus.Phase.NOT_FAILED_OVER || s.phase() == FailbackStatus.Phase.FINISHED) {
      return;
    }
    out.println("Reverse replication (outage delta):");
    out.printf("  %-30s %-30s %12s %12s %12s %10s %10s%n", "partition there", "goes to", "delta from", "read up to", "end", "copied", "lag");
    for (FailbackStatus.PartitionRow p : s.partitions()) {
      String lag = p.lagRecords() + (p.lagSeconds().isPresent() && p.lagRecords() > 0 ? String.format(Locale.ROOT, " (%.1f s)", p.lagSeconds().getAsDouble()) : "");
      out.printf("  %-30s %-30s %12d %12d %12d %10d %10s%n", p.onB(), p.onA(), p.start(), p.at(), p.end(), p.copied(), lag);
    }
    out.printf("  total: %d offsets copied back, %d left%n", s.copied(), s.lagRecords());
    out.println("Groups:");
    if (s.groups().isEmpty()) {
      out.println("  (none)");
    }
    for (FailbackStatus.GroupRow g : s.groups()) {
      String place = switch (g.place()) {
        case ACTIVE_ON_B -> "active on " + s.dr() + " (" + g.membersOnB() + " member(s)): stop it there to move it";
        case WAITING -> "waiting: not at its position on " + s.primary() + " yet";
        case POSITIONED_ON_A -> "positioned on " + s.primary() + ": start it there";
        case ACTIVE_ON_A -> "active on " + s.primary() + " (" + g.membersOnA() + " member(s))";
      };
      out.printf("  %-30s %s%n", g.group(), place);
      for (FailbackStatus.GroupPartition p : g.partitions()) {
        out.printf("    %-28s at %-10d -> %s%n", p.onB(), p.positionOnB(), p.translated() < 0 ? "waits: " + p.waiting()
            : p.onA() + " at " + p.translated() + (p.committedOnA() == p.translated() ? " (committed)" : " (committed there: "
                + (p.committedOnA() < 0 ? "none" : p.committedOnA()) + ")"));
      }
    }
    divergence(out, s.primary(), s.dr(), s.divergence());
    s.warnings().forEach(w -> out.println("WARNING: " + w));
  }

  static void finish(PrintWriter out, FailbackFinish.Report r) {
    if (r.alreadyFinished()) {
      out.printf("Failback of flow %s finished already: ferry run of the flow is next%n", r.flow());
      return;
    }
    out.printf("Failback of flow %s finished: reverse replication %s; %d records copied back by this command%n", r.flow(), r.reverseStop(), r.copiedBack());
    out.printf("Groups on %s:%n", r.primary());
    out.printf("  %-30s %-30s %12s %-30s %12s %6s %8s%n", "group", "was on", "at", "now on", "at", "lost", "re-read");
    for (FailbackFinish.GroupRow g : r.groups()) {
      out.printf("  %-30s %-30s %12d %-30s %12d %6d %8d%n", g.group(), g.onB(), g.positionOnB(), g.onA(), g.positionOnA(), g.lost(), g.rereads());
    }
    if (r.groups().isEmpty()) {
      out.println("  (none moved)");
    }
    r.activeOnA().forEach((g, why) -> out.printf("  %-30s left alone: %s%n", g, why));
    divergence(out, r.primary(), r.dr(), r.divergence());
    for (FailbackFinish.PastDivergence p : r.pastDivergence()) {
      out.printf("  group %s is positioned past %d of them on %s (offsets %d..%d)%n", p.group(), p.records(), p.onA(), p.from(), p.to() - 1);
    }
    if (r.atRisk().isEmpty()) {
      out.println("RESULT: done (exit 0): every group is at its exact position; ferry run of the flow goes on from where it stopped");
    } else {
      out.println("RESULT: done with data at risk (exit 3):");
      r.atRisk().forEach(a -> out.println("  " + a));
    }
  }

  static void divergence(PrintWriter out, String primary, String dr, List<FailbackPlan.DivergenceRow> rows) {
    if (rows.isEmpty()) {
      out.printf("Divergence: none (every record on %s reached %s before the outage)%n", primary, dr);
      return;
    }
    out.printf("Divergence: records on %s that never reached %s (kept; the flow copies them there after the failback):%n", primary, dr);
    for (FailbackPlan.DivergenceRow d : rows) {
      out.printf("  %-30s offsets %d..%d, %s%n", d.onA(), d.from(), d.to() - 1, d.records() < 0 ? (d.to() - d.from()) + " offsets (not counted)"
          : d.records() + " records");
    }
  }
}
