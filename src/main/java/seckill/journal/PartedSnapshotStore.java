package seckill.journal;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.snapshot.japi.SnapshotStore;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/**
 * A snapshot store that lets the entity go on while its snapshot is written, and writes a big one in
 * parts. A save is answered once queued (Pekko stashes the entity's commands until then) and written
 * on {@code blocking-dispatcher}, one at a time per persistence id, in order with its deletes and
 * before its next load; a lost one costs recovery time only, as no event is deleted on a snapshot.
 * A snapshot below {@code part-size} is one row of pekko-persistence-jdbc's {@code snapshot} table as
 * that plugin writes it; a bigger one has its bytes in {@code snapshot_part} and a head row, written
 * last, naming the parts' count, length and CRC32: a head whose parts do not add up is passed over.
 * A snapshot must not change after it is handed over (the sale hands a frozen copy).
 */
public final class PartedSnapshotStore extends SnapshotStore {

  private static final Logger log = LoggerFactory.getLogger(PartedSnapshotStore.class);
  static final String PARTS = "parts/";

  private final Config rootConfig;
  private final int partSize;
  private final int keep;
  private final Duration loadWait;
  private final Executor blocking;
  private final Serialization serialization;
  private final HikariDataSource pool;
  /** Per persistence id: the end of its chain of writes and deletes, and the save waiting to start. */
  private final ConcurrentHashMap<String, CompletableFuture<Void>> chains = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, PendingSave> waiting = new ConcurrentHashMap<>();

  private record PendingSave(SnapshotMetadata metadata, Object snapshot) {}

  public PartedSnapshotStore(Config config) {
    this.rootConfig = context().system().settings().config();
    this.partSize = (int) Math.min(Integer.MAX_VALUE - 64, config.getBytes("part-size"));
    this.keep = Math.max(1, config.getInt("keep"));
    this.loadWait = config.getDuration("load-waits-for-write");
    this.blocking = context().system().dispatchers().lookup(config.getString("blocking-dispatcher"));
    this.serialization = SerializationExtension.get(context().system());
    // a connection for each thread that writes or loads, held open for the store's life; PostgreSQL's
    // driver sends bytea as hex text until a statement has run five times, unless binary is forced
    // (a third of a 10M sale's recovery went to decoding that hex)
    boolean postgres = rootConfig.getString("seckill.db.url").startsWith("jdbc:postgresql:");
    this.pool = Journal.pool(rootConfig, "seckill-snapshots",
        rootConfig.getConfig(config.getString("blocking-dispatcher")).getInt("thread-pool-executor.fixed-pool-size"),
        postgres ? Map.of("prepareThreshold", "-1") : Map.of());
  }

  @Override
  public void postStop() throws Exception {
    pool.close();
    super.postStop();
  }

