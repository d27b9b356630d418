package dev.ferry.kafka;

import dev.ferry.FerryException;

/** The pause between two checks of a condition with a deadline (a cluster's state, a group's offsets). */
public final class Waits {
  private Waits() {}

  /** Waits {@code ms}; an interrupt is kept on the thread and ends the wait with an error. */
  public static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FerryException(FerryException.Reason.FAILED, "interrupted");
    }
  }
}
