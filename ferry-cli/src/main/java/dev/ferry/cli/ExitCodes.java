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

  private ExitCodes() {}

  public static int of(FerryException.Reason reason) {
    return reason == FerryException.Reason.BAD_INPUT ? BAD_INPUT : FAILURE;
  }
}
