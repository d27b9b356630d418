package dev.ferry.drill;

import java.util.List;

/**
 * What a comparison of source and target found. {@code missing}: committed source records not on the target;
 * {@code duplicated}: extra copies; {@code unexpected}: target records that map to no committed source record (an
 * aborted record copied, say); {@code mismatched}: copies whose partition, key, value, headers or timestamp differ;
 * {@code outOfOrder}: copies not in source order within their partition.
 */
public record Verification(
    long sourceRecords, long targetRecords, long missing, long duplicated, long unexpected, long mismatched, long outOfOrder,
    List<String> examples) {

  public boolean exact() {
    return missing == 0 && duplicated == 0 && unexpected == 0 && mismatched == 0 && outOfOrder == 0;
  }

  public Verification plus(Verification o) {
    List<String> ex = new java.util.ArrayList<>(examples);
    ex.addAll(o.examples);
    return new Verification(sourceRecords + o.sourceRecords, targetRecords + o.targetRecords, missing + o.missing,
        duplicated + o.duplicated, unexpected + o.unexpected, mismatched + o.mismatched, outOfOrder + o.outOfOrder,
        ex.subList(0, Math.min(10, ex.size())));
  }

  public static Verification empty() {
    return new Verification(0, 0, 0, 0, 0, 0, 0, List.of());
  }
}
