package dev.ferry.cli;

import dev.ferry.kafka.ClusterHealth;
import java.io.PrintWriter;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Shows how long work is moving: a progress bar (done and total, bytes left, rate, ETA) on a terminal; a plain line
 * every few seconds otherwise (a log file, a pipe), so that a log shows the work moving without a bar's control codes.
 * The bar goes to standard error, the lines to the command's output.
 */
final class Progress implements AutoCloseable {
  private static final long PLAIN_EVERY_NANOS = 5_000_000_000L;

  private final PrintWriter out;
  private final String task;
  private final String unit;
  private final boolean terminal;
  private final long began = System.nanoTime();
  private ProgressBar bar;
  private long lastLine;
  private long firstDone = -1;

  /**
   * @param task what is done ("copying back"), the bar's name and the lines' start
   * @param unit what is counted ("offsets", "records")
   */
  Progress(PrintWriter out, String task, String unit) {
    this.out = out;
    this.task = task;
    this.unit = unit;
    this.terminal = terminal();
  }

  /**
   * Whether standard output is a terminal. From Java 22 {@code System.console()} is there even when output goes to a
   * file or a pipe; {@code Console.isTerminal()} (Java 22+) tells.
   */
  static boolean terminal() {
    java.io.Console c = System.console();
    if (c == null) {
      return false;
    }
    try {
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
    } catch (ReflectiveOperationException e) {
      return true; // before Java 22: a console is a terminal
    }
  }

  /** Where the work is: {@code done} of {@code total}, about {@code remainingBytes} left. */
  void update(long done, long total, long remainingBytes) {
    long remaining = Math.max(0, total - done);
    if (terminal) {
      if (bar == null) {
        bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(Math.max(1, total)).setUnit(" " + unit, 1).showSpeed()
            .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
      }
      bar.maxHint(Math.max(1, total));
      bar.stepTo(done);
      bar.setExtraMessage(ClusterHealth.bytes(remainingBytes) + " left");
      return;
    }
    long now = System.nanoTime();
    if (firstDone < 0) {
      firstDone = done;
    }
    if (remaining > 0 && now - lastLine < PLAIN_EVERY_NANOS) {
      return;
    }
    lastLine = now;
    double seconds = Math.max(0.001, (now - began) / 1e9);
    double rate = Math.max(0, done - firstDone) / seconds;
    String eta = remaining == 0 ? "done" : rate > 0 ? "ETA " + Math.round(remaining / rate) + " s" : "ETA unknown";
    out.printf("%s: %d of %d %s, %d left (about %s), %.0f %s/s, %s%n", task, done, total, unit, remaining, ClusterHealth.bytes(remainingBytes),
        rate, unit, eta);
    out.flush();
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
