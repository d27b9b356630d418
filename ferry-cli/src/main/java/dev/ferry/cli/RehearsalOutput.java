package dev.ferry.cli;

import dev.ferry.drill.Rehearsal;
import java.io.PrintWriter;

/** The tables of the DR cycle drill: one per phase as it ends, and the final line. */
final class RehearsalOutput {
  private RehearsalOutput() {}

  static void phase(PrintWriter out, Rehearsal.Phase p) {
    out.println();
    out.printf("Phase %d: %s%n", p.number(), p.name());
    out.printf("  %-72s %9s %6s %11s %8s%n", "", "records", "lost", "duplicated", "re-read");
    for (Rehearsal.Row r : p.rows()) {
      out.printf("  %-72s %9d %6d %11d %8d%n", r.what(), r.records(), r.lost(), r.duplicated(), r.reread());
    }
    p.notes().forEach(n -> out.println("  " + n));
    out.println(p.passed() ? "  ok" : "  FAILED");
    out.flush();
  }

  static void summary(PrintWriter out, Rehearsal.Report r) {
    out.println();
    out.printf("reverse replication read %d records from the DR cluster for %d outage records%n", r.reverseRead(), r.delta());
    out.println(r.passed()
        ? "DRILL PASSED: every committed record is on both clusters exactly once, in order per partition, and the group consumed every record"
            + " exactly once across the three cluster switches."
        : "DRILL FAILED: see the phases above.");
    out.flush();
  }
}
