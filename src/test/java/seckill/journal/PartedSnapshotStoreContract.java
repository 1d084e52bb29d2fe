package seckill.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.TestNode;
import seckill.serialization.CborSerializable;

/** The snapshot store on a real database, through Pekko's snapshot protocol: subclasses run it on H2 and on PostgreSQL. */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PartedSnapshotStoreContract {

  /** A snapshot of any size. */
  public record Blob(String name, byte[] data) implements CborSerializable {}

  private static final AtomicInteger ids = new AtomicInteger();
  private static final int MIB = 1 << 20;
  private Config config;
  private ActorTestKit testKit;
  private ActorRef store;

  protected abstract Config database();

  @BeforeAll
  void start() {
    config = TestNode.config(database(), ConfigFactory.parseString("""
        pekko.actor.provider = local
        seckill-snapshot-store.keep = 3
        """));
    Journal.prepare(config);
    testKit = ActorTestKit.create("snapshots", config);
    store = Persistence.get(Adapter.toClassic(testKit.system())).snapshotStoreFor("seckill-snapshot-store", ConfigFactory.empty());
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void entitiesWrittenAtOnceEachReadTheirOwn() throws Exception {
    // two blocking threads, each with its connection: with one connection per operation an H2 file
    // was closed and opened again by both at once, lost rows and was corrupted within 40 rounds
    for (int round = 0; round < 40; round++) {
      String other = newPid();
      for (int seq = 1; seq <= 2; seq++) {
        store.tell(new SnapshotProtocol.SaveSnapshot(SnapshotMetadata.apply(other, seq, seq), blob("o" + seq, MIB + seq)),
            ActorRef.noSender());
      }
      aBigSnapshotIsWrittenInPartsAndReadBackAtOnce();
    }
  }

  @Test
  void aSmallSnapshotIsOneRowAsPekkoPersistenceJdbcWritesIt() throws Exception {
    String pid = newPid();
    Blob small = blob("small", 1_000);
    save(pid, 3, small);
    assertBlob(small, load(pid, Long.MAX_VALUE));
    assertEquals(0, parts(pid));
    try (Connection c = Journal.connect(config);
        PreparedStatement st = c.prepareStatement(
            "SELECT \"snapshot_ser_manifest\" FROM \"snapshot\" WHERE \"persistence_id\" = ?")) {
      st.setString(1, pid);
      try (ResultSet rs = st.executeQuery()) {
        assertTrue(rs.next());
        assertFalse(rs.getString(1).startsWith(PartedSnapshotStore.PARTS), rs.getString(1));
      }
    }
  }

  @Test
  void aRowWrittenByPekkoPersistenceJdbcIsRead() throws Exception {
    String pid = newPid();
    Blob old = blob("old", 5_000);
    var serialization = SerializationExtension.get(testKit.system());
    var serializer = serialization.findSerializerFor(old);
    try (Connection c = Journal.connect(config);
        PreparedStatement st = c.prepareStatement("INSERT INTO \"snapshot\" (\"persistence_id\", \"sequence_number\","
            + " \"created\", \"snapshot_ser_id\", \"snapshot_ser_manifest\", \"snapshot_payload\") VALUES (?, 7, 1, ?, ?, ?)")) {
      st.setString(1, pid);
      st.setInt(2, serializer.identifier());
      st.setString(3, org.apache.pekko.serialization.Serializers.manifestFor(serializer, old));
      st.setBytes(4, serializer.toBinary(old));
      st.executeUpdate();
    }
    SelectedSnapshot read = load(pid, Long.MAX_VALUE);
    assertEquals(7, read.metadata().sequenceNr());
    assertBlob(old, read);
  }

  @Test
  void aBigSnapshotIsWrittenInPartsAndReadBackAtOnce() throws Exception {
    String pid = newPid();
    Blob big = blob("big", 3 * MIB + 12_345);
    save(pid, 10, big);
    // no waiting: the load comes after the write it queued behind
    SelectedSnapshot read = load(pid, Long.MAX_VALUE);
    assertEquals(10, read.metadata().sequenceNr());
    assertBlob(big, read);
    assertTrue(parts(pid) >= 4, "parts: " + parts(pid));
  }

  @Test
  void aSnapshotWhosePartsDoNotAddUpIsPassedOverForTheOneBefore() throws Exception {
    String pid = newPid();
    Blob older = blob("older", 2 * MIB);
    Blob newer = blob("newer", 2 * MIB);
    saveWritten(pid, 5, older);
    saveWritten(pid, 10, newer);
    assertBlob(newer, load(pid, Long.MAX_VALUE));
    // a save cut short: a part of the newest is missing
    try (Connection c = Journal.connect(config);
        PreparedStatement st = c.prepareStatement("DELETE FROM \"snapshot_part\" WHERE \"persistence_id\" = ?"
            + " AND \"sequence_number\" = 10 AND \"part\" = 1")) {
      st.setString(1, pid);
      assertEquals(1, st.executeUpdate());
    }
    SelectedSnapshot read = load(pid, Long.MAX_VALUE);
    assertEquals(5, read.metadata().sequenceNr());
    assertBlob(older, read);
    // a part changed under an intact count and length: the checksum catches it
    try (Connection c = Journal.connect(config);
        PreparedStatement st = c.prepareStatement("UPDATE \"snapshot_part\" SET \"payload\" = ? WHERE \"persistence_id\" = ?"
            + " AND \"sequence_number\" = 5 AND \"part\" = 0")) {
      st.setBytes(1, new byte[MIB]);
      st.setString(2, pid);
      assertEquals(1, st.executeUpdate());
    }
    assertEquals(null, loadOrNull(pid, Long.MAX_VALUE), "no snapshot is whole: recovery replays the events");
  }

  @Test
  void selectsByCriteriaAndDeletesHeadsWithTheirParts() throws Exception {
    String pid = newPid();
    // each written before the next is saved (a save that a newer one overtakes in the queue is dropped)
    saveWritten(pid, 5, blob("a", 2 * MIB));
    saveWritten(pid, 10, blob("b", 2 * MIB));
    Blob c = blob("c", 100);
    saveWritten(pid, 15, c);
    assertEquals(10, load(pid, 12).metadata().sequenceNr());
    ask(new SnapshotProtocol.DeleteSnapshot(SnapshotMetadata.apply(pid, 10, 0)), org.apache.pekko.persistence.DeleteSnapshotSuccess.class);
    assertEquals(5, load(pid, 12).metadata().sequenceNr());
    ask(new SnapshotProtocol.DeleteSnapshots(pid, SnapshotSelectionCriteria.create(12, Long.MAX_VALUE)),
        org.apache.pekko.persistence.DeleteSnapshotsSuccess.class);
    assertEquals(null, loadOrNull(pid, 12));
    assertEquals(0, parts(pid), "parts go with their heads");
    assertBlob(c, load(pid, Long.MAX_VALUE));
  }

  @Test
  void keepsTheNewestFewWithTheirParts() throws Exception {
    String pid = newPid();
    for (int seq = 1; seq <= 5; seq++) saveWritten(pid, seq, blob("k" + seq, 2 * MIB));
    try (Connection c = Journal.connect(config);
        PreparedStatement heads = c.prepareStatement("SELECT \"sequence_number\" FROM \"snapshot\" WHERE \"persistence_id\" = ?"
            + " ORDER BY \"sequence_number\"");
        PreparedStatement parts = c.prepareStatement("SELECT DISTINCT \"sequence_number\" FROM \"snapshot_part\""
            + " WHERE \"persistence_id\" = ? ORDER BY \"sequence_number\"")) {
      heads.setString(1, pid);
      parts.setString(1, pid);
      assertEquals(java.util.List.of(3L, 4L, 5L), longs(heads));
      assertEquals(java.util.List.of(3L, 4L, 5L), longs(parts));
    }
  }

  private static java.util.List<Long> longs(PreparedStatement st) throws Exception {
    java.util.List<Long> values = new java.util.ArrayList<>();
    try (ResultSet rs = st.executeQuery()) {
      while (rs.next()) values.add(rs.getLong(1));
    }
    return values;
  }

  @Test
  void theLastOfManySavesInARowIsTheOneLoaded() throws Exception {
    String pid = newPid();
    Blob last = null;
    for (int seq = 1; seq <= 6; seq++) {
      last = blob("s" + seq, MIB + seq);
      store.tell(new SnapshotProtocol.SaveSnapshot(SnapshotMetadata.apply(pid, seq, seq), last), ActorRef.noSender());
    }
    SelectedSnapshot read = load(pid, Long.MAX_VALUE);
    assertEquals(6, read.metadata().sequenceNr());
    assertBlob(last, read);
  }

  // ---------------------------------------------------------------- helpers

  private static String newPid() {
    return "Blob|" + ids.incrementAndGet() + "-" + System.nanoTime();
  }

  private static Blob blob(String name, int size) {
    byte[] data = new byte[size];
    new Random(size).nextBytes(data);
    return new Blob(name, data);
  }

  private static void assertBlob(Blob expected, SelectedSnapshot read) {
    Blob blob = assertInstanceOf(Blob.class, read.snapshot());
    assertEquals(expected.name(), blob.name());
    assertArrayEquals(expected.data(), blob.data());
  }

  private void save(String pid, long seq, Blob blob) throws Exception {
    ask(new SnapshotProtocol.SaveSnapshot(SnapshotMetadata.apply(pid, seq, seq), blob), org.apache.pekko.persistence.SaveSnapshotSuccess.class);
  }

  /** Saves, and loads once: the load queues behind the write. */
  private void saveWritten(String pid, long seq, Blob blob) throws Exception {
    save(pid, seq, blob);
    assertEquals(seq, load(pid, Long.MAX_VALUE).metadata().sequenceNr());
  }

  private SelectedSnapshot load(String pid, long maxSeq) throws Exception {
    SelectedSnapshot read = loadOrNull(pid, maxSeq);
    assertTrue(read != null, "no snapshot for " + pid);
    return read;
  }

  private SelectedSnapshot loadOrNull(String pid, long maxSeq) throws Exception {
    var result = ask(new SnapshotProtocol.LoadSnapshot(pid, SnapshotSelectionCriteria.create(maxSeq, Long.MAX_VALUE), maxSeq),
        SnapshotProtocol.LoadSnapshotResult.class);
    return result.snapshot().isDefined() ? result.snapshot().get() : null;
  }

  private <T> T ask(Object message, Class<T> answer) throws Exception {
    Object reply = Patterns.ask(store, message, Duration.ofSeconds(30)).toCompletableFuture().get();
    return assertInstanceOf(answer, reply);
  }

  private int parts(String pid) throws Exception {
    try (Connection c = Journal.connect(config);
        PreparedStatement st = c.prepareStatement("SELECT COUNT(*) FROM \"snapshot_part\" WHERE \"persistence_id\" = ?")) {
      st.setString(1, pid);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }
}
