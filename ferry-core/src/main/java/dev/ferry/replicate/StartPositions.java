package dev.ferry.replicate;

import dev.ferry.kafka.Incarnation;
import java.util.OptionalLong;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a source partition without progress starts: at its beginning unless a position is given (a failback's reverse
 * flow starts each partition where the forward flow's writes into it ended). Progress, once committed, always wins.
 */
@FunctionalInterface
public interface StartPositions {
  /** Every partition at its beginning. */
  StartPositions BEGINNING = (source, incarnation) -> OptionalLong.empty();

  /**
   * The offset {@code source} starts at, when its topics are {@code incarnation} (a position given for one topic id says
   * nothing of a topic created again under the same name); empty: its beginning.
   */
  OptionalLong of(TopicPartition source, Incarnation incarnation);
}
