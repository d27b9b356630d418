package dev.ferry;

/**
 * Why a topic or partition is not replicated (or only up to a point), for status and logs. The reason is for programs
 * (metrics, JSON, tests); the message is one line for an operator: what is wrong, where, and what to do.
 */
public record Problem(Reason reason, String message) {
  /** What kind of problem it is. */
  public enum Reason {
    /** A record is larger than the target accepts: replication of the partition stopped before it. */
    RECORD_TOO_LARGE,
    /** Ferry may not read the source or write the target topic. */
    NOT_AUTHORIZED,
    /** The target rejected a record for another reason (an invalid record, a policy). */
    RECORD_REJECTED,
    /** Source and target topic differ in cleanup.policy. */
    CLEANUP_POLICY_MISMATCH,
    /** The target topic has fewer partitions than the source and is not Ferry's to grow. */
    TOO_FEW_PARTITIONS,
    /** Creating or growing the target topic failed. */
    TARGET_TOPIC_NOT_CREATED,
    /**
     * The source partition ends below Ferry's progress: it was truncated (an unclean leader election) or recreated.
     * Replication of the partition stopped, since going on would copy other records under the old offsets.
     */
    SOURCE_TRUNCATED,
    /**
     * The partition's progress is missing and its offset map does not fit the target partition (records were lost on
     * the target): where to resume is not known, so replication of the partition stopped.
     */
    PROGRESS_LOST,
    /**
     * The source topic was deleted and created again, and the flow's on-recreate policy is {@code stop}: replication of
     * the topic stopped until an operator re-syncs it ({@code ferry resync}) or lets the new topic be appended.
     */
    TOPIC_RECREATED,
    /** The partition's offset map disagrees with its committed progress: replication of the partition stopped. */
    OFFSET_MAP_BEHIND,
    /** A call about the topic failed (not authorized to describe it, say); retried every topic refresh. */
    UNAVAILABLE
  }

  public Problem {
    if (reason == null || message == null) {
      throw new IllegalArgumentException("a problem needs a reason and a message");
    }
  }

  @Override
  public String toString() {
    return message;
  }
}
