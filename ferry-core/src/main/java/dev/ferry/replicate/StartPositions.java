package dev.ferry.replicate;

import java.util.OptionalLong;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a source partition without progress starts: at its beginning unless a position is given (a failback's reverse
 * flow starts each partition where the forward flow's writes into it ended). Progress, once committed, always wins.
 */
@FunctionalInterface
public interface StartPositions {
  /** Every partition at its beginning. */
  StartPositions BEGINNING = source -> OptionalLong.empty();

  /** The offset {@code source} starts at; empty: its beginning. */
  OptionalLong of(TopicPartition source);
}
