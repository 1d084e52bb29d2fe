package seckill;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import seckill.auth.BuyerTokens;
import seckill.challenge.Challenges;
import seckill.http.Json;

/**
 * A blocking JSON client for a node's HTTP API, as a buyer or an operator would call it, with what the
 * sale page does for a buyer: a token, the reserve and its body, the waiting room's join and poll,
 * the challenge's access token.
 */
public final class Api {

  public static final String ADMIN_TOKEN = "dev-admin-token";
  private static final String TICKET_HEADER = "X-Queue-Ticket";
  private static final String ADMISSION_HEADER = "X-Admission-Token";
  private static final String ACCESS_HEADER = "X-Access-Token";
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** Per node and sale: the reserve path its status last showed. */
  private static final Map<String, String> SEEN_PATHS = new ConcurrentHashMap<>();

  /** Signs tokens for {@link #mint}, made on first use. */
  private static final class Minter {
    static final BuyerTokens TOKENS = BuyerTokens.fromConfig(ConfigFactory.load().getConfig("seckill.auth"));
  }

  private final String base;

  public Api(String base) {
    this.base = base;
  }

  /** Status, parsed body (null when empty or not JSON), headers and raw text. */
  public record Response(int status, JsonNode json, HttpHeaders headers, String text) {
    public String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    public String error() {
      return json == null || json.get("error") == null ? null : json.get("error").asText();
    }
  }

