package dev.ferry.cli;

import dev.ferry.FerryException;

/** The exit codes of every ferry command, in one place. Documented in the README. */
public final class ExitCodes {
  /** Success. */
  public static final int OK = 0;
  /** A failure: unreachable cluster in a one-shot command, replication stopped, drill verification failed. */
  public static final int FAILURE = 1;
  /** Bad input: an invalid flag, config key or value. Nothing was changed. */
  public static final int BAD_INPUT = 2;
  /**
   * Done with data at risk, listed: {@code failover} (records consumed on the source had not been replicated: they are
   * lost), {@code failback finish} (a group past divergent records, not translated or still active on the target).
   */
  public static final int DATA_AT_RISK = 3;
  /**
   * Refused: {@code failover} found the target unhealthy or left a group alone (active on the target); {@code run} found
   * the flow failed over; {@code resync} found a group reading the topic; {@code failback plan} or {@code start} found no failover to fail
   * back from, or the source cluster not healthy; {@code failback finish} found no failback started or producers still writing.
   */
  public static final int REFUSED = 4;
  /** {@code audit}: the target differs from what the flow wants (drift, a broken config rule, a missing or orphan topic). */
  public static final int DRIFT = 5;

  private ExitCodes() {}

  public static int of(FerryException.Reason reason) {
    return switch (reason) {
      case BAD_INPUT -> BAD_INPUT;
      case REFUSED -> REFUSED;
      default -> FAILURE;
    };
  }
}
