package dev.ferry.config;

import java.util.Set;

/** The topic configs a target topic takes from its source topic (the ones that describe the data, not its placement). */
public final class SyncedConfigs {
  private SyncedConfigs() {}

  /** Configs the target topic takes from the source topic. */
  public static final Set<String> SOURCE_OWNED = Set.of("cleanup.policy", "retention.ms", "retention.bytes", "max.message.bytes",
      "delete.retention.ms", "min.compaction.lag.ms", "max.compaction.lag.ms", "min.cleanable.dirty.ratio", "segment.bytes", "segment.ms",
      "segment.jitter.ms", "segment.index.bytes", "index.interval.bytes", "compression.type", "compression.gzip.level", "compression.lz4.level",
      "compression.zstd.level", "file.delete.delay.ms", "flush.messages", "flush.ms", "preallocate");

  /**
   * Synced configs whose target value must be at least the source's, not equal to it: a DR copy may keep records
   * longer, and take larger records, than its source (-1 is unlimited). The sync raises them, never lowers them.
   */
  public static final Set<String> AT_LEAST = Set.of("retention.ms", "retention.bytes", "max.message.bytes");
}