  /**
   * Sends the request, once more if a kept-alive connection turned out closed before any byte of
   * an answer came back (the client's pool reused a connection as the other end closed it; the JDK
   * client retries only GETs on its own). Every request the tests send may be sent twice: the
   * service makes them idempotent (a reserve by its requestId, a define by its content), and a
   * real client sends them again the same way. A request that gets no answer twice fails.
   */
  private static HttpResponse<String> exchange(HttpRequest request) throws IOException, InterruptedException {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      if (e.getMessage() == null || !e.getMessage().contains("received no bytes")) throw e;
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }
  }

  public Response send(String method, String path, String token, String body, Map<String, String> headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) b.header("Content-Type", "application/json");
    if (token != null) b.header("Authorization", "Bearer " + token);
    headers.forEach(b::setHeader);
    try {
      HttpResponse<String> r = exchange(b.build());
      JsonNode json = null;
      if (r.headers().firstValue("Content-Type").orElse("").startsWith("application/json") && !r.body().isEmpty()) {
        json = Json.MAPPER.readTree(r.body());
      }
      return new Response(r.statusCode(), json, r.headers(), r.body());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public Response get(String path, String token) {
    return send("GET", path, token, null, Map.of());
  }

  public Response post(String path, String token, String body) {
    return send("POST", path, token, body, Map.of());
  }

  public Response put(String path, String token, String body) {
    return send("PUT", path, token, body, Map.of());
  }

  public Response delete(String path, String token) {
    return send("DELETE", path, token, null, Map.of());
  }

  /** A buyer's token from the node's {@code POST /dev/tokens}, as the sale page gets one. */
  public String token(String buyer) {
    Response r = post("/dev/tokens", null, "{\"buyer\":\"" + buyer + "\"}");
    if (r.status() != 201) throw new IllegalStateException("no token: " + r.text());
    return r.json().get("token").asText();
  }

  /**
   * A buyer's token valid for an hour, signed here with the dev secret every test node has, for
   * tests that need many buyers (or a node that does not run yet) without a request each.
   */
  public static String mint(String buyer) {
    return Minter.TOKENS.mint(buyer, Duration.ofHours(1));
  }

  /** A reserve's body. */
  public static String reserveBody(String requestId, int quantity) {
    return "{\"requestId\":\"" + requestId + "\",\"quantity\":" + quantity + "}";
  }

  /**
   * Reserves at the path the sale's status publishes while it is open; before that (or for an
   * unknown sale) at a made-up path, which the edge refuses for the sale's state first.
   */
  public Response reserve(String saleId, String token, String requestId, int quantity) {
    return reserve(saleId, token, requestId, quantity, Map.of());
  }

  /** {@link #reserve(String, String, String, int)} with more headers (the waiting room's and the challenge's tokens). */
  public Response reserve(String saleId, String token, String requestId, int quantity, Map<String, String> headers) {
    return send("POST", reservePath(saleId), token, reserveBody(requestId, quantity), headers);
  }

  /** Reserves one unit with the waiting room's admission token, or without one when null. */
  public Response reserveWithAdmission(String saleId, String token, String requestId, String admissionToken) {
    Map<String, String> headers = admissionToken == null ? Map.of() : Map.of(ADMISSION_HEADER, admissionToken);
    return reserve(saleId, token, requestId, 1, headers);
  }

  /** Reserves one unit with the challenge's access token, or without one when null. */
  public Response reserveWithAccess(String saleId, String token, String requestId, String accessToken) {
    Map<String, String> headers = accessToken == null ? Map.of() : Map.of(ACCESS_HEADER, accessToken);
    return reserve(saleId, token, requestId, 1, headers);
  }

  /**
   * The sale's reserve path as its status shows it while OPEN; after that (sold out, paused) the one
   * last seen at this node, as a buyer who loaded the page while it was open still holds it.
   */
  public String reservePath(String saleId) {
    Response status = get("/api/sales/" + saleId + "/status", null);
    JsonNode path = status.json() == null ? null : status.json().get("reservePath");
    String key = base + " " + saleId;
    if (path != null) SEEN_PATHS.put(key, path.asText());
    return SEEN_PATHS.getOrDefault(key, "/api/sales/" + saleId + "/reservations/unknown");
  }

  /** Waits until this node's view of the sale shows {@code state} (views follow the entity within ms). */
  public void awaitState(String saleId, String state) {
    Await.value(Duration.ofSeconds(10), Duration.ofMillis(20), saleId + " never became " + state, () -> {
      Response r = get("/api/sales/" + saleId + "/status", null);
      return r.status() == 200 && state.equals(r.json().get("state").asText()) ? r : null;
    });
  }

  /** Joins the sale's waiting room, with the ticket held so far or none (null). */
  public Response join(String saleId, String token, String ticket) {
    return join(saleId, token, ticket, null);
  }

  /** Joins the sale's waiting room with the ticket held so far and a solved challenge's access token, each or none (null). */
  public Response join(String saleId, String token, String ticket, String accessToken) {
    Map<String, String> headers = new HashMap<>(ticketHeader(ticket));
    if (accessToken != null) headers.put(ACCESS_HEADER, accessToken);
    return send("POST", "/api/sales/" + saleId + "/queue", token, null, headers);
  }

  /** Polls the waiting room with a ticket, or without one (null). */
  public Response poll(String saleId, String ticket) {
    return send("GET", "/api/sales/" + saleId + "/queue", null, null, ticketHeader(ticket));
  }

  /** Leaves the waiting room with a ticket, or without one (null). */
  public Response leave(String saleId, String ticket) {
    return send("DELETE", "/api/sales/" + saleId + "/queue", null, null, ticketHeader(ticket));
  }

  private static Map<String, String> ticketHeader(String ticket) {
    return ticket == null ? Map.of() : Map.of(TICKET_HEADER, ticket);
  }

  /** The place in the line a waiting room's ticket holds: the {@code place} of its signed payload. */
  public static long placeOf(String ticket) {
    try {
      String payload = ticket.substring(0, ticket.indexOf('.'));
      return Json.MAPPER.readTree(Base64.getUrlDecoder().decode(payload)).get("place").asLong();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What the sale page does in a waiting room: joins the line, polls until let in; the admission token. */
  public String admissionToken(String saleId, String token) {
    return admissionToken(saleId, token, null);
  }

  /** {@link #admissionToken(String, String)} for a sale whose challenge is on: the join carries the access token. */
  public String admissionToken(String saleId, String token, String accessToken) {
    Response joined = join(saleId, token, null, accessToken);
    if (joined.status() != 200) throw new IllegalStateException("join failed: " + joined.text());
    return admittedWith(saleId, joined.json().get("ticket").asText());
  }

  /** Polls {@code ticket} (each poll a 200) until its buyer is let in; their admission token. */
  public String admittedWith(String saleId, String ticket) {
    return Await.value(Duration.ofSeconds(30), Duration.ofMillis(100), "never admitted to " + saleId, () -> {
      Response r = poll(saleId, ticket);
      assertEquals(200, r.status(), r.text());
      return "ADMITTED".equals(r.json().get("state").asText()) ? r.json().get("admissionToken").asText() : null;
    });
  }

  /** The body that trades a solved challenge for an access token bound to {@code requestId}. */
  public static String challengeBody(String challenge, String solution, String requestId) {
    return "{\"challenge\":\"" + challenge + "\",\"solution\":\"" + solution + "\",\"requestId\":\"" + requestId + "\"}";
  }

  /** What the sale page does for a challenge of {@code bits}: fetches, solves, trades it; the answer holds the access token. */
  public Response grantAccess(String saleId, String token, String requestId, int bits) {
    String challenge = get("/api/sales/" + saleId + "/challenge", token).json().get("challenge").asText();
    String solution = Challenges.solve(challenge, bits);
    return post("/api/sales/" + saleId + "/challenge", token, challengeBody(challenge, solution, requestId));
  }

  public Response admin(String method, String path, String body) {
    return send(method, path, ADMIN_TOKEN, body, Map.of());
  }

  /** A sale definition as JSON, open from a second ago for an hour unless changed. */
  public static ObjectNode sale(int stock, int limit, String mode, Long holdSeconds) {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("item", "Test item");
    n.put("description", "for tests");
    n.put("price", 10.5);
    n.put("currency", "EUR");
    n.put("stock", stock);
    n.put("startsAt", Instant.now().minusSeconds(1).toString());
    n.put("endsAt", Instant.now().plusSeconds(3600).toString());
    n.put("perBuyerLimit", limit);
    n.put("mode", mode);
    if (holdSeconds != null) n.put("holdSeconds", holdSeconds);
    return n;
  }

  /** The sale with a waiting room letting in {@code admitPerSecond}, at most {@code maxActive} at a time. */
  public static ObjectNode withRoom(ObjectNode sale, int admitPerSecond, int maxActive) {
    ObjectNode room = sale.putObject("waitingRoom");
    room.put("admitPerSecond", admitPerSecond);
    room.put("maxActive", maxActive);
    return sale;
  }

  /** Defines a sale through the admin API, fails unless accepted, and waits for this node's view of it. */
  public void defineSale(String saleId, ObjectNode sale) {
    // a define is idempotent and a 503 says to send it again: what an operator's client does, e.g.
    // while a just-started cluster's first entity is still starting on a busy machine
    Response r = Await.value(Duration.ofSeconds(60), Duration.ofMillis(500), "define of " + saleId + " never answered",
        () -> {
          Response answer = admin("PUT", "/admin/sales/" + saleId, sale.toString());
          return answer.status() == 503 ? null : answer;
        });
    if (r.status() != 200) throw new IllegalStateException("define failed: " + r.status() + " " + r.text());
    awaitState(saleId, r.json().get("phase").asText());
  }

  /** An admin lifecycle command (open, pause, close), then waits for the view to follow. */
  public Response lifecycle(String saleId, String action, String expectedState) {
    Response r = admin("POST", "/admin/sales/" + saleId + "/" + action, null);
    if (r.status() == 200) awaitState(saleId, expectedState);
    return r;
  }

  /** The sale's counters as operators see them ({@code GET /admin/sales/{id}}); fails unless answered 200. */
  public JsonNode counters(String saleId) {
    Response r = admin("GET", "/admin/sales/" + saleId, null);
    if (r.status() != 200) throw new IllegalStateException(saleId + " has no counters: " + r.status() + " " + r.text());
    return r.json();
  }

  /** How many reserves this node's admission queue has handed to sales so far. */
  public long dispatched() {
    return admin("GET", "/admin/admission", null).json().get("dispatched").asLong();
  }

  /** An answer refused as the API words it: the status and the error code. */
  public static void assertRefused(Response r, int status, String code) {
    assertEquals(status, r.status(), r.text());
    assertEquals(code, r.error(), r.text());
  }
}
