package dev.ferry.replicate;

/** What the flow's group coordinator says, right now, of this process and a shard. */
enum Ownership {
  /** The coordinator's current assignment gives the shard to this process. */
  CONFIRMED,
  /** It gives the shard to another process, or this process is no longer a member. */
  NOT_OWNER,
  /** It cannot say now (a rebalance under way, no answer). */
  UNKNOWN
}
