package seckill.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.BuyerSwarm;
import seckill.TestDatabases;
import seckill.TestNode;

/** Hot keys on a real node: a flooding buyer is cut at the edge, and the operator sees who and where. */
@ExtendWith(LogCapturingExtension.class)
class HotSpotsTest {

  private static JsonNode admission(Api api) {
    return api.admin("GET", "/admin/admission", null).json();
  }

  @Test
  void aFloodingBuyerIsThrottledWhileOtherBuyersAreServedAndHotspotsNameThem() throws Exception {
    try (TestNode node = TestNode.start(TestDatabases.h2(), ConfigFactory.parseString("""
        seckill.admission.hot-keys { buyer-rate-per-second = 1, buyer-burst = 3, window = 60s, throttled-answer-delay = 50ms }
        """))) {
      Api api = node.api();
      api.defineSale("flooded", Api.sale(100, 2, "ON_ORDER", null));
      api.defineSale("calm", Api.sale(100, 2, "ON_ORDER", null));
      String path = api.reservePath("flooded");
      String bot = api.token("bot");
      List<String> honest = new ArrayList<>();
      for (int i = 0; i < 8; i++) honest.add(api.token("buyer" + i));
      long dispatchedBefore = api.dispatched();

      BuyerSwarm swarm = new BuyerSwarm(16);
      int flood = 200;
      List<CompletableFuture<Response>> botAnswers = new ArrayList<>();
      List<CompletableFuture<Response>> honestAnswers = new ArrayList<>();
      for (int i = 0; i < flood; i++) {
        String requestId = "bot-" + i;
        botAnswers.add(swarm.send(() -> api.post(path, bot, Api.reserveBody(requestId, 1))));
        if (i % 25 == 0) {
          String token = honest.get(i / 25);
          honestAnswers.add(swarm.send(() -> api.post(path, token, Api.reserveBody("click", 1))));
        }
      }
      // a different sale, polled and reserved a little: listed, but after the flooded one
      assertEquals(201, api.reserve("calm", honest.get(0), "calm-1", 1).status());

      int throttled = 0, passed = 0;
      for (CompletableFuture<Response> f : botAnswers) {
        Response r = f.get(60, TimeUnit.SECONDS);
        if (r.status() == 429 && "buyer_throttled".equals(r.error())) {
          assertTrue(Integer.parseInt(r.header("Retry-After")) >= 1, r.text());
          throttled++;
        } else {
          assertTrue(r.status() == 201 || r.status() == 409, "the bot's requests that pass are answered by the sale: " + r.text());
          passed++;
        }
      }
      for (CompletableFuture<Response> f : honestAnswers) {
        Response r = f.get(60, TimeUnit.SECONDS);
        assertEquals(201, r.status(), "an honest buyer's single click is served during the flood: " + r.text());
      }
      swarm.close();
      assertTrue(throttled > 0, "a flood of " + flood + " requests beyond a burst of 3 was throttled");

      // throttled requests never reached the queue: what was dispatched is at most what passed the throttle
      long dispatched = api.dispatched() - dispatchedBefore;
      assertTrue(dispatched <= passed + honestAnswers.size() + 1, "dispatched " + dispatched + ", passed " + passed);

      JsonNode mine = api.get("/api/sales/flooded/reservations", bot).json().get("reservations");
      int units = 0;
      for (JsonNode r : mine) units += r.get("quantity").asInt();
      assertTrue(units <= 2, "the flooder holds at most the per-buyer limit: " + units);
      JsonNode counters = api.admin("GET", "/admin/sales/flooded", null).json();
      assertEquals(honestAnswers.size() + units, counters.get("sold").asInt());

      JsonNode spots = api.admin("GET", "/admin/hotspots", null).json();
      assertEquals("flooded", spots.get("sales").get(0).get("sale").asText(), spots.toString());
      assertEquals(flood + honestAnswers.size(), spots.get("sales").get(0).get("reserves").asLong(), spots.toString());
      assertEquals("calm", spots.get("sales").get(1).get("sale").asText(), spots.toString());
      JsonNode top = spots.get("buyers").get(0);
      assertEquals("bot", top.get("buyer").asText(), spots.toString());
      assertEquals(flood, top.get("reserves").asLong());
      assertEquals(throttled, top.get("throttled").asLong());
      assertEquals(1, spots.get("throttledBuyers").asInt(), "honest buyers are not throttled: " + spots);
      assertEquals(60, spots.get("windowSeconds").asInt());

      assertEquals(401, api.get("/admin/hotspots", null).status(), "operators only");

      String metrics = new Api(node.managementUrl()).get("/metrics", null).text();
      assertTrue(metrics.contains("seckill_hot_keys{kind=\"throttled_buyers\"} 1.0"), metrics);
      assertTrue(metrics.contains("seckill_sale_reserve_rate{sale=\"flooded\"}"), metrics);
      assertTrue(metrics.contains("seckill_reserve_requests_total{outcome=\"buyer_throttled\"} " + throttled + ".0"), metrics);
    }
  }

  @Test
  void aHotSalesBatchesGrowPastTheBatchSizeWhileAColdSaleKeepsIt() throws Exception {
    // a batch window groups requests sent together (a full batch goes at once); hot from 9 attempts in 60 s
    try (TestNode node = TestNode.start(TestDatabases.h2(), ConfigFactory.parseString("""
        seckill.admission { batch-size = 2, batch-window = 2s, lanes = 1 }
        seckill.admission.hot-keys { window = 60s, hot-sale-rate = 0.15, hot-batch-factor = 4 }
        """))) {
      Api api = node.api();
      api.defineSale("cold", Api.sale(100, 1, "ON_ORDER", null));
      api.defineSale("hot", Api.sale(100, 1, "ON_ORDER", null));
      List<String> tokens = new ArrayList<>();
      for (int i = 0; i < 8; i++) tokens.add(api.token("b" + i));
      // bots without a token make the sale hot: attempts are counted before the token is checked
      String hotPath = api.reservePath("hot");
      for (int i = 0; i < 10; i++) assertEquals(401, api.post(hotPath, null, Api.reserveBody("x", 1)).status());
      JsonNode sales = api.admin("GET", "/admin/hotspots", null).json().get("sales");
      assertEquals("hot", sales.get(0).get("sale").asText());
      assertTrue(sales.get(0).get("hot").asBoolean(), sales.toString());

      long[] cold = batchesFor(api, "cold", tokens);
      long[] hot = batchesFor(api, "hot", tokens);
      assertEquals(8, cold[1]);
      assertEquals(8, hot[1]);
      assertTrue(cold[0] >= 4, "a cold sale's batches hold at most batch-size (2): " + cold[0] + " batches");
      assertTrue(hot[0] < 4, "a hot sale's batch held more than batch-size: " + hot[0] + " batches for 8");
    }
  }

  /** Sends 8 reserves at once and returns {batches, dispatched} they took. */
  private static long[] batchesFor(Api api, String saleId, List<String> tokens) throws Exception {
    String path = api.reservePath(saleId);
    JsonNode before = admission(api);
    List<Supplier<Response>> requests = new ArrayList<>();
    for (String token : tokens) requests.add(() -> api.post(path, token, Api.reserveBody("r", 1)));
    for (Response r : BuyerSwarm.sendAll(tokens.size(), requests, Duration.ofSeconds(30))) assertEquals(201, r.status());
    JsonNode after = admission(api);
    return new long[] {after.get("batches").asLong() - before.get("batches").asLong(),
        after.get("dispatched").asLong() - before.get("dispatched").asLong()};
  }
}
