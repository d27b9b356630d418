package dev.ferry.provenance;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a replicated record comes from: the clusters it passed through (first is its origin, last the cluster it was
 * read from on its latest hop) and its partition and offset on that last cluster.
 */
public record Provenance(List<String> path, int sourcePartition, long sourceOffset) {
  public Provenance {
    path = List.copyOf(path);
    if (path.isEmpty()) {
      throw new IllegalArgumentException("provenance path must name at least the origin cluster");
    }
  }

  public String origin() {
    return path.get(0);
  }

  public boolean passedThrough(String cluster) {
    return path.contains(cluster);
  }

  /** The provenance of the next hop: {@code via} appended to the path, with coordinates on {@code via}. */
  public static Provenance nextHop(Provenance previous, String via, int partition, long offset) {
    List<String> p = new ArrayList<>(previous == null ? List.of() : previous.path);
    p.add(via);
    return new Provenance(p, partition, offset);
  }
}
