package dev.ferry.kafka;

import java.util.Optional;
import org.apache.kafka.common.Uuid;

/**
 * Which incarnation of a source topic replicates into which incarnation of its target topic, by topic id. A topic
 * deleted and created again under the same name has a new id: offsets, progress and offset-map entries of the old one
 * say nothing about the new one.
 *
 * <p>An id is {@link Uuid#ZERO_UUID} where it is not known (state written before ids were recorded, a broker that
 * does not report them): an unknown id matches any.
 */
public record Incarnation(Uuid source, Uuid target) {
  public static final Incarnation UNKNOWN = new Incarnation(Uuid.ZERO_UUID, Uuid.ZERO_UUID);

  public Incarnation {
    source = source == null ? Uuid.ZERO_UUID : source;
    target = target == null ? Uuid.ZERO_UUID : target;
  }

  /** Whether both ids are known. */
  public boolean known() {
    return !source.equals(Uuid.ZERO_UUID) && !target.equals(Uuid.ZERO_UUID);
  }

  /** Whether the source topic of {@code other} is another incarnation (both ids known and different). */
  public boolean sourceDiffers(Incarnation other) {
    return differ(source, other.source);
  }

  /** Whether the target topic of {@code other} is another incarnation (both ids known and different). */
  public boolean targetDiffers(Incarnation other) {
    return differ(target, other.target);
  }

  /** Whether either side of {@code other} is another incarnation. */
  public boolean differs(Incarnation other) {
    return sourceDiffers(other) || targetDiffers(other);
  }

  private static boolean differ(Uuid a, Uuid b) {
    return !a.equals(Uuid.ZERO_UUID) && !b.equals(Uuid.ZERO_UUID) && !a.equals(b);
  }

  /** "source id/target id", the ids in Kafka's base64 form. */
  public String encode() {
    return source + "/" + target;
  }

  /** Reads {@link #encode()}'s form; empty when it is not that. */
  public static Optional<Incarnation> decode(String s) {
    int slash = s == null ? -1 : s.indexOf('/');
    if (slash < 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(new Incarnation(Uuid.fromString(s.substring(0, slash)), Uuid.fromString(s.substring(slash + 1))));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  @Override
  public String toString() {
    return "topic ids " + encode();
  }
}
