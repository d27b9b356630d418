package dev.ferry.offsets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import dev.ferry.kafka.Incarnation;
import java.util.List;
import org.apache.kafka.common.Uuid;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PartitionOffsetMapTest {

  /** Builds a map from (source, target) pairs of replicated records, one transaction per call. */
  private static PartitionOffsetMap map(long sourceNext, long[]... pairs) {
    RunBuilder b = new RunBuilder();
    for (long[] p : pairs) {
      b.add(p[0], p[1]);
    }
    PartitionOffsetMap m = new PartitionOffsetMap();
    m.apply(new MapUpdate(sourceNext, b.drain()));
    return m;
  }

  private static long[] p(long s, long t) {
    return new long[] {s, t};
  }

  @Test
  void contiguousRecordsTranslateOneToOneAndCaughtUpGroupsGoToTheEnd() {
    PartitionOffsetMap m = map(10, p(0, 100), p(1, 101), p(2, 102), p(3, 103), p(4, 104), p(5, 105), p(6, 106), p(7, 107), p(8, 108), p(9, 109));
    assertThat(m.runCount()).isEqualTo(1);
    assertThat(m.targetOffset(0)).hasValue(100);
    assertThat(m.targetOffset(6)).hasValue(106);
    assertThat(m.targetOffset(10)).hasValue(110);
    assertThat(m.sourceOffset(104)).hasValue(4);
    assertThat(m.sourceOffset(110)).hasValue(10);
  }

  @Test
  void positionsPastReplicationAreNotTranslated() {
    PartitionOffsetMap m = map(3, p(0, 0), p(1, 1), p(2, 2));
    assertThat(m.targetOffset(3)).hasValue(3);
    assertThat(m.targetOffset(4)).isEmpty();
    assertThat(new PartitionOffsetMap().targetOffset(0)).isEmpty();
    assertThat(new PartitionOffsetMap().sourceOffset(0)).isEmpty();
  }

  @Test
  void sourceTransactionMarkersTranslateToTheNextRecord() {
    // source: records 0,1,2, commit marker 3, records 4,5,6, marker 7; target written contiguously
    PartitionOffsetMap m = map(8, p(0, 0), p(1, 1), p(2, 2), p(4, 3), p(5, 4), p(6, 5));
    assertThat(m.targetOffset(3)).hasValue(3);
    assertThat(m.targetOffset(4)).hasValue(3);
    assertThat(m.targetOffset(5)).hasValue(4);
    assertThat(m.targetOffset(7)).hasValue(6);
    assertThat(m.targetOffset(8)).hasValue(6);
    assertThat(m.sourceOffset(3)).hasValue(4);
    assertThat(m.sourceOffset(6)).hasValue(8);
  }

  @Test
  void targetTransactionMarkersBetweenTransactionsAreSkipped() {
    PartitionOffsetMap m = new PartitionOffsetMap();
    m.apply(new MapUpdate(3, List.of(new OffsetRun(0, 0, 3)))); // target marker at 3
    m.apply(new MapUpdate(6, List.of(new OffsetRun(3, 4, 3)))); // target marker at 7
    assertThat(m.targetOffset(3)).hasValue(4);
    assertThat(m.targetOffset(6)).hasValue(7);
    assertThat(m.sourceOffset(3)).hasValue(3); // the marker: next record is source 3
    assertThat(m.sourceOffset(7)).hasValue(6);
  }

  @Test
  void compactionHolesTranslateToTheNextSurvivingRecord() {
    // source compacted: only 0, 5, 6, 10 survive; the target partition already held 10 foreign records
    PartitionOffsetMap m = map(11, p(0, 10), p(5, 11), p(6, 12), p(10, 13));
    assertThat(m.targetOffset(1)).hasValue(11);
    assertThat(m.targetOffset(5)).hasValue(11);
    assertThat(m.targetOffset(7)).hasValue(13);
    assertThat(m.targetOffset(11)).hasValue(14);
    assertThat(m.sourceOffset(11)).hasValue(5);
    assertThat(m.sourceOffset(0)).hasValue(0);
  }

  @Test
  void filteredLoopRecordsTranslateToTheNextCopiedRecord() {
    // source 3 and 4 came from the target cluster (loop) and were not copied
    PartitionOffsetMap m = map(10, p(0, 0), p(1, 1), p(2, 2), p(5, 3), p(6, 4), p(7, 5), p(8, 6), p(9, 7));
    assertThat(m.targetOffset(3)).hasValue(3);
    assertThat(m.targetOffset(4)).hasValue(3);
    assertThat(m.targetOffset(5)).hasValue(3);
    assertThat(m.targetOffset(6)).hasValue(4);
    assertThat(m.sourceOffset(3)).hasValue(5);
  }

  @Test
  void foreignWritesInterleavedOnTheTargetAreNotMappedToSourceRecords() {
    // target 3 and 4 were written by someone else between our records
    PartitionOffsetMap m = map(6, p(0, 0), p(1, 1), p(2, 2), p(3, 5), p(4, 6), p(5, 7));
    assertThat(m.targetOffset(3)).hasValue(5);
    assertThat(m.targetOffset(4)).hasValue(6);
    assertThat(m.sourceOffset(3)).hasValue(3);
    assertThat(m.sourceOffset(4)).hasValue(3);
    assertThat(m.sourceOffset(5)).hasValue(3);
    assertThat(m.sourceOffset(6)).hasValue(4);
  }

  @Test
  void coincidingGapsOnBothSidesStillTranslateToARecord() {
    // source marker at 2 and a target marker at 2: the delta stays 0, yet offset 2 is a record on neither side
    PartitionOffsetMap m = map(4, p(0, 0), p(1, 1), p(3, 3));
    assertThat(m.runCount()).isEqualTo(2);
    assertThat(m.targetOffset(2)).hasValue(3);
    assertThat(m.sourceOffset(2)).hasValue(3);
  }

  @Test
  void updatesThatContinueARunAreMerged() {
    PartitionOffsetMap m = new PartitionOffsetMap();
    m.apply(new MapUpdate(2, List.of(new OffsetRun(0, 0, 2))));
    m.apply(new MapUpdate(4, List.of(new OffsetRun(2, 2, 2))));
    m.apply(new MapUpdate(5, List.of())); // a transaction that only consumed a marker
    assertThat(m.runCount()).isEqualTo(1);
    assertThat(m.sourceNext()).hasValue(5);
    assertThat(m.targetOffset(5)).hasValue(4);
  }

  /** Every gap kind at random, split into random transactions: each position is checked against a brute force. */
  @Test
  void randomGapsAgreeWithBruteForceForEveryPosition() {
    Random rnd = new Random(42);
    for (int round = 0; round < 200; round++) {
      List<long[]> pairs = new ArrayList<>();
      long s = rnd.nextInt(5);
      long t = rnd.nextInt(5);
      int n = 1 + rnd.nextInt(60);
      for (int i = 0; i < n; i++) {
        pairs.add(new long[] {s, t});
        s += 1 + (rnd.nextInt(4) == 0 ? rnd.nextInt(4) : 0);
        t += 1 + (rnd.nextInt(4) == 0 ? rnd.nextInt(4) : 0);
      }
      long sourceNext = s + rnd.nextInt(3);
      PartitionOffsetMap m = new PartitionOffsetMap();
      RunBuilder b = new RunBuilder();
      for (int i = 0; i < pairs.size(); i++) {
        b.add(pairs.get(i)[0], pairs.get(i)[1]);
        if (rnd.nextInt(10) == 0) {
          m.apply(new MapUpdate(pairs.get(i)[0] + 1, b.drain()));
        }
      }
      m.apply(new MapUpdate(sourceNext, b.drain()));
      long targetNext = pairs.get(pairs.size() - 1)[1] + 1;
      for (long pos = 0; pos <= sourceNext; pos++) {
        long expected = targetNext;
        for (long[] pr : pairs) {
          if (pr[0] >= pos) {
            expected = pr[1];
            break;
          }
        }
        assertThat(m.targetOffset(pos)).as("round %d source position %d", round, pos).isEqualTo(OptionalLong.of(expected));
      }
      assertThat(m.targetOffset(sourceNext + 1)).isEmpty();
      for (long pos = 0; pos <= targetNext + 2; pos++) {
        long expected = sourceNext;
        for (long[] pr : pairs) {
          if (pr[1] >= pos) {
            expected = pr[0];
            break;
          }
        }
        assertThat(m.sourceOffset(pos)).as("round %d target position %d", round, pos).isEqualTo(OptionalLong.of(expected));
      }
    }
  }

  @Test
  void aReplayOfTheSourceBeginsANewGenerationInsteadOfFailing() {
    PartitionOffsetMap m = new PartitionOffsetMap();
    assertThat(m.apply(new MapUpdate(100, List.of(new OffsetRun(0, 0, 100))))).isFalse();
    // progress was lost and source 50.. was copied again after target offset 101 (a marker at 100)
    assertThat(m.apply(new MapUpdate(80, List.of(new OffsetRun(50, 101, 30))))).isTrue();

    assertThat(m.generation()).isEqualTo(1);
    assertThat(m.sourceNext()).hasValue(80);
    assertThat(m.targetOffset(60)).as("the latest copy").hasValue(111);
    assertThat(m.targetOffset(49)).as("before the replay: not translated").isEmpty();
    assertThat(m.targetOffset(90)).as("not replicated yet in this generation").isEmpty();
    m.apply(new MapUpdate(120, List.of(new OffsetRun(80, 132, 40))));
    assertThat(m.targetOffset(100)).hasValue(152);
  }

  @Test
  void aRecreatedTargetTopicBeginsANewGenerationAtTheFirstRunWrittenToIt() {
    PartitionOffsetMap m = new PartitionOffsetMap();
    m.apply(new MapUpdate(100, List.of(new OffsetRun(0, 0, 100))));
    assertThat(m.apply(new MapUpdate(130, List.of(new OffsetRun(100, 0, 30))))).isTrue();
    assertThat(m.targetOffset(110)).hasValue(10);
    assertThat(m.targetOffset(99)).isEmpty();
    assertThat(m.targetNext()).hasValue(30);
  }

  @Test
  void codecRoundTripsUpdatesAndKeys() {
    MapUpdate u = new MapUpdate(1_000_000_007L, List.of(new OffsetRun(5, 70, 3), new OffsetRun(10, 80, 100_000)));
    assertThat(OffsetMapCodec.decodeUpdate(OffsetMapCodec.updateValue(7, u))).isEqualTo(u);
    var tp = new org.apache.kafka.common.TopicPartition("orders.eu-1", 12);
    assertThat(OffsetMapCodec.decodeKey(OffsetMapCodec.updateKey(tp, 515))).isEqualTo(new OffsetMapCodec.Key(tp, OffsetMapCodec.Kind.UPDATE));
    assertThat(new String(OffsetMapCodec.updateKey(tp, 515), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("orders.eu-1:12:u3");
    assertThat(OffsetMapCodec.decodeKey(OffsetMapCodec.snapshotKey(tp))).isEqualTo(new OffsetMapCodec.Key(tp, OffsetMapCodec.Kind.SNAPSHOT));
    assertThat(OffsetMapCodec.decodeKey("orders.eu-1:12".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .as("the first format").isEqualTo(new OffsetMapCodec.Key(tp, OffsetMapCodec.Kind.UNNUMBERED_UPDATE));
  }

  @Test
  void anUpdateForAnotherIncarnationOfTheTopicsBeginsANewGenerationEvenWithoutOverlap() {
    Incarnation first = new Incarnation(Uuid.randomUuid(), Uuid.randomUuid());
    Incarnation appended = new Incarnation(Uuid.randomUuid(), first.target());
    PartitionOffsetMap m = new PartitionOffsetMap();
    m.apply(new MapUpdate(100, List.of(new OffsetRun(0, 0, 100)), first));
    assertThat(m.incarnation()).isEqualTo(first);
    // the source topic was created again with a head start of 300 records (none of them read yet by Ferry): its offsets
    // do not overlap the old topic's, yet they are other records
    assertThat(m.apply(new MapUpdate(400, List.of(new OffsetRun(300, 101, 100)), appended))).isTrue();
    assertThat(m.generation()).isEqualTo(1);
    assertThat(m.incarnation()).isEqualTo(appended);
    assertThat(m.targetOffset(50)).as("before its first record replicated: the first replicated record").hasValue(101);
    assertThat(m.targetOffset(350)).hasValue(151);
    assertThat(m.apply(new MapUpdate(410, List.of(new OffsetRun(400, 202, 10)), appended))).as("the same incarnation").isFalse();
    assertThat(m.apply(new MapUpdate(420, List.of(new OffsetRun(410, 213, 10)), Incarnation.UNKNOWN))).as("unknown ids match any").isFalse();
    assertThat(m.incarnation()).isEqualTo(appended);
  }

  @Test
  void codecKeepsTheTopicIdsOfUpdatesAndSnapshotsAndStillReadsTheFormatsWithout() {
    Incarnation ids = new Incarnation(Uuid.randomUuid(), Uuid.randomUuid());
    MapUpdate u = new MapUpdate(10, List.of(new OffsetRun(0, 0, 10)), ids);
    byte[] value = OffsetMapCodec.updateValue(1, u);
    assertThat(value[0]).isEqualTo((byte) 4);
    assertThat(OffsetMapCodec.decodeUpdate(value)).isEqualTo(u);

    PartitionOffsetMap m = new PartitionOffsetMap();
    m.apply(1, u);
    PartitionOffsetMap restored = new PartitionOffsetMap();
    OffsetMapCodec.apply(restored, OffsetMapCodec.Kind.SNAPSHOT, OffsetMapCodec.snapshotValue(m));
    assertThat(restored.incarnation()).isEqualTo(ids);
    assertThat(restored.targetOffset(5)).hasValue(5);

    // version 2: byte 2, varlong seq 1, varlong sourceNext 10, one run (0, 0, 10), no ids
    byte[] v2 = {2, 2, 20, 2, 0, 0, 20};
    assertThat(OffsetMapCodec.decodeUpdate(v2)).isEqualTo(new MapUpdate(10, List.of(new OffsetRun(0, 0, 10))));
    PartitionOffsetMap old = new PartitionOffsetMap();
    OffsetMapCodec.apply(old, OffsetMapCodec.Kind.UPDATE, v2);
    assertThat(old.incarnation()).isEqualTo(Incarnation.UNKNOWN);
    assertThat(old.targetOffset(5)).hasValue(5);
  }

  /** One transaction per call: {@code n} records from source {@code s}, after Ferry's own marker on the target. */
  private static long[] transaction(PartitionOffsetMap m, long s, long t, int n) {
    m.apply(new MapUpdate(s + n, List.of(new OffsetRun(s, t, n))));
    return new long[] {s + n, t + n + 1};
  }

  @Test
  void memoryStaysBoundedAndOldPositionsAreBoundedByAnchorsAroundTheExactRecord() {
    PartitionOffsetMap m = new PartitionOffsetMap(16, 8);
    long[] at = {0, 0};
    List<long[]> truth = new ArrayList<>(); // (source, target) of the first record of each transaction
    List<Long> targetOf = new ArrayList<>(); // target offset of every source offset
    for (int i = 0; i < 10_000; i++) {
      truth.add(new long[] {at[0], at[1]});
      int n = 1 + i % 5;
      for (int k = 0; k < n; k++) {
        targetOf.add(at[1] + k);
      }
      at = transaction(m, at[0], at[1], n);
    }
    assertThat(m.runCount()).isEqualTo(16);
    assertThat(m.anchorCount()).isBetween(4, 8);
    for (int source = 0; source < targetOf.size(); source++) {
      PartitionOffsetMap.TargetBounds b = m.targetBounds(source).orElseThrow();
      assertThat(targetOf.get(source)).as("bounds of %d", source).isBetween(b.low(), b.high());
    }
    long[] recent = truth.get(truth.size() - 3);
    assertThat(m.targetOffset(recent[0])).as("the exact window").hasValue(recent[1]);
    assertThat(m.targetOffset(0)).as("the first record is always an anchor").hasValue(0);
    assertThat(m.targetBounds(truth.get(5_000)[0]).orElseThrow().exact()).isFalse();
  }

  @Test
  void aSnapshotRestoresTheMapAndOlderUpdatesAreIgnored() {
    PartitionOffsetMap m = new PartitionOffsetMap(16, 8);
    long[] at = {0, 0};
    for (int i = 0; i < 100; i++) {
      at = transaction(m, at[0], at[1], 3);
    }
    byte[] snapshot = OffsetMapCodec.snapshotValue(m);
    PartitionOffsetMap restored = new PartitionOffsetMap(16, 8);
    // what survives compaction before the snapshot: updates 90..100, applied to an empty map, then the snapshot
    restored.apply(90, new MapUpdate(270, List.of(new OffsetRun(267, 356, 3))));
    assertThat(restored.incomplete()).isTrue();
    assertThat(restored.targetBounds(268)).as("nothing is translated from an incomplete map").isEmpty();
    OffsetMapCodec.apply(restored, OffsetMapCodec.Kind.SNAPSHOT, snapshot);
    assertThat(restored.incomplete()).isFalse();
    assertThat(restored.seq()).isEqualTo(100);
    OffsetMapCodec.apply(restored, OffsetMapCodec.Kind.UPDATE, OffsetMapCodec.updateValue(100, new MapUpdate(300, List.of(new OffsetRun(297, 396, 3)))));
    assertThat(restored.generation()).as("an update it holds is ignored").isZero();
    for (long s = 0; s <= 300; s++) {
      assertThat(restored.targetBounds(s)).as("position %d", s).isEqualTo(m.targetBounds(s));
    }
    at = transaction(m, at[0], at[1], 3);
    OffsetMapCodec.apply(restored, OffsetMapCodec.Kind.UPDATE, OffsetMapCodec.updateValue(101, new MapUpdate(303, List.of(new OffsetRun(300, 400, 3)))));
    assertThat(restored.targetOffset(301)).isEqualTo(m.targetOffset(301)).hasValue(401);
  }
}
