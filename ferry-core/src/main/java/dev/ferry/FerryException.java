package dev.ferry;

/**
 * The one unchecked exception of Ferry. Its {@link Reason} tells a caller (the CLI, an operator) what kind of failure
 * it is; its message is one line that says what is wrong and where (key path, cluster, topic, group).
 */
public class FerryException extends RuntimeException {
  /** What kind of failure this is. The CLI maps these to exit codes in one place. */
  public enum Reason {
    /** The user gave something invalid: a config key, a flag, a regex. */
    BAD_INPUT,
    /** A cluster cannot be reached. */
    UNREACHABLE,
    /** The cluster refused an operation for lack of permission. */
    NOT_AUTHORIZED,
    /** A topic or record cannot be replicated as it is (incompatible target topic, record too large, ...). */
    INCOMPATIBLE,
    /** Ferry refused to act, since acting would harm data (replicating into a target that failed over, say). */
    REFUSED,
    /** A verification (drill, check) found a difference. */
    VERIFICATION_FAILED,
    /** Anything else. */
    FAILED
  }

  private final Reason reason;

  public FerryException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public FerryException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
