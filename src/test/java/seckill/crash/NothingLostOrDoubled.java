package seckill.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import seckill.Api;
import seckill.Api.Response;
import seckill.BuyerSwarm;

/** What every crash test checks once the node is back: no reservation answered 201 lost, none made twice. */
final class NothingLostOrDoubled {

  private static final Duration AT_MOST = Duration.ofMinutes(5);

  private NothingLostOrDoubled() {}

  /**
   * After a crash and restart, on a sale with one unit per buyer of a {@link BuyerSwarm#keepReserving}
   * swarm: every 201 is found by its owner, the counters balance, no buyer is over the limit; then
   * every attempted request sent again is answered 201, acknowledged ones with the reservation they
   * were first given, and the units taken are exactly one per attempted buyer: nothing unanswered was
   * counted twice. The reservations answered now join {@code acknowledged}, for the next round.
   */
  static void verify(Api api, String saleId, int stock, Set<String> attempted, Map<String, String> acknowledged)
      throws Exception {
    List<Supplier<String>> lookups = new ArrayList<>();
    acknowledged.forEach((buyer, rid) -> lookups.add(() -> {
      Response r = api.get("/api/reservations/" + rid, Api.mint(buyer));
      return r.status() == 200 && rid.equals(r.json().get("reservationId").asText()) ? null
          : "201 for " + rid + " (" + buyer + ") is gone: " + r.status() + " " + r.text();
    }));
    List<String> lost = BuyerSwarm.sendAll(8, lookups, AT_MOST).stream().filter(Objects::nonNull).toList();
    assertTrue(lost.isEmpty(), lost.size() + " of " + acknowledged.size() + " reservations answered 201 did not survive"
        + " the crash, e.g. " + lost.subList(0, Math.min(3, lost.size())));

    JsonNode c = api.counters(saleId);
    assertEquals(stock, c.get("sold").asInt() + c.get("held").asInt() + c.get("available").asInt(), c.toString());
    assertTrue(c.get("topBuyerUnits").asInt() <= 1, "no buyer over the limit: " + c);
    int taken = c.get("sold").asInt() + c.get("held").asInt();
    assertTrue(taken >= acknowledged.size() && taken <= attempted.size(),
        "units taken (" + taken + ") between the 201s (" + acknowledged.size() + ") and the requests sent ("
            + attempted.size() + ")");

    String path = api.reservePath(saleId);
    List<Supplier<String>> resends = new ArrayList<>();
    for (String buyer : attempted) {
      resends.add(() -> {
        Response r = api.post(path, Api.mint(buyer), Api.reserveBody(BuyerSwarm.requestId(buyer), 1));
        if (r.status() != 201) return buyer + " sent again: " + r.status() + " " + r.text();
        String now = r.json().get("reservationId").asText();
        String first = acknowledged.putIfAbsent(buyer, now);
        return first == null || first.equals(now) ? null : buyer + " was told " + first + ", now " + now;
      });
    }
    List<String> wrong = BuyerSwarm.sendAll(8, resends, AT_MOST).stream().filter(Objects::nonNull).toList();
    assertTrue(wrong.isEmpty(), wrong.size() + " requests sent again were not answered with their one reservation, e.g. "
        + wrong.subList(0, Math.min(3, wrong.size())));
    JsonNode after = api.counters(saleId);
    assertEquals(attempted.size(), after.get("sold").asInt() + after.get("held").asInt(),
        "one unit per buyer who sent a request, none twice: " + after);
    assertTrue(after.get("topBuyerUnits").asInt() <= 1, after.toString());
  }
}
