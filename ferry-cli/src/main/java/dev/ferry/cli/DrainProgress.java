package dev.ferry.cli;

import dev.ferry.failback.FailbackFinish;
import dev.ferry.kafka.ClusterHealth;
import java.io.PrintWriter;
import java.util.function.Consumer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Shows a drain's progress: a progress bar (offsets copied and left, bytes left, rate, ETA) on a terminal; a plain line
 * every few seconds otherwise (a log file, a pipe), so that a log shows the drain moving without a bar's control codes.
 * The bar goes to standard error, the lines to the command's output.
 */
final class DrainProgress implements Consumer<FailbackFinish.Drain>, AutoCloseable {
  private static final long PLAIN_EVERY_NANOS = 5_000_000_000L;

  private final PrintWriter out;
  private final boolean terminal;
  private final long began = System.nanoTime();
  private ProgressBar bar;
  private long lastLine;
  private long firstRemaining = -1;

  DrainProgress(PrintWriter out) {
    this.out = out;
    this.terminal = System.console() != null;
  }

  @Override
  public void accept(FailbackFinish.Drain d) {
    long done = d.total() - d.remaining();
    if (terminal) {
      if (bar == null) {
        bar = new ProgressBarBuilder().setTaskName("copying back").setInitialMax(Math.max(1, d.total())).setUnit(" offsets", 1).showSpeed()
            .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
      }
      bar.maxHint(Math.max(1, d.total()));
      bar.stepTo(done);
      bar.setExtraMessage(ClusterHealth.bytes(d.remainingBytes()) + " left");
      return;
    }
    long now = System.nanoTime();
    if (firstRemaining < 0) {
      firstRemaining = d.remaining();
    }
    if (d.remaining() > 0 && now - lastLine < PLAIN_EVERY_NANOS) {
      return;
    }
    lastLine = now;
    double seconds = Math.max(0.001, (now - began) / 1e9);
    double rate = Math.max(0, firstRemaining - d.remaining()) / seconds;
    String eta = d.remaining() == 0 ? "done" : rate > 0 ? "ETA " + Math.round(d.remaining() / rate) + " s" : "ETA unknown";
    out.printf("copying back: %d of %d outage offsets copied, %d left (about %s), %.0f offsets/s, %s%n", done, d.total(), d.remaining(),
        ClusterHealth.bytes(d.remainingBytes()), rate, eta);
    out.flush();
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
