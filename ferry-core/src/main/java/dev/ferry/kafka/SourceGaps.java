package dev.ferry.kafka;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Source records of one partition that expired (retention) before Ferry could replicate them: how many gaps, how many
 * records in all, and the last gap's offsets. Kept with the partition's progress (as the metadata of its committed
 * offset), so it is committed with the data, survives restarts and stays one short line however many gaps there were.
 *
 * @param count gaps seen
 * @param records records lost in all gaps
 * @param lastFrom first offset of the last gap (-1 when none)
 * @param lastTo last offset of the last gap (-1 when none)
 */
public record SourceGaps(long count, long records, long lastFrom, long lastTo) {
  public static final SourceGaps NONE = new SourceGaps(0, 0, -1, -1);
  private static final Pattern FORMAT = Pattern.compile("(?:^|;)gaps=(\\d+);records=(\\d+);last=(\\d+)-(\\d+)(?:$|;)");

  public SourceGaps {
    if (count < 0 || records < 0 || (count == 0) != (lastFrom < 0) || lastTo < lastFrom) {
      throw new IllegalArgumentException("inconsistent gaps " + count + "/" + records + "/" + lastFrom + "-" + lastTo);
    }
  }

  /** These gaps and one more, of the records {@code from..to} (inclusive). */
  public SourceGaps plus(long from, long to) {
    return new SourceGaps(count + 1, records + (to - from + 1), from, to);
  }

  /** These gaps followed by {@code later} ones. */
  public SourceGaps plus(SourceGaps later) {
    return later.count == 0 ? this
        : new SourceGaps(count + later.count, records + later.records, later.lastFrom, later.lastTo);
  }

  /** The offset-metadata form: empty when there is no gap. */
  public String encode() {
    return count == 0 ? "" : "gaps=" + count + ";records=" + records + ";last=" + lastFrom + "-" + lastTo;
  }

  /**
   * Reads {@link #encode()}'s form, also among other {@code ;}-separated fields; anything else (empty, null, written by
   * an older Ferry) means no gap.
   */
  public static SourceGaps decode(String metadata) {
    if (metadata == null) {
      return NONE;
    }
    Matcher m = FORMAT.matcher(metadata);
    if (!m.find()) {
      return NONE;
    }
    try {
      return new SourceGaps(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), Long.parseLong(m.group(4)));
    } catch (IllegalArgumentException e) {
      return NONE;
    }
  }

  /** "2 gaps, 700 records, last 1000..1499". */
  @Override
  public String toString() {
    return count == 0 ? "none" : count + (count == 1 ? " gap, " : " gaps, ") + records + " records, last " + lastFrom + ".." + lastTo;
  }
}
