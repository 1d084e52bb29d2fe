package seckill.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import seckill.Api;
import seckill.OneNode;
import seckill.TestNode;

/**
 * The sale page and the operators' dashboard in a real headless Chromium (the OS's, see
 * {@link Chromium}) against a real node: the buy flow from the countdown to sold out, the challenge
 * flow (WebCrypto on localhost), the dashboard's live chart during a burst and a brake taking
 * effect. Screenshots of each state go to target/screenshots.
 */
@ExtendWith({LogCapturingExtension.class, OneNode.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrowserIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Path SHOTS = Path.of("target", "screenshots");

  private TestNode node;
  private Api api;
  private ChromeDriver browser;

  @BeforeAll
  void start() throws Exception {
    browser = Chromium.start();
    Files.createDirectories(SHOTS);
  }

  @AfterAll
  void stop() {
    if (browser != null) browser.quit();
  }

  /**
   * A screenshot of the part of the page that matters, into target/screenshots; with
   * {@code -Dseckill.screenshots=docs/screenshots} it also replaces the picture of that name the docs show.
   */
  private void shot(String name, By part) throws Exception {
    Path taken = browser.findElement(part).getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(taken, SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    String docs = System.getProperty("seckill.screenshots");
    Path shown = docs == null || docs.isBlank() ? null : Path.of(docs).resolve(name + ".png");
    if (shown != null && Files.exists(shown)) { // only the pictures the docs show are retaken
      Files.copy(taken, shown, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static final By SALE_CARD = By.cssSelector("main.card");
  private static final By CHART = By.cssSelector("#board > section:nth-of-type(1)");
  private static final By SALES_TABLE = By.cssSelector("#board > section:nth-of-type(2)");
  private static final By ROOMS_TABLE = By.cssSelector("#board > section:nth-of-type(3)");

  /** A sale as a shop would define it: a real item, description and price, not test data. */
  private static ObjectNode shopSale(String item, String description, String price, int stock, int limit, String mode,
      Long holdSeconds) {
    ObjectNode sale = Api.sale(stock, limit, mode, holdSeconds);
    sale.put("item", item);
    sale.put("description", description);
    sale.put("price", new java.math.BigDecimal(price));
    return sale;
  }

  /** The pages re-render every second: an element found a moment ago may be gone, so look again. */
  private WebDriverWait waiting() {
    WebDriverWait wait = new WebDriverWait(browser, WAIT);
    wait.ignoring(StaleElementReferenceException.class);
    return wait;
  }

  /** The element's text as the DOM holds it (getText() would apply the CSS's text-transform). */
  private String text(String id) {
    return browser.findElement(By.id(id)).getDomProperty("textContent");
  }

  /** A fresh tab state: the page keeps the buyer's token in localStorage. */
  private void openAs(String buyer, String saleId) {
    browser.get(node.baseUrl + "/sales/" + saleId);
    browser.executeScript("localStorage.clear(); sessionStorage.clear();");
    browser.navigate().refresh();
    browser.findElement(By.id("buyer")).sendKeys(buyer);
    browser.findElement(By.id("sign-in")).click();
    waiting().until(d -> text("buyer-hint").contains("Buying as " + buyer));
  }

  @Test
  void aBuyerWaitsForTheOpeningBuysTheLastUnitAndTheNextOneSeesSoldOut() throws Exception {
    ObjectNode sale = shopSale("Trail running shoe Ridge 2, launch edition",
        "Lightweight trail shoe with a recycled upper. The last pair at the launch price.", "89.00", 1, 1, "ON_ORDER", null);
    sale.put("startsAt", Instant.now().plusSeconds(600).toString()); // opened below by the operator, once seen closed
    api.defineSale("web", sale);
    openAs("alice", "web");
    waiting().until(d -> text("countdown-label").equals("Opens in") && text("state").equals("Not open yet"));
    assertTrue(browser.findElement(By.id("buy")).getAttribute("disabled") != null, "no buying before the opening");
    shot("sale-countdown", SALE_CARD);

    api.lifecycle("web", "open", "OPEN");
    waiting().until(ExpectedConditions.elementToBeClickable(By.id("buy"))).click();
    waiting().until(d -> text("outcome").startsWith("It's yours"));
    shot("sale-bought", SALE_CARD);
    assertEquals(1, api.admin("GET", "/admin/sales/web", null).json().get("sold").asInt());

    openAs("bob", "web");
    waiting().until(d -> text("state").equals("Sold out") && text("available").equals("0"));
    // a sold-out status carries no reserve path, so there is nothing to buy with; the page keeps
    // polling and offers the button again if held units come back
    assertTrue(browser.findElement(By.id("buy")).getAttribute("disabled") != null, "no buying while sold out");
    shot("sale-sold-out", SALE_CARD);
    assertEquals(1, api.admin("GET", "/admin/sales/web", null).json().get("sold").asInt(), "still one unit sold");
  }

  @Test
  void aBuyerJoinsTheWaitingRoomSeesThePlaceMoveAndIsLetInToBuy() throws Exception {
    ObjectNode sale = shopSale("Aurora Lights live in Berlin, standing ticket",
        "Spring tour, Columbiahalle. One ticket per buyer, sold through the waiting room.", "59.00", 500, 1, "ON_ORDER", null);
    inLine("web-room", sale, 100, 1000, 60, 300, "ahead-"); // three hundred buyers ahead, let in a hundred a second
    openAs("dave", "web-room");
    waiting().until(d -> text("buy").equals("Join the line"));
    browser.findElement(By.id("buy")).click();
    waiting().until(d -> text("queue-place").matches("\\d+ ahead of you\\."));
    int first = Integer.parseInt(text("queue-place").split(" ")[0]);
    shot("sale-waiting-room", SALE_CARD);
    waiting().until(d -> text("queue-place").equals("You are next.")
        || text("queue-place").matches("\\d+ ahead of you\\.") && Integer.parseInt(text("queue-place").split(" ")[0]) < first
        || text("outcome").startsWith("It's yours"));
    waiting().until(d -> text("outcome").startsWith("It's yours"));
    // bought: the card says so and offers neither a join nor a buy nor a leave
    waiting().until(d -> text("queue-state").equals("You have your reservation"));
    assertFalse(browser.findElement(By.id("buy")).isDisplayed(), "nothing more to join or buy");
    assertFalse(browser.findElement(By.id("leave")).isDisplayed(), "no line to leave");
    shot("sale-waiting-room-bought", SALE_CARD);
    assertEquals(1, api.admin("GET", "/admin/sales/web-room", null).json().get("sold").asInt());
  }

  @Test
  void aBuyerOfARoomThatAsksForAChallengeSolvesItOnceBeforeJoiningAndBuys() throws Exception {
    api.admin("PATCH", "/admin/switches", "{\"by\":\"test\",\"saleChallengeDifficulty\":{\"web-room-pow\":10}}");
    ObjectNode sale = shopSale("Night train Berlin–Vienna, sleeper berth",
        "Opening night of the new line. One berth per buyer, sold through the waiting room.", "129.00", 50, 1, "ON_ORDER", null);
    sale.putObject("waitingRoom").put("admitPerSecond", 100).put("maxActive", 1000).put("admissionTtlSeconds", 60);
    api.defineSale("web-room-pow", sale);
    openAs("erin", "web-room-pow");
    // every answer the page gets from the API, as "METHOD path status"
    browser.executeScript("window.seen = []; const send = window.fetch; window.fetch = (url, options) => send(url, options)"
        + ".then((r) => { window.seen.push(((options && options.method) || 'GET') + ' ' + new URL(url, location.href).pathname"
        + " + ' ' + r.status); return r; });");
    waiting().until(d -> text("buy").equals("Join the line"));
    browser.findElement(By.id("buy")).click();
    waiting().until(d -> text("outcome").startsWith("It's yours"));
    shot("sale-waiting-room-challenge-bought", SALE_CARD);
    assertEquals(1, api.admin("GET", "/admin/sales/web-room-pow", null).json().get("sold").asInt());
    @SuppressWarnings("unchecked")
    List<String> seen = ((List<Object>) browser.executeScript("return window.seen;")).stream().map(String::valueOf)
        .filter(answer -> !answer.contains("/status ")).toList();
    String challenge = "/api/sales/web-room-pow/challenge";
    assertEquals(List.of("GET " + challenge + " 200", "POST " + challenge + " 200", "POST /api/sales/web-room-pow/queue 200"),
        seen.subList(0, 3), "solved once, then joined: " + seen);
    assertTrue(seen.stream().noneMatch(answer -> answer.endsWith(" 403")), "no refusal on the way: " + seen);
    assertEquals(2, seen.stream().filter(answer -> answer.contains("/challenge ")).count(), "no second solve: " + seen);
    assertTrue(seen.get(seen.size() - 1).matches("POST /api/sales/web-room-pow/reservations/\\S+ 201"), seen.toString());
  }

  @Test
  void aSaleThatAsksForAChallengeIsBoughtThroughTheBrowsersWebCrypto() throws Exception {
    api.admin("PATCH", "/admin/switches", "{\"by\":\"test\",\"saleChallengeDifficulty\":{\"web-pow\":10}}");
    api.defineSale("web-pow", shopSale("Handheld console, midnight blue, launch bundle",
        "Console, dock and two games. Held for 10 minutes while you pay.", "349.00", 5, 1, "HOLD", 600L));
    openAs("carol", "web-pow");
    waiting().until(ExpectedConditions.elementToBeClickable(By.id("buy"))).click();
    waiting().until(d -> text("outcome").startsWith("Unit held for you"));
    shot("sale-challenge-held", SALE_CARD);
    assertEquals(1, api.admin("GET", "/admin/sales/web-pow", null).json().get("held").asInt());
  }

  @Test
  void theDashboardChartsABurstAndItsBrakeTakesEffect() throws Exception {
    api.defineSale("web-dash", shopSale("Espresso grinder, anniversary edition",
        "Flat burrs, 60 grind settings.", "249.00", 1000, 1, "ON_ORDER", null));
    openDashboard();
    waiting().until(d -> !d.findElements(By.cssSelector("#sales tr[data-sale='web-dash']")).isEmpty());

    // a burst of buyers: the 201 line rises above the axis
    for (int i = 0; i < 200; i++) assertEquals(201, api.reserve("web-dash", api.token("burst" + i), "r1", 1).status());
    waiting().until(d -> maxOf("201 reserved") > 0);
    shot("dashboard-burst", CHART);

    clickRowButton("//tr[@data-sale='web-dash']//button[text()='brake']");
    waitForAlert(browser).accept();
    waiting().until(d -> text("message").startsWith("Done: Brake web-dash"));
    assertTrue(api.admin("GET", "/admin/switches", null).json().path("values").path("pausedSales").toString().contains("web-dash"));
    assertEquals(503, api.reserve("web-dash", api.token("after-brake"), "r1", 1).status(), "the brake holds for buyers");
    waiting().until(d -> d.findElement(By.cssSelector("#sales tr[data-sale='web-dash']")).getDomProperty("textContent")
        .contains("(braked)"));
    shot("dashboard-braked", SALES_TABLE);
  }

  @Test
  void anOperatorRunsASaleFromTheDashboardAlone() throws Exception {
    openDashboard();
    // define: the form's own fields, the opening set to the current minute (already open)
    browser.executeScript("const f = document.getElementById('define');"
        + " f.saleId.value = 'web-ops'; f.item.value = 'Dashboard drop'; f.stock.value = '7'; f.perBuyerLimit.value = '2';"
        + " const local = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);"
        + " f.startsAt.value = local(new Date(Date.now() - 60000)); f.endsAt.value = local(new Date(Date.now() + 3600000));");
    browser.findElement(By.cssSelector("#define button[type=submit]")).click();
    waitForAlert(browser).accept();
    waiting().until(d -> !d.findElements(By.cssSelector("#sales tr[data-sale='web-ops']")).isEmpty());
    var defined = api.admin("GET", "/admin/sales/web-ops", null).json();
    assertEquals(7, defined.get("stock").asInt());
    assertEquals(2, defined.at("/sale/perBuyerLimit").asInt());
    assertEquals("OPEN", defined.get("phase").asText());
    assertEquals(201, api.reserve("web-ops", api.token("dora"), "r1", 2).status());

    // a sale's own rate limit through the switch form
    browser.executeScript("const f = document.getElementById('switch');"
        + " f.switchName.value = 'saleRatePerSecond'; f.sale.value = 'web-ops'; f.value.value = '5';");
    browser.findElement(By.cssSelector("#switch button[type=submit]")).click();
    waitForAlert(browser).accept();
    waiting().until(d -> text("message").startsWith("Done: Set saleRatePerSecond"));
    assertEquals(5, api.admin("GET", "/admin/switches", null).json().at("/values/saleRatePerSecond/web-ops").asInt());

    // add stock, then close
    clickRowButton("//tr[@data-sale='web-ops']//button[text()='+ stock']");
    Alert units = waitForAlert(browser);
    units.sendKeys("3");
    units.accept();
    waitForAlert(browser).accept();
    waiting().until(d -> api.admin("GET", "/admin/sales/web-ops", null).json().get("stock").asInt() == 10);
    clickRowButton("//tr[@data-sale='web-ops']//button[text()='close']");
    waitForAlert(browser).accept();
    waiting().until(d -> d.findElement(By.cssSelector("#sales tr[data-sale='web-ops']")).getDomProperty("textContent")
        .contains("CLOSED"));
    assertEquals("CLOSED", api.admin("GET", "/admin/sales/web-ops", null).json().get("phase").asText());
    shot("dashboard-closed", SALES_TABLE);

    // "Forget" drops the token and everything shown with it
    browser.findElement(By.id("forget")).click();
    waiting().until(d -> !d.findElement(By.id("board")).isDisplayed());
    assertEquals(null, browser.executeScript("return sessionStorage.getItem('seckill-admin-token');"));
    assertTrue(browser.findElements(By.cssSelector("#sales tbody tr")).isEmpty(), "no sale left on the page");
  }

  @Test
  void theDashboardShowsAWaitingRoomsLineAndSetsItsPaceAndCapThroughTheSwitches() throws Exception {
    ObjectNode sale = shopSale("Harbour Lights festival, Saturday pass",
        "Three stages by the water. One pass per buyer, sold through the waiting room.", "79.00", 1000, 1, "ON_ORDER", null);
    inLine("web-dash-room", sale, 10, 500, 600, 60, "fan-"); // let in ten a second once their places settle
    openDashboard();
    String row = "web-dash-room";
    // the panel shows the line's own figures once it let some in: waits, an ETA, active of the cap, the pace
    waiting().until(d -> cell(row, "last-wait").matches("\\d+\\.\\d s")
        && cell(row, "waits").matches("\\d+\\.\\d s / \\d+\\.\\d s") && cell(row, "eta").matches("\\d+\\.\\d s"));
    assertTrue(cell(row, "active").matches("\\d+ of 500"), cell(row, "active"));
    assertTrue(cell(row, "rates").matches("\\d+\\.\\d/s / \\d+\\.\\d/s"), cell(row, "rates"));
    assertEquals("10/s", cell(row, "pace"));
    var line = api.admin("GET", "/admin/sales/web-dash-room/queue", null).json();
    assertTrue(line.at("/line/lastAdmittedWaitSeconds").isNumber() && line.at("/line/admitted").asLong() > 0, line.toString());
    shot("dashboard-waiting-room", ROOMS_TABLE);

    // a pace that is no number is refused on the page, and nothing changes
    answerRoomButton(row, "pace", "fast");
    waiting().until(d -> text("message").startsWith("pace must be a whole number"));
    assertTrue(api.admin("GET", "/admin/switches", null).json().at("/values/saleAdmitPerSecond/web-dash-room").isMissingNode());

    // the pace and the cap through the switches: the switch changes, and the panel shows the room's new ones
    answerRoomButton(row, "pace", "25");
    waitForAlert(browser).accept();
    waiting().until(d -> text("message").startsWith("Done: Set the pace of web-dash-room"));
    assertEquals(25, api.admin("GET", "/admin/switches", null).json().at("/values/saleAdmitPerSecond/web-dash-room").asInt());
    waiting().until(d -> cell(row, "pace").equals("25/s (switch)"));
    answerRoomButton(row, "cap", "3");
    waitForAlert(browser).accept();
    waiting().until(d -> text("message").startsWith("Done: Set the cap of web-dash-room"));
    assertEquals(3, api.admin("GET", "/admin/switches", null).json().at("/values/saleMaxActive/web-dash-room").asInt());
    waiting().until(d -> cell(row, "active").endsWith(" of 3 (switch)"));
    assertEquals(3, api.admin("GET", "/admin/sales/web-dash-room/queue", null).json().get("maxActive").asInt());
  }

  private static final String LEFT = "You left the line.";
  private static final String REVOKED = "Your place was withdrawn by the shop; you may join again at the back.";

  @Test
  void aBuyerLeavesTheWaitingRoomsLineFromThePageAndMayJoinAgain() throws Exception {
    ObjectNode sale = shopSale("Harbour Lights festival, Sunday pass",
        "Three stages by the water. One pass per buyer, sold through the waiting room.", "69.00", 100, 1, "ON_ORDER", null);
    inLine("web-leave", sale, 100, 1, 600, 3, "early-"); // the first one let in holds the only slot: the line stands still
    String ticket = joinFromThePage("hana", "web-leave");
    assertEquals("Leave the line", text("leave"));
    shot("sale-waiting-room-leave", SALE_CARD);

    browser.findElement(By.id("leave")).click();
    waiting().until(d -> text("queue-place").equals(LEFT) && text("buy").equals("Join again"));
    assertEquals("LEFT", api.poll("web-leave", ticket).json().get("state").asText(), "the place is out of the line");
    assertEquals(null, pageTicket("web-leave", "hana"));
    assertFalse(browser.findElement(By.id("leave")).isDisplayed(), "nothing left to leave");

    // joining again takes a new place at the back
    browser.findElement(By.id("buy")).click();
    waiting().until(d -> text("queue-place").matches("\\d+ ahead of you\\."));
    String again = pageTicket("web-leave", "hana");
    assertTrue(Api.placeOf(again) > Api.placeOf(ticket), "a new place after the old one");
    assertEquals("WAITING", api.poll("web-leave", again).json().get("state").asText());
  }

  @Test
  void theDashboardRevokesAWaitingBuyerAndTheirPageSaysTheShopWithdrewThePlace() throws Exception {
    ObjectNode sale = shopSale("Harbour Lights festival, weekend pass",
        "Three stages by the water. One pass per buyer, sold through the waiting room.", "129.00", 100, 1, "ON_ORDER", null);
    inLine("web-revoke", sale, 100, 1, 600, 3, "first-"); // the line stands still behind the only slot
    String ticket = joinFromThePage("ivan", "web-revoke");
    String page = browser.getWindowHandle();
    browser.switchTo().newWindow(WindowType.TAB); // the sale page keeps polling in its own tab
    try {
      openDashboard();
      String row = "web-revoke";
      waiting().until(d -> !d.findElements(By.cssSelector("#rooms tr[data-sale='" + row + "']")).isEmpty());
      // more buyers than the API takes, a name no buyer can have, no buyer: refused on the page, nothing sent
      answerRoomButton(row, "revoke", "ivan " + IntStream.range(0, 1000).mapToObj(i -> "b" + i).collect(Collectors.joining(",")));
      waiting().until(d -> text("message").equals("Name 1 to 1000 buyers to revoke."));
      answerRoomButton(row, "revoke", "ivan bad/name");
      waiting().until(d -> text("message").startsWith("Not a buyer id: \"bad/name\""));
      answerRoomButton(row, "revoke", " , ");
      waiting().until(d -> text("message").equals("Name 1 to 1000 buyers to revoke."));
      assertEquals("WAITING", api.poll("web-revoke", ticket).json().get("state").asText(), "nobody revoked");

      answerRoomButton(row, "revoke", "ivan, nobody-here");
      waitForAlert(browser).accept();
      waiting().until(d -> text("message").equals("Revoked in web-revoke: ivan; not in line: nobody-here."));
      assertEquals("REVOKED", api.poll("web-revoke", ticket).json().get("state").asText());
      shot("dashboard-waiting-room-revoked", ROOMS_TABLE);
    } finally {
      browser.close();
      browser.switchTo().window(page);
    }
    waiting().until(d -> text("queue-place").equals(REVOKED) && text("buy").equals("Join again"));
    assertFalse(browser.findElement(By.id("buy")).getDomProperty("disabled").equals("true"), "may join again");
    assertEquals(null, pageTicket("web-revoke", "ivan"));
    shot("sale-waiting-room-revoked", SALE_CARD);
  }

  @Test
  void anAdmissionRevokedBeforeItsReserveIsToldAsTheShopWithdrawingThePlace() throws Exception {
    ObjectNode sale = shopSale("Harbour Lights festival, backstage tour",
        "Twenty minutes behind the main stage. One per buyer, sold through the waiting room.", "19.00", 100, 1, "ON_ORDER", null);
    inLine("web-revoked-admission", sale, 100, 1000, 600, 0, "none-");
    openAs("jana", "web-revoked-admission");
    // the page reserves as soon as it is let in: hold that request until the admission is revoked
    browser.executeScript("window.held = null; const send = window.fetch; window.fetch = (url, options) =>"
        + " (options && options.method === 'POST' && new URL(url, location.href).pathname.includes('/reservations/'))"
        + " ? new Promise((go) => { window.held = () => go(send(url, options)); }) : send(url, options);");
    clickJoin();
    waiting().until(d -> (Boolean) browser.executeScript("return window.held !== null;"));
    String ticket = pageTicket("web-revoked-admission", "jana");
    var revoked = api.admin("POST", "/admin/sales/web-revoked-admission/queue/revoke", "{\"buyers\":[\"jana\"]}");
    assertEquals("[\"jana\"]", revoked.json().get("revoked").toString(), revoked.text());
    waiting().until(d -> api.poll("web-revoked-admission", ticket).json().get("state").asText().equals("REVOKED"));

    browser.executeScript("window.held();");
    waiting().until(d -> text("queue-place").equals(REVOKED) && text("buy").equals("Join again"));
    assertEquals("", text("outcome"), "no generic error besides");
    assertEquals(0, api.admin("GET", "/admin/sales/web-revoked-admission", null).json().get("sold").asInt());
  }

  /** Signs in as {@code buyer} on the sale page, joins the line and waits for a place; the page's ticket. */
  private String joinFromThePage(String buyer, String saleId) {
    openAs(buyer, saleId);
    clickJoin();
    waiting().until(d -> text("queue-place").matches("\\d+ ahead of you\\."));
    return pageTicket(saleId, buyer);
  }

  /** Clicks the sale page's join button once it offers to join. */
  private void clickJoin() {
    waiting().until(d -> text("buy").equals("Join the line"));
    browser.findElement(By.id("buy")).click();
  }

  /** The ticket the sale page keeps for a buyer, or null. */
  private String pageTicket(String saleId, String buyer) {
    return (String) browser.executeScript("return localStorage.getItem(arguments[0]);", "seckill.ticket." + saleId + "." + buyer);
  }

  /** Defines {@code sale} behind a waiting room and has {@code buyers} join its line. */
  private void inLine(String saleId, ObjectNode sale, int pace, int cap, int ttlSeconds, int buyers, String prefix) {
    sale.putObject("waitingRoom").put("admitPerSecond", pace).put("maxActive", cap).put("admissionTtlSeconds", ttlSeconds);
    api.defineSale(saleId, sale);
    for (int i = 0; i < buyers; i++) {
      assertEquals(200, api.post("/api/sales/" + saleId + "/queue", api.token(prefix + i), null).status());
    }
  }

  /** Clicks a button of a sale's row in the waiting-room panel and answers its prompt. */
  private void answerRoomButton(String saleId, String button, String answer) {
    clickRowButton("//table[@id='rooms']//tr[@data-sale='" + saleId + "']//button[text()='" + button + "']");
    Alert prompt = waitForAlert(browser);
    prompt.sendKeys(answer);
    prompt.accept();
  }

  /** The text of one figure of a sale's row in the waiting-room panel. */
  private String cell(String saleId, String figure) {
    return browser.findElement(By.cssSelector("#rooms tr[data-sale='" + saleId + "'] td[data-figure='" + figure + "']"))
        .getDomProperty("textContent");
  }

  /** The table is rebuilt every second: a button found a moment before the click may be gone, so find it again. */
  private void clickRowButton(String xpath) {
    waiting().until(d -> {
      d.findElement(By.xpath(xpath)).click();
      return true;
    });
  }

  private void openDashboard() {
    browser.get(node.baseUrl + "/admin/");
    browser.executeScript("sessionStorage.clear();");
    browser.navigate().refresh();
    browser.findElement(By.id("token")).sendKeys(Api.ADMIN_TOKEN);
    browser.findElement(By.cssSelector("#token-form button[type=submit]")).click();
    waiting().until(d -> !d.findElement(By.id("board")).getDomProperty("hidden").equals("true"));
  }

  /** The highest per-second value the chart's line for {@code series} shows, read from its points. */
  private double maxOf(String series) {
    String points = (String) browser.executeScript(
        "const l = document.querySelector('#chart polyline[data-series=\"' + arguments[0] + '\"]');"
            + " return l ? l.getAttribute('points') : '';", series);
    if (points == null || points.isBlank()) return 0;
    return Arrays.stream(points.trim().split(" ")).mapToDouble(p -> 155 - Double.parseDouble(p.split(",")[1])).max().orElse(0);
  }

  private static Alert waitForAlert(WebDriver d) {
    return new WebDriverWait(d, WAIT).until(ExpectedConditions.alertIsPresent());
  }
}
