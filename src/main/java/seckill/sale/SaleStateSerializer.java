package seckill.sale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.apache.pekko.serialization.jackson.JacksonMigration;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import seckill.sale.SaleState.Lifecycle;
import seckill.sale.SaleState.Units;

/**
 * Writes a sale's snapshot: a small CBOR header (definition, lifecycle, units, the few reservations
 * the ledger keeps whole) and then the ledger's columns as raw arrays, so writing and reading a
 * million reservations is a few memory copies rather than a million Jackson objects. Runs in the
 * snapshot store, off the entity's thread. Bound to {@link SaleState} in serialization.conf.
 */
public final class SaleStateSerializer extends SerializerWithStringManifest {

  private static final String MANIFEST = "ledger-1";

  /** What the sale hands the snapshot store, and what recovery makes of a snapshot of any form. */
  static final SnapshotAdapter<SaleState> SNAPSHOTS = new SnapshotAdapter<>() {
    @Override
    public Object toJournal(SaleState state) {
      return state.frozen();
    }

    @Override
    public SaleState fromJournal(Object from) {
      return from instanceof JacksonForm old ? old.toState() : ((SaleState) from).writable();
    }
  };

  /** What is not columns; {@code admissions} is absent in snapshots written before the sale kept them. */
  record Header(SaleDefinition definition, Lifecycle lifecycle, Units units, List<WholeRow> wholeRows,
      List<AdmissionUse> admissions) {}

  record WholeRow(int row, Reservation reservation) {}

  private final ObjectMapper cbor;

  public SaleStateSerializer(ExtendedActorSystem system) {
    this.cbor = JacksonObjectMapperProvider.get(system).getOrCreate("jackson-cbor", Optional.of(new CBORFactory()));
  }

  @Override
  public int identifier() {
    return 7_301;
  }

  @Override
  public String manifest(Object o) {
    return MANIFEST;
  }

  @Override
  public byte[] toBinary(Object o) {
    if (!(o instanceof SaleState state)) throw new IllegalArgumentException("not a sale state: " + o.getClass());
    Ledger ledger = state.ledger();
    List<WholeRow> whole = ledger.irregularRows().entrySet().stream()
        .map(e -> new WholeRow(e.getKey(), e.getValue())).toList();
    byte[] header;
    try {
      header = cbor.writeValueAsBytes(new Header(state.definition(), state.lifecycle(), state.units(), whole,
          state.admissions().all()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ByteBuffer out = ByteBuffer.allocate(4 + header.length + ledger.binarySize());
    out.putInt(header.length).put(header);
    ledger.writeTo(out);
    if (out.hasRemaining()) throw new IllegalStateException("ledger wrote " + out.position() + " of " + out.capacity() + " bytes");
    return out.array();
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (!MANIFEST.equals(manifest)) throw new NotSerializableException("unknown sale state manifest " + manifest);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    byte[] headerBytes = new byte[in.getInt()];
    in.get(headerBytes);
    Header header;
    try {
      header = cbor.readValue(headerBytes, Header.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<Integer, Reservation> whole = new HashMap<>();
    header.wholeRows().forEach(w -> whole.put(w.row(), w.reservation()));
    return new SaleState(header.definition(), header.lifecycle(), header.units(), Ledger.readFrom(in, whole),
        AdmissionUses.of(header.admissions()));
  }

  // ---------------------------------------------------------------- the Jackson form

  /**
   * A snapshot in the Jackson form (manifest {@code seckill.sale.Sale$State} under jackson-cbor): read,
   * never written. Its units are a record or, in its first version, five fields; its reservations a map
   * of records, from which the ledger is rebuilt.
   */
  record JacksonForm(SaleDefinition definition, Lifecycle lifecycle, Units units, int stock, int available, int held,
      int sold, int pending, Map<String, Reservation> reservations) {

    SaleState toState() {
      Ledger ledger = Ledger.create();
      if (reservations != null) {
        reservations.values().stream()
            .sorted(Comparator.comparing(Reservation::createdAt).thenComparing(Reservation::id))
            .forEach(ledger::place);
      }
      return new SaleState(definition, lifecycle, units != null ? units : new Units(stock, available, held, sold, pending), ledger,
          AdmissionUses.of(null));
    }
  }

  /** Points Jackson at {@link JacksonForm} for the class name those snapshots carry (serialization.conf). */
  public static final class JacksonFormMigration extends JacksonMigration {
    @Override
    public int currentVersion() {
      return 2;
    }

    @Override
    public String transformClassName(int fromVersion, String className) {
      return JacksonForm.class.getName();
    }

    @Override
    public JsonNode transform(int fromVersion, JsonNode json) {
      return json;
    }
  }
}