  @Override
  public Future<Optional<SelectedSnapshot>> doLoadAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    // after the writes queued for this entity, but not forever: a write stuck on a dead connection
    // must not keep the entity from recovering (from an older snapshot and more events)
    CompletableFuture<Void> writes = chains.getOrDefault(persistenceId, CompletableFuture.completedFuture(null));
    return FutureConverters.asScala(writes.handle((ignored, failure) -> (Void) null)
        .completeOnTimeout(null, loadWait.toMillis(), TimeUnit.MILLISECONDS)
        .thenApplyAsync(ignored -> load(persistenceId, criteria), blocking));
  }

  private Optional<SelectedSnapshot> load(String persistenceId, SnapshotSelectionCriteria criteria) {
    return unchecked(() -> {
      try (Connection c = pool.getConnection()) {
        for (Head head : heads(c, persistenceId, criteria)) {
          Optional<byte[]> bytes = head.parts() == 0 ? inline(c, persistenceId, head) : parts(c, persistenceId, head);
          if (bytes.isEmpty()) {
            log.warn("snapshot {} of {} is incomplete (a save cut short), recovering from an older one",
                head.sequenceNr(), persistenceId);
            continue;
          }
          Object snapshot = serialization.deserialize(bytes.get(), head.serializerId(), head.manifest()).get();
          return Optional.of(SelectedSnapshot.create(
              SnapshotMetadata.apply(persistenceId, head.sequenceNr(), head.created()), snapshot));
        }
        return Optional.<SelectedSnapshot>empty();
      }
    });
  }

  @Override
  public Future<Void> doSaveAsync(SnapshotMetadata metadata, Object snapshot) {
    String pid = metadata.persistenceId();
    waiting.put(pid, new PendingSave(metadata, snapshot));
    chain(pid, () -> {
      PendingSave save = waiting.remove(pid);
      if (save == null) return null; // a newer save took its place and is written by its own turn
      try {
        write(save.metadata(), save.snapshot());
      } catch (Exception e) {
        log.warn("snapshot {} of {} not written ({}); recovery replays more events instead",
            save.metadata().sequenceNr(), pid, e.toString());
      }
      return null;
    });
    return Future.successful(null);
  }

  private void write(SnapshotMetadata metadata, Object snapshot) throws SQLException {
    Serializer serializer = serialization.findSerializerFor(snapshot);
    String manifest = Serializers.manifestFor(serializer, snapshot);
    byte[] bytes = serializer.toBinary(snapshot);
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(true);
      String pid = metadata.persistenceId();
      long seq = metadata.sequenceNr();
      // the same sequence number saved again: first the head goes, so no head ever points at half-written parts
      update(c, "DELETE FROM \"snapshot\" WHERE \"persistence_id\" = ? AND \"sequence_number\" = ?", pid, seq);
      update(c, "DELETE FROM \"snapshot_part\" WHERE \"persistence_id\" = ? AND \"sequence_number\" = ?", pid, seq);
      if (bytes.length <= partSize) {
        insertHead(c, metadata, serializer.identifier(), manifest, bytes);
        keepNewest(c, pid);
        return;
      }
      int count = (bytes.length + partSize - 1) / partSize;
      try (PreparedStatement st = c.prepareStatement("INSERT INTO \"snapshot_part\""
          + " (\"persistence_id\", \"sequence_number\", \"part\", \"payload\") VALUES (?, ?, ?, ?)")) {
        for (int part = 0; part < count; part++) {
          int from = part * partSize;
          st.setString(1, pid);
          st.setLong(2, seq);
          st.setInt(3, part);
          st.setBytes(4, Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + partSize)));
          st.executeUpdate(); // each part its own commit: the journal's commits slip in between
        }
      }
      CRC32 crc = new CRC32();
      crc.update(bytes);
      insertHead(c, metadata, serializer.identifier(),
          PARTS + count + "/" + bytes.length + "/" + crc.getValue() + "/" + manifest, new byte[0]);
      keepNewest(c, pid);
    }
  }

  /** Deletes all but the newest {@link #keep} snapshots of {@code persistenceId}, with their parts. */
  private void keepNewest(Connection c, String persistenceId) throws SQLException {
    List<Head> heads = heads(c, persistenceId, SnapshotSelectionCriteria.latest());
    if (heads.size() <= keep) return;
    delete(c, persistenceId, SnapshotSelectionCriteria.create(heads.get(keep).sequenceNr(), Long.MAX_VALUE));
  }

  @Override
  public Future<Void> doDeleteAsync(SnapshotMetadata metadata) {
    return after(metadata.persistenceId(), () -> {
      try (Connection c = pool.getConnection()) {
        String pid = metadata.persistenceId();
        update(c, "DELETE FROM \"snapshot\" WHERE \"persistence_id\" = ? AND \"sequence_number\" = ?", pid, metadata.sequenceNr());
        update(c, "DELETE FROM \"snapshot_part\" WHERE \"persistence_id\" = ? AND \"sequence_number\" = ?", pid, metadata.sequenceNr());
        return null;
      }
    });
  }

  @Override
  public Future<Void> doDeleteAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    return after(persistenceId, () -> {
      try (Connection c = pool.getConnection()) {
        delete(c, persistenceId, criteria);
        return null;
      }
    });
  }

  private static void delete(Connection c, String persistenceId, SnapshotSelectionCriteria criteria) throws SQLException {
    try (PreparedStatement heads = c.prepareStatement("DELETE FROM \"snapshot\" WHERE \"persistence_id\" = ?"
            + " AND \"sequence_number\" >= ? AND \"sequence_number\" <= ? AND \"created\" >= ? AND \"created\" <= ?");
        // parts whose head is gone, and those of saves cut short
        PreparedStatement parts = c.prepareStatement("DELETE FROM \"snapshot_part\" WHERE \"persistence_id\" = ?"
            + " AND \"sequence_number\" >= ? AND \"sequence_number\" <= ? AND NOT EXISTS (SELECT 1 FROM \"snapshot\" h"
            + " WHERE h.\"persistence_id\" = \"snapshot_part\".\"persistence_id\""
            + " AND h.\"sequence_number\" = \"snapshot_part\".\"sequence_number\")")) {
      select(heads, persistenceId, criteria);
      heads.executeUpdate();
      parts.setString(1, persistenceId);
      parts.setLong(2, criteria.minSequenceNr());
      parts.setLong(3, criteria.maxSequenceNr());
      parts.executeUpdate();
    }
  }

  /** A snapshot's row in {@code snapshot}: the whole snapshot, or what its parts must add up to. */
  record Head(long sequenceNr, long created, int serializerId, String manifest, int parts, long length, long crc) {

    static Head of(long sequenceNr, long created, int serializerId, String storedManifest) {
      if (!storedManifest.startsWith(PARTS)) return new Head(sequenceNr, created, serializerId, storedManifest, 0, 0, 0);
      String[] f = storedManifest.substring(PARTS.length()).split("/", 4);
      return new Head(sequenceNr, created, serializerId, f[3], Integer.parseInt(f[0]), Long.parseLong(f[1]),
          Long.parseLong(f[2]));
    }
  }

  /** Binds a statement whose first five parameters are the id, the sequence range and the time range. */
  private static void select(PreparedStatement st, String persistenceId, SnapshotSelectionCriteria criteria)
      throws SQLException {
    st.setString(1, persistenceId);
    st.setLong(2, criteria.minSequenceNr());
    st.setLong(3, criteria.maxSequenceNr());
    st.setLong(4, criteria.minTimestamp());
    st.setLong(5, criteria.maxTimestamp());
  }

  /** The heads matching {@code criteria}, newest first, without their payloads. */
  private static List<Head> heads(Connection c, String persistenceId, SnapshotSelectionCriteria criteria) throws SQLException {
    List<Head> heads = new ArrayList<>();
    try (PreparedStatement st = c.prepareStatement("SELECT \"sequence_number\", \"created\", \"snapshot_ser_id\","
        + " \"snapshot_ser_manifest\" FROM \"snapshot\" WHERE \"persistence_id\" = ?"
        + " AND \"sequence_number\" >= ? AND \"sequence_number\" <= ? AND \"created\" >= ? AND \"created\" <= ?"
        + " ORDER BY \"sequence_number\" DESC")) {
      select(st, persistenceId, criteria);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) heads.add(Head.of(rs.getLong(1), rs.getLong(2), rs.getInt(3), rs.getString(4)));
      }
    }
    return heads;
  }

  /** A snapshot held whole in its head row. */
  private static Optional<byte[]> inline(Connection c, String persistenceId, Head head) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT \"snapshot_payload\" FROM \"snapshot\""
        + " WHERE \"persistence_id\" = ? AND \"sequence_number\" = ?")) {
      st.setString(1, persistenceId);
      st.setLong(2, head.sequenceNr());
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
      }
    }
  }

  /** The parts of {@code head} put together, or empty when they are not all there, or not these bytes. */
  private static Optional<byte[]> parts(Connection c, String persistenceId, Head head) throws SQLException, IOException {
    if (head.length() > Integer.MAX_VALUE - 64) return Optional.empty();
    // read straight into one array of the snapshot's length: a big sale's snapshot is copied once, not three times
    byte[] bytes = new byte[(int) head.length()];
    int filled = 0;
    int expected = 0;
    try (PreparedStatement st = c.prepareStatement("SELECT \"part\", \"payload\" FROM \"snapshot_part\""
        + " WHERE \"persistence_id\" = ? AND \"sequence_number\" = ? ORDER BY \"part\"")) {
      st.setString(1, persistenceId);
      st.setLong(2, head.sequenceNr());
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          if (rs.getInt(1) != expected++) return Optional.empty();
          try (InputStream part = rs.getBinaryStream(2)) {
            filled += part.readNBytes(bytes, filled, bytes.length - filled);
            if (part.read() != -1) return Optional.empty(); // longer than the head says
          }
        }
      }
    }
    CRC32 crc = new CRC32();
    crc.update(bytes);
    return expected == head.parts() && filled == bytes.length && crc.getValue() == head.crc()
        ? Optional.of(bytes) : Optional.empty();
  }

  private static void insertHead(Connection c, SnapshotMetadata metadata, int serializerId, String manifest, byte[] payload)
      throws SQLException {
    try (PreparedStatement st = c.prepareStatement("INSERT INTO \"snapshot\" (\"persistence_id\", \"sequence_number\","
        + " \"created\", \"snapshot_ser_id\", \"snapshot_ser_manifest\", \"snapshot_payload\") VALUES (?, ?, ?, ?, ?, ?)")) {
      st.setString(1, metadata.persistenceId());
      st.setLong(2, metadata.sequenceNr());
      st.setLong(3, metadata.timestamp());
      st.setInt(4, serializerId);
      st.setString(5, manifest);
      st.setBytes(6, payload);
      st.executeUpdate();
    }
  }

  private static void update(Connection c, String sql, String persistenceId, long sequenceNr) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql)) {
      st.setString(1, persistenceId);
      st.setLong(2, sequenceNr);
      st.executeUpdate();
    }
  }

  interface Blocking<T> {
    T call() throws Exception;
  }

  /** Runs {@code work} after everything already chained for {@code persistenceId}; its result for Pekko. */
  private <T> Future<T> after(String persistenceId, Blocking<T> work) {
    return FutureConverters.asScala(chain(persistenceId, work));
  }

  private static <T> T unchecked(Blocking<T> work) {
    try {
      return work.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new CompletionException(e);
    }
  }

  private <T> CompletableFuture<T> chain(String persistenceId, Blocking<T> work) {
    CompletableFuture<T> result = new CompletableFuture<>();
    CompletableFuture<Void> end = chains.compute(persistenceId, (pid, previous) ->
        (previous == null ? CompletableFuture.<Void>completedFuture(null) : previous)
            .handleAsync((ignored, failure) -> {
              try {
                result.complete(work.call());
              } catch (Exception | Error e) {
                result.completeExceptionally(e);
              }
              return null;
            }, blocking));
    // the chain is dropped once nothing more waits on it
    end.whenComplete((ignored, failure) -> chains.remove(persistenceId, end));
    return result;
  }
}
