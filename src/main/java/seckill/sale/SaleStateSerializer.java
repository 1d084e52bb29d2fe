package seckill.sale;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import seckill.sale.Sale.Definition;
import seckill.sale.Sale.Lifecycle;
import seckill.sale.Sale.Reservation;
import seckill.sale.Sale.State;
import seckill.sale.Sale.Units;

/**
 * Writes a sale's snapshot: a small CBOR header (definition, lifecycle, counts, the few reservations
 * the ledger keeps whole) and then the ledger's columns as raw arrays, so writing and reading a
 * million reservations is a few memory copies rather than a million Jackson objects. Runs in the
 * snapshot store, off the entity's thread. Bound to {@link State} in serialization.conf.
 */
public final class SaleStateSerializer extends SerializerWithStringManifest {

  private static final String MANIFEST = "ledger-1";

  /** What is not columns. */
  record Header(Definition definition, Lifecycle lifecycle, Units units, List<WholeRow> wholeRows) {}

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
    if (!(o instanceof State state)) throw new IllegalArgumentException("not a sale state: " + o.getClass());
    Ledger ledger = state.ledger();
    List<WholeRow> whole = ledger.irregularRows().entrySet().stream()
        .map(e -> new WholeRow(e.getKey(), e.getValue())).toList();
    byte[] header;
    try {
      header = cbor.writeValueAsBytes(new Header(state.definition(), state.lifecycle(), state.units(), whole));
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
    return new State(header.definition(), header.lifecycle(), header.units(), Ledger.readFrom(in, whole));
  }
}
