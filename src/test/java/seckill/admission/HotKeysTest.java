package seckill.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The counting and throttling itself, on a clock the test moves: no sleeping, no timing. */
class HotKeysTest {

  private static final long SECOND = 1_000_000_000L;

  private final AtomicLong clock = new AtomicLong(1_000 * SECOND);

  private HotKeys hotKeys(String overrides) {
    Config c = ConfigFactory.parseString(overrides)
        .withFallback(ConfigFactory.parseResources("admission.conf").resolve().getConfig("seckill.admission.hot-keys"));
    return new HotKeys(c, clock::get);
  }

  private void advance(long seconds) {
    clock.addAndGet(seconds * SECOND);
  }

  @Test
  void countsPerSaleOverTheWindowAndForgetsWhatSlidOut() {
    HotKeys hot = hotKeys("window = 10s, buckets = 10");
    for (int i = 0; i < 30; i++) hot.reserveAttempt("a");
    for (int i = 0; i < 4; i++) hot.statusPoll("a");
    advance(5);
    for (int i = 0; i < 10; i++) hot.reserveAttempt("a");
    HotKeys.SaleHeat a = hot.hotspots().sales().get(0);
    assertEquals("a", a.sale());
    assertEquals(40, a.reserves());
    assertEquals(4, a.statusPolls());
    assertEquals(4.0, a.reservesPerSecond());

    advance(6); // the first 30 attempts and the polls are now older than the window
    a = hot.hotspots().sales().get(0);
    assertEquals(10, a.reserves());
    assertEquals(0, a.statusPolls());
  }

  @Test
  void aSaleIsHotWhileItsRateIsOverTheHotRateAndCoolsDownAfterwards() {
    HotKeys hot = hotKeys("window = 10s, buckets = 10, hot-sale-rate = 5");
    for (int i = 0; i < 49; i++) hot.reserveAttempt("flash");
    for (int i = 0; i < 100; i++) hot.statusPoll("flash");
    assertFalse(hot.isHot("flash"), "49 attempts in 10 s are 4.9/s; status polls do not count");
    hot.reserveAttempt("flash");
    assertTrue(hot.isHot("flash"));
    assertFalse(hot.isHot("quiet"), "a sale never seen is cold");
    assertEquals(1, hot.hotspots().hotSales());
    advance(10);
    assertFalse(hot.isHot("flash"));
  }

  @Test
  void aBuyerBeyondTheBurstIsThrottledUntilTokensRefillWhileOthersPass() {
    HotKeys hot = hotKeys("buyer-rate-per-second = 2, buyer-burst = 3");
    for (int i = 0; i < 3; i++) assertTrue(hot.throttle("bot").isEmpty(), "within the burst");
    assertEquals(1, hot.throttle("bot").getAsLong(), "the next token comes within a second");
    assertTrue(hot.throttle("bot").isPresent());
    assertTrue(hot.throttle("alice").isEmpty(), "another buyer has a bucket of their own");

    advance(1); // two tokens refill
    assertTrue(hot.throttle("bot").isEmpty());
    assertTrue(hot.throttle("bot").isEmpty());
    assertTrue(hot.throttle("bot").isPresent());

    HotKeys.BuyerHeat bot = hot.hotspots().buyers().get(0);
    assertEquals("bot", bot.buyer());
    assertEquals(8, bot.reserves());
    assertEquals(3, bot.throttled());
    assertEquals(1, hot.hotspots().throttledBuyers());
  }

  @Test
  void hotspotsListTheTopKeysHottestFirst() {
    HotKeys hot = hotKeys("top = 2, buyer-rate-per-second = 1000, buyer-burst = 1000");
    for (int i = 0; i < 5; i++) hot.reserveAttempt("warm");
    for (int i = 0; i < 9; i++) hot.reserveAttempt("hottest");
    hot.reserveAttempt("cold");
    for (int i = 0; i < 7; i++) hot.throttle("b7");
    for (int i = 0; i < 2; i++) hot.throttle("b2");
    for (int i = 0; i < 12; i++) hot.throttle("b12");
    HotKeys.Hotspots h = hot.hotspots();
    assertEquals(List.of("hottest", "warm"), h.sales().stream().map(HotKeys.SaleHeat::sale).toList());
    assertEquals(List.of("b12", "b7"), h.buyers().stream().map(HotKeys.BuyerHeat::buyer).toList());
    assertEquals(0, h.throttledBuyers());
    assertEquals(10, h.windowSeconds());
  }

  @Test
  void memoryStaysBoundedWhenAFloodBringsManyBuyers() {
    HotKeys hot = hotKeys("max-buyers = 50, top = 1000");
    for (int i = 0; i < 5_000; i++) hot.throttle("bot" + i);
    assertTrue(hot.hotspots().buyers().size() <= 50, "tracked " + hot.hotspots().buyers().size());
  }

  @Test
  void malformedSaleIdsAreNotTracked() {
    HotKeys hot = hotKeys("");
    hot.reserveAttempt("x".repeat(65));
    hot.statusPoll("no spaces");
    assertEquals(0, hot.hotspots().sales().size());
  }
}
