import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The HTTP benchmark: starts target/seckill.jar on the embedded default (H2 file), drives it with
 * wrk on 127.0.0.1 and prints one table whose rows all come from the same server process:
 * ceiling (static GET), reserve, sold out, overload, each followed by a correctness check through
 * the admin API. JDK only: run it with {@code java load-tests/Bench.java} (see run.sh).
 */
public class Bench {

  static final String SECRET = "bench-jwt-secret-0123456789abcdef0123456789";
  static final String ADMIN = "bench-admin-token-0123456789abcdef01";
  static final HttpClient HTTP = HttpClient.newHttpClient();

  static int port = Integer.parseInt(System.getenv().getOrDefault("BENCH_PORT", "18080"));
  static int seconds = Integer.parseInt(System.getenv().getOrDefault("BENCH_SECONDS", "10"));
  static int connections = Integer.parseInt(System.getenv().getOrDefault("BENCH_CONNECTIONS", "256"));
  static int overloadConnections = Integer.parseInt(System.getenv().getOrDefault("BENCH_OVERLOAD_CONNECTIONS", "2048"));
  // long enough for the JIT: with 2 x 5 s the compiler still took 14% of the CPU in the reserve phase
  static int warmupSeconds = Integer.parseInt(System.getenv().getOrDefault("BENCH_WARMUP_SECONDS", "20"));
  // this benchmark measures capacity, so the node rate limit is lifted unless set; bot-flood measures the limits
  static String httpRateLimit = System.getenv().getOrDefault("SECKILL_RATE_LIMIT", "1000000");
  static String httpRateBurst = System.getenv().getOrDefault("SECKILL_RATE_BURST", "1000000");
  static String base = "http://127.0.0.1:" + port;
  static Path work;

  record Result(String name, long requests, double seconds, long p50us, long p99us, long maxUs,
      Map<String, Long> statuses, long socketErrors, long timeouts) {
    double rps() {
      return requests / seconds;
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 1 && args[0].equals("bot-flood")) {
      BotFlood.run();
      return;
    }
    if (args.length == 1 && args[0].equals("ladder")) {
      Ladder.run();
      return;
    }
    work = Files.createTempDirectory("seckill-bench-");
    Process server = startServer(Map.of("SECKILL_RATE_LIMIT", httpRateLimit, "SECKILL_RATE_BURST", httpRateBurst));
    List<String> rows = new ArrayList<>();
    List<String> checks = new ArrayList<>();
    try {
      waitUntilUp();
      // reserve and overload: a new buyer for every request, so every 201 must be its own unit;
      // sold out: 20,000 buyers retrying (about 8 times each), as losers of a sale do
      Path tokens = writeTokens("fresh", 400_000);
      Path retrying = writeTokens("retrying", 20_000);

      // warm up the JIT on every path measured (static, reserve, sold out) before measuring anything
      define("warmup", 10_000_000, 1000);
      define("warmup-soldout", 1, 1000);
      post(reservePath("warmup-soldout"), token("warm"), "{\"requestId\":\"w\",\"quantity\":1}");
      for (int round = 0; round < 2; round++) {
        wrk("warmup", "get.lua", "/static/sale.css", connections, warmupSeconds, Map.of());
        wrk("warmup", "reserve.lua", "/", connections, warmupSeconds, Map.of("TOKENS", retrying.toString(), "RESERVE_PATH", reservePath("warmup")));
        wrk("warmup", "reserve.lua", "/", connections, Math.max(1, warmupSeconds * 3 / 5), Map.of("TOKENS", retrying.toString(), "RESERVE_PATH", reservePath("warmup-soldout")));
      }

      Result ceilingBefore = wrk("ceiling (GET /static/sale.css)", "get.lua", "/static/sale.css", connections, seconds, Map.of());

      define("reserve", 10_000_000, 1000);
      Map<String, Long> before = admission();
      Result reserve = wrk("reserve (a new buyer per request)", "reserve.lua", "/", connections, seconds,
          Map.of("TOKENS", tokens.toString(), "RESERVE_PATH", reservePath("reserve")));
      Map<String, Long> after = admission();
      double meanBatch = (double) (after.get("dispatched") - before.get("dispatched"))
          / Math.max(1, after.get("batches") - before.get("batches"));
      checks.add(check("reserve", reserve, 1000));

      define("soldout", 1, 1000);
      String soldOutPath = reservePath("soldout");
      post(soldOutPath, token("first-buyer"), "{\"requestId\":\"first\",\"quantity\":1}");
      awaitState("soldout", "SOLD_OUT");
      Result soldOut = wrk("sold out (410 from the view, retrying buyers)", "reserve.lua", "/", connections, seconds,
          Map.of("TOKENS", retrying.toString(), "RESERVE_PATH", soldOutPath));
      checks.add(check("soldout", null, 1000));

      // enough stock for about half the phase: 201 and 410 show up, and 503 when the queue is full or
      // over its wait budget (429 only with SECKILL_RATE_LIMIT set below the capacity)
      long overloadStock = Math.max(1000, (long) (reserve.rps() * seconds / 2));
      define("overload", overloadStock, 1000);
      Result overload = wrk("overload (" + overloadConnections + " connections, fresh buyers)", "reserve.lua", "/",
          overloadConnections, seconds, Map.of("TOKENS", tokens.toString(), "RESERVE_PATH", reservePath("overload")));
      checks.add(check("overload", overload, 1000));

      Result ceilingAfter = wrk("ceiling again, after", "get.lua", "/static/sale.css", connections, seconds, Map.of());
      // the baseline is the mean of the ceiling measured before and after the other phases
      Result ceiling = new Result("ceiling (mean of before and after)", ceilingBefore.requests() + ceilingAfter.requests(),
          ceilingBefore.seconds() + ceilingAfter.seconds(), Math.max(ceilingBefore.p50us(), ceilingAfter.p50us()),
          Math.max(ceilingBefore.p99us(), ceilingAfter.p99us()), Math.max(ceilingBefore.maxUs(), ceilingAfter.maxUs()),
          ceilingBefore.statuses(), ceilingBefore.socketErrors() + ceilingAfter.socketErrors(),
          ceilingBefore.timeouts() + ceilingAfter.timeouts());
      printTable(ceiling, reserve, meanBatch, soldOut, overload, overloadStock, checks);
      row(ceilingBefore, ceiling, "200: all");
      row(ceilingAfter, ceiling, "200: all");
      System.out.println();
      System.out.println("Correctness after each phase (admin API):");
      CHECKS.forEach(c -> System.out.println("  " + c));
    } finally {
      server.destroy();
      server.waitFor();
    }
  }

  // ---------------------------------------------------------------- server

  static Process startServer(Map<String, String> extraEnv) throws IOException {
    Path jar = Path.of("target/seckill.jar");
    if (!Files.exists(jar)) throw new IllegalStateException("build first: mvn -q -DskipTests package");
    List<String> cmd = new ArrayList<>(List.of("java", "-Xms2g", "-Xmx2g"));
    // extra JVM options for the server only, e.g. a JFR recording: BENCH_JAVA_OPTS="-XX:StartFlightRecording=..."
    String opts = System.getenv().getOrDefault("BENCH_JAVA_OPTS", "").trim();
    if (!opts.isEmpty()) cmd.addAll(List.of(opts.split("\\s+")));
    cmd.addAll(List.of("-jar", jar.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> env = pb.environment();
    // BENCH_H2_OPTIONS=";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=500" measures H2's lazy writes (the
    // durability A/B in the README); the service then needs SECKILL_DB_ALLOW_UNSAFE_COMMITS=on
    String h2Options = System.getenv().getOrDefault("BENCH_H2_OPTIONS", ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0");
    env.put("SECKILL_DB_URL", "jdbc:h2:file:" + work.resolve("seckill") + h2Options);
    if (!h2Options.contains("WRITE_DELAY=0")) env.put("SECKILL_DB_ALLOW_UNSAFE_COMMITS", "on");
    env.put("SECKILL_HTTP_PORT", String.valueOf(port));
    env.put("SECKILL_REMOTE_PORT", System.getenv().getOrDefault("SECKILL_REMOTE_PORT", "25599"));
    env.put("SECKILL_DEMO", "off");
    env.put("SECKILL_DEV_MODE", "off");
    env.put("SECKILL_JWT_SECRET", SECRET);
    env.put("SECKILL_ADMIN_TOKEN", ADMIN);
    env.put("SECKILL_SALE_KEY_SECRET", "bench-sale-key-secret-0123456789abcdef");
    env.put("SECKILL_CHALLENGE_SECRET", "bench-challenge-secret-0123456789abcdef0123");
    env.put("SECKILL_HTTP_MAX_CONNECTIONS", "8192");
    // configured as an operator would for this machine: the node rate limit (bot-flood's; the HTTP
    // benchmark lifts it), the queue no longer than ~100 ms of work, and requests not queued past 100 ms
    env.put("SECKILL_RATE_LIMIT", System.getenv().getOrDefault("SECKILL_RATE_LIMIT", "4000"));
    env.put("SECKILL_RATE_BURST", System.getenv().getOrDefault("SECKILL_RATE_BURST", "400"));
    env.put("SECKILL_QUEUE_SIZE", System.getenv().getOrDefault("SECKILL_QUEUE_SIZE", "256"));
    env.put("SECKILL_WAIT_BUDGET", System.getenv().getOrDefault("SECKILL_WAIT_BUDGET", "100ms"));
    env.putAll(extraEnv);
    pb.redirectErrorStream(true).redirectOutput(work.resolve("server.log").toFile());
    System.out.println("server log: " + work.resolve("server.log"));
    return pb.start();
  }

  static void waitUntilUp() throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (get("/static/sale.css", null).statusCode() == 200) return;
      } catch (IOException e) {
        // not bound yet
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("server did not start, see " + work.resolve("server.log"));
  }

  // ---------------------------------------------------------------- admin API

  static void define(String saleId, long stock, int limit) throws Exception {
    String body = String.format("{\"item\":\"Bench %s\",\"description\":\"load test\",\"price\":1.00,\"currency\":\"EUR\","
        + "\"stock\":%d,\"startsAt\":\"%s\",\"endsAt\":\"%s\",\"perBuyerLimit\":%d,\"mode\":\"ON_ORDER\"}",
        saleId, stock, Instant.now().minusSeconds(1), Instant.now().plusSeconds(3600), limit);
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/admin/sales/" + saleId))
        .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(body)).build());
    if (r.statusCode() != 200) throw new IllegalStateException("define " + saleId + ": " + r.body());
    awaitState(saleId, stock == 0 ? "SOLD_OUT" : "OPEN");
  }

  static void awaitState(String saleId, String state) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!get("/api/sales/" + saleId + "/status", null).body().contains("\"state\":\"" + state + "\"")) {
      if (System.nanoTime() > deadline) throw new IllegalStateException(saleId + " never became " + state);
      Thread.sleep(20);
    }
  }

  static String reservePath(String saleId) throws Exception {
    return field(get("/api/sales/" + saleId + "/status", null).body(), "reservePath");
  }

  static Map<String, Long> admission() throws Exception {
    String body = get("/admin/admission", ADMIN).body();
    return Map.of("batches", Long.parseLong(field(body, "batches")), "dispatched", Long.parseLong(field(body, "dispatched")));
  }

  /** sold + held + available == stock and nobody above the limit, read through the admin API. */
  static String check(String saleId, Result result, int limit) throws Exception {
    String c = get("/admin/sales/" + saleId, ADMIN).body();
    long stock = Long.parseLong(field(c, "stock"));
    long available = Long.parseLong(field(c, "available"));
    long sold = Long.parseLong(field(c, "sold"));
    long held = Long.parseLong(field(c, "held"));
    long top = Long.parseLong(field(c, "topBuyerUnits"));
    boolean balanced = sold + held + available == stock && available >= 0;
    boolean withinLimit = top <= limit;
    // wrk stops counting at the end of the phase: answers still in flight then (at most one per
    // connection) were sold but not seen, so sold - 201s seen must lie in [0, connections]
    String created = result == null ? "" : String.format(", 201s seen by wrk %d (sold - seen = %d, in flight at the end)",
        result.statuses().get("201"), sold - result.statuses().get("201"));
    return String.format("%-9s sold %d + held %d + available %d = stock %d: %s; top buyer %d units (limit %d): %s%s",
        saleId, sold, held, available, stock, balanced ? "OK" : "BROKEN", top, limit, withinLimit ? "OK" : "BROKEN", created);
  }

  // ---------------------------------------------------------------- wrk

  static Result wrk(String name, String script, String path, int conns, int secs, Map<String, String> env) throws Exception {
    return wrkUrl(name, script, base + path, conns, secs, env);
  }

  static Result wrkUrl(String name, String script, String url, int conns, int secs, Map<String, String> env) throws Exception {
    List<String> cmd = List.of("wrk", "-t2", "-c" + conns, "-d" + secs + "s", "--timeout", "5s",
        "-s", "load-tests/" + script, url);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    Matcher m = Pattern.compile("RESULT (\\{.*})").matcher(out);
    if (!m.find()) throw new IllegalStateException("wrk said:\n" + out);
    String j = m.group(1);
    Map<String, Long> statuses = new LinkedHashMap<>();
    for (String s : List.of("201", "409", "410", "429", "503")) statuses.put(s, Long.parseLong(field(j, "s" + s)));
    statuses.put("other", Long.parseLong(field(j, "sother")));
    Result r = new Result(name, Long.parseLong(field(j, "requests")), Long.parseLong(field(j, "duration_us")) / 1e6,
        Long.parseLong(field(j, "p50_us")), Long.parseLong(field(j, "p99_us")), Long.parseLong(field(j, "max_us")),
        statuses, Long.parseLong(field(j, "connect")) + Long.parseLong(field(j, "read")) + Long.parseLong(field(j, "write")),
        Long.parseLong(field(j, "timeout")));
    if (!name.equals("warmup")) System.out.printf("%s: %.0f req/s in %.1f s, p50 %.1f ms, p99 %.1f ms, answers %s%n", name, r.rps(),
        r.seconds(), r.p50us() / 1000.0, r.p99us() / 1000.0, statuses);
    return r;
  }

  // ---------------------------------------------------------------- output

  static void printTable(Result ceiling, Result reserve, double meanBatch, Result soldOut, Result overload,
      long overloadStock, List<String> checks) {
    System.out.println();
    System.out.printf("seckill HTTP benchmark: %d s per phase, wrk -t2, %d connections (overload %d), one server process (H2 file journal)%n",
        seconds, connections, overloadConnections);
    System.out.printf("server: rate limit %s/s (burst %s), queue %s, wait budget %s; warm-up 2 x %d s per path%n", httpRateLimit,
        httpRateBurst, System.getenv().getOrDefault("SECKILL_QUEUE_SIZE", "256"),
        System.getenv().getOrDefault("SECKILL_WAIT_BUDGET", "100ms"), warmupSeconds);
    System.out.println("| phase | req/s | p50 ms | p99 ms | vs ceiling | answers | socket errors / timeouts |");
    System.out.println("|---|---:|---:|---:|---:|---|---|");
    row(ceiling, ceiling, "200: all");
    row(reserve, ceiling, String.format("201: %d, mean batch %.1f requests per persist", reserve.statuses().get("201"), meanBatch));
    row(soldOut, ceiling, String.format("410: %d", soldOut.statuses().get("410")));
    long total = overload.requests();
    row(overload, ceiling, String.format("201 %.1f%%, 410 %.1f%%, 429 %.1f%%, 503 %.1f%%, other %.1f%% (stock %d)",
        pct(overload.statuses().get("201"), total), pct(overload.statuses().get("410"), total),
        pct(overload.statuses().get("429"), total), pct(overload.statuses().get("503"), total),
        pct(overload.statuses().get("other") + overload.statuses().get("409"), total), overloadStock));
    CHECKS.addAll(checks);
  }

  static final List<String> CHECKS = new ArrayList<>();

  static void row(Result r, Result ceiling, String answers) {
    System.out.printf("| %s | %.0f | %.1f | %.1f | %.0f%% | %s | %d / %d |%n", r.name(), r.rps(), r.p50us() / 1000.0,
        r.p99us() / 1000.0, 100.0 * r.rps() / ceiling.rps(), answers, r.socketErrors(), r.timeouts());
  }

  static double pct(long part, long total) {
    return total == 0 ? 0 : 100.0 * part / total;
  }

  // ---------------------------------------------------------------- plumbing

  static Path writeTokens(String kind, int n) throws Exception {
    List<String> lines = new ArrayList<>(n);
    for (int i = 0; i < n; i++) lines.add(token(kind + i));
    Path file = work.resolve(kind + "-tokens.txt");
    Files.write(file, lines);
    return file;
  }

  static String token(String buyer) throws Exception {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String header = b64.encodeToString("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8));
    long exp = Instant.now().plusSeconds(3600).getEpochSecond();
    String payload = b64.encodeToString(("{\"sub\":\"" + buyer + "\",\"exp\":" + exp + "}").getBytes(StandardCharsets.UTF_8));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String sig = b64.encodeToString(mac.doFinal((header + "." + payload).getBytes(StandardCharsets.UTF_8)));
    return header + "." + payload + "." + sig;
  }

  static HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return send(b.build());
  }

  static HttpResponse<String> post(String path, String token, String body) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  static HttpResponse<String> send(HttpRequest r) throws Exception {
    return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
  }

  static String field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\":\"?([^,\"}]*)").matcher(json);
    if (!m.find()) throw new IllegalStateException("no " + name + " in " + json);
    return m.group(1);
  }
}

/**
 * The bot flood: honest buyers (one reserve each, arriving at a steady rate, from this JVM) and a
 * few bots hammering the same sale through wrk, against a server with the buyer throttle on (the
 * default 2/s, burst 5, 429 after 500 ms), on with the 429 at once, then off (the rate set very high). Each second it samples the server's
 * reserve outcomes (Prometheus) and the admission queue's dispatched count, so offered vs admitted
 * per second comes from the server; the honest buyers' answers are counted here. JDK + wrk only.
 */
class BotFlood {

  static final int SECONDS = Integer.parseInt(System.getenv().getOrDefault("BENCH_SECONDS", "10"));
  static final int HONEST_PER_SECOND = Integer.parseInt(System.getenv().getOrDefault("FLOOD_HONEST_PER_SECOND", "200"));
  static final int BOTS = Integer.parseInt(System.getenv().getOrDefault("FLOOD_BOTS", "4"));
  static final int BOT_CONNECTIONS = Integer.parseInt(System.getenv().getOrDefault("FLOOD_BOT_CONNECTIONS", "128"));
  static final String METRICS = "http://127.0.0.1:" + System.getenv().getOrDefault("SECKILL_MANAGEMENT_PORT", "8558") + "/metrics";
  static final String[] OUTCOMES = {"reserved", "limit_reached", "buyer_throttled", "rate_limited", "unavailable"};

  static void run() throws Exception {
    List<String> report = new ArrayList<>();
    String on = "throttle on (" + System.getenv().getOrDefault("SECKILL_BUYER_RATE", "2") + "/s per buyer, burst "
        + System.getenv().getOrDefault("SECKILL_BUYER_BURST", "5");
    report.add(flood(on + ", 429 after " + System.getenv().getOrDefault("SECKILL_THROTTLED_DELAY", "500ms") + ")", Map.of()));
    report.add(flood(on + ", 429 at once)", Map.of("SECKILL_THROTTLED_DELAY", "0s")));
    report.add(flood("throttle off (1000000/s per buyer)", Map.of("SECKILL_BUYER_RATE", "1000000", "SECKILL_BUYER_BURST", "1000000")));
    System.out.println();
    System.out.printf("bot flood: %d s per run; %d honest buyers/s, one request each; %d bots through wrk -t1 -c%d; server: "
        + "node rate limit %s/s (burst %s), queue %s, wait budget %s%n", SECONDS, HONEST_PER_SECOND, BOTS, BOT_CONNECTIONS,
        System.getenv().getOrDefault("SECKILL_RATE_LIMIT", "4000"), System.getenv().getOrDefault("SECKILL_RATE_BURST", "400"),
        System.getenv().getOrDefault("SECKILL_QUEUE_SIZE", "256"), System.getenv().getOrDefault("SECKILL_WAIT_BUDGET", "100ms"));
    System.out.println("| run | offered req/s (bots + honest) | admitted to the queue req/s | server answers: buyer_throttled / rate_limited / 503 | honest buyers served (201) | honest p50 / p99 ms |");
    System.out.println("|---|---:|---:|---|---:|---:|");
    report.forEach(System.out::println);
  }

  static String flood(String name, Map<String, String> env) throws Exception {
    Bench.work = Files.createTempDirectory("seckill-flood-");
    Process server = Bench.startServer(env);
    try {
      Bench.waitUntilUp();
      String sale = "flood";
      Bench.define(sale, 1_000_000, 2);
      Bench.define("warmup", 1_000_000, 2);
      String path = Bench.reservePath(sale);
      int honestTotal = HONEST_PER_SECOND * SECONDS;
      List<String> honest = new ArrayList<>(honestTotal);
      for (int i = 0; i < honestTotal; i++) honest.add(Bench.token("honest" + i));
      List<String> botTokens = new ArrayList<>();
      for (int i = 0; i < BOTS; i++) botTokens.add(Bench.token("bot" + i));
      Path bots = Bench.work.resolve("bot-tokens.txt");
      Files.write(bots, botTokens);
      Path warmTokens = Bench.work.resolve("warm-tokens.txt");
      List<String> warm = new ArrayList<>();
      for (int i = 0; i < 20_000; i++) warm.add(Bench.token("warm" + i));
      Files.write(warmTokens, warm);
      // the JIT warmed on the reserve path (fresh buyers) and on the flood's answers before measuring
      Bench.wrk("warmup", "reserve.lua", "/", 64, 4, Map.of("TOKENS", warmTokens.toString(), "RESERVE_PATH", Bench.reservePath("warmup")));
      Bench.wrk("warmup", "reserve.lua", "/", BOT_CONNECTIONS, 3, Map.of("TOKENS", bots.toString(), "RESERVE_PATH", Bench.reservePath("warmup")));
      Thread.sleep(1000); // warm-up bots' buckets refill, windows are per sale

      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      List<long[]> samples = new ArrayList<>();
      samples.add(sample());
      long start = System.nanoTime();
      Thread sampler = new Thread(() -> {
        try {
          for (int s = 1; s <= SECONDS; s++) {
            long due = start + s * 1_000_000_000L;
            Thread.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000));
            samples.add(sample());
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      sampler.start();
      List<String> cmd = List.of("wrk", "-t1", "-c" + BOT_CONNECTIONS, "-d" + SECONDS + "s", "--timeout", "5s",
          "-s", "load-tests/reserve.lua", Bench.base + "/");
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().putAll(Map.of("TOKENS", bots.toString(), "RESERVE_PATH", path, "WRK_THREADS", "1"));
      Process wrk = pb.start();
      // honest buyers: an open loop, one request each at a steady rate, whatever the server does
      List<java.util.concurrent.CompletableFuture<long[]>> answers = new ArrayList<>();
      for (int i = 0; i < honestTotal; i++) {
        long wait = start + (long) (i * 1e9 / HONEST_PER_SECOND) - System.nanoTime();
        if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        long sent = System.nanoTime();
        answers.add(client.sendAsync(request(path, honest.get(i), "h" + i), HttpResponse.BodyHandlers.discarding())
            .handle((r, failure) -> new long[] {failure == null ? r.statusCode() : -1, System.nanoTime() - sent,
                (sent - start) / 1_000_000_000L}));
      }
      String out = new String(wrk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      wrk.waitFor();
      sampler.join();
      Matcher m = Pattern.compile("RESULT (\\{.*})").matcher(out);
      if (!m.find()) throw new IllegalStateException("wrk said:\n" + out);
      long botRequests = Long.parseLong(Bench.field(m.group(1), "requests"));

      long[] honestSent = new long[SECONDS + 1];
      long[] honestServed = new long[SECONDS + 1];
      List<Long> latencies = new ArrayList<>();
      for (var f : answers) {
        long[] a = f.get(30, java.util.concurrent.TimeUnit.SECONDS);
        int s = (int) Math.min(SECONDS, a[2]);
        honestSent[s]++;
        if (a[0] == 201) honestServed[s]++;
        latencies.add(a[1]);
      }
      latencies.sort(Long::compare);
      long served = java.util.Arrays.stream(honestServed).sum();

      System.out.println();
      System.out.println(name + ", per second (server counts, except the honest columns):");
      System.out.println("| s | reserve answers | admitted to the queue | buyer_throttled 429 | rate_limited 429 | 503 | honest sent | honest 201 |");
      System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
      for (int s = 1; s < samples.size(); s++) {
        long[] a = samples.get(s - 1), b = samples.get(s);
        long total = 0;
        for (int o = 0; o < b.length - 2; o++) total += b[o] - a[o];
        System.out.printf("| %d | %d | %d | %d | %d | %d | %d | %d |%n", s, total + b[b.length - 2] - a[a.length - 2],
            b[b.length - 1] - a[a.length - 1], b[2] - a[2], b[3] - a[3], b[4] - a[4], honestSent[s - 1], honestServed[s - 1]);
      }
      System.out.println("correctness: " + Bench.check(sale, null, 2));
      long[] first = samples.get(0), last = samples.get(samples.size() - 1);
      return String.format("| %s | %.0f (%.0f + %.0f) | %.0f | %d / %d / %d | %.1f%% (%d of %d) | %.0f / %.0f |", name,
          (botRequests + honestTotal) / (double) SECONDS, botRequests / (double) SECONDS, honestTotal / (double) SECONDS,
          (last[last.length - 1] - first[first.length - 1]) / (double) SECONDS, last[2] - first[2], last[3] - first[3],
          last[4] - first[4], 100.0 * served / honestTotal, served, honestTotal,
          latencies.get(latencies.size() / 2) / 1e6, latencies.get(Math.max(0, (int) (latencies.size() * 0.99) - 1)) / 1e6);
    } finally {
      server.destroy();
      server.waitFor();
    }
  }

  /** Cumulative server counters: each outcome of OUTCOMES, all other outcomes, then dispatched to the queue. */
  static long[] sample() throws Exception {
    long[] v = new long[OUTCOMES.length + 2];
    String metrics = Bench.send(HttpRequest.newBuilder(URI.create(METRICS)).build()).body();
    Matcher m = Pattern.compile("seckill_reserve_requests_total\\{outcome=\"([^\"]+)\"} ([0-9.E]+)").matcher(metrics);
    while (m.find()) {
      int i = List.of(OUTCOMES).indexOf(m.group(1));
      v[i < 0 ? OUTCOMES.length : i] += (long) Double.parseDouble(m.group(2));
    }
    v[OUTCOMES.length + 1] = Bench.admission().get("dispatched");
    return v;
  }

  static HttpRequest request(String path, String token, String requestId) {
    return HttpRequest.newBuilder(URI.create(Bench.base + path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"requestId\":\"" + requestId + "\",\"quantity\":1}")).build();
  }
}

/**
 * The ladder: what each step of a reserve costs, in one server process and one run. A bare Pekko
 * HTTP server answering a constant (the reference, same JVM), then our route tree answering a
 * constant, then + the buyer's token, + the JSON body, + every edge filter (each rung a /bench/*
 * route of seckill.admission.EdgeLadder, on only here), then the real reserve (+ the queue and the
 * sale's durable write) and a sold-out answer. Every request is a new buyer with a fresh token, as
 * in the reserve phase. {@code java load-tests/Bench.java ladder}.
 */
final class Ladder {

  static final int NOOP_PORT = Integer.parseInt(System.getenv().getOrDefault("SECKILL_BENCH_NOOP_PORT", "18081"));
  static final int WARMUP = Integer.parseInt(System.getenv().getOrDefault("BENCH_LADDER_WARMUP_SECONDS", "20"));

  record Rung(String name, String url, boolean retrying) {}

  static void run() throws Exception {
    Bench.work = java.nio.file.Files.createTempDirectory("seckill-ladder-");
    Process server = Bench.startServer(Map.of("SECKILL_RATE_LIMIT", Bench.httpRateLimit, "SECKILL_RATE_BURST",
        Bench.httpRateBurst, "SECKILL_BENCH_LADDER", "on", "SECKILL_BENCH_NOOP_PORT", String.valueOf(NOOP_PORT)));
    try {
      Bench.waitUntilUp();
      java.nio.file.Path fresh = Bench.writeTokens("fresh", 400_000);
      java.nio.file.Path retrying = Bench.writeTokens("retrying", 20_000);
      Bench.define("ladder", 10_000_000, 1000);
      Bench.define("soldout", 1, 1000);
      String soldOut = Bench.reservePath("soldout");
      Bench.post(soldOut, Bench.token("first-buyer"), "{\"requestId\":\"first\",\"quantity\":1}");
      Bench.awaitState("soldout", "SOLD_OUT");
      String reserve = Bench.reservePath("ladder");
      String key = reserve.substring(reserve.lastIndexOf('/') + 1);
      List<Rung> rungs = List.of(
          new Rung("bare Pekko HTTP no-op (reference)", "http://127.0.0.1:" + NOOP_PORT + "/", false),
          new Rung("our route tree, constant answer", Bench.base + "/bench/noop", false),
          new Rung("+ buyer token (a fresh one each time)", Bench.base + "/bench/token", false),
          new Rung("+ JSON body", Bench.base + "/bench/body", false),
          new Rung("+ every edge filter", Bench.base + "/bench/edge/ladder/" + key, false),
          new Rung("+ queue and durable write: reserve (201)", Bench.base + reserve, false),
          new Rung("sold out (410), retrying buyers", Bench.base + soldOut, true));
      for (int round = 0; round < 2; round++) {
        for (Rung r : rungs) {
          Bench.wrkUrl("warmup", "reserve.lua", r.url(), Bench.connections, WARMUP, Map.of("TOKENS", retrying.toString()));
        }
      }
      List<Bench.Result> results = new ArrayList<>();
      for (Rung r : rungs) {
        results.add(Bench.wrkUrl(r.name(), "reserve.lua", r.url(), Bench.connections, Bench.seconds,
            Map.of("TOKENS", (r.retrying() ? retrying : fresh).toString())));
      }
      Bench.Result bare = results.get(0);
      int cores = Runtime.getRuntime().availableProcessors();
      System.out.println();
      System.out.printf("seckill ladder: %d s per rung after 2 x %d s of warm-up each, wrk -t2 -c%d, one server process, %d cores shared with wrk%n",
          Bench.seconds, WARMUP, Bench.connections, cores);
      System.out.println("| rung | req/s | p50 ms | p99 ms | vs bare no-op | p99 vs bare | core-µs per request | step's cost, core-µs |");
      System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
      double previous = 0;
      for (int i = 0; i < results.size(); i++) {
        Bench.Result r = results.get(i);
        double perRequest = cores * 1e6 / r.rps();
        String step = i == 0 || i == results.size() - 1 ? "" : String.format("%+.0f", perRequest - previous);
        System.out.printf("| %s | %.0f | %.1f | %.1f | %.0f%% | %.1f× | %.0f | %s |%n", r.name(), r.rps(), r.p50us() / 1000.0,
            r.p99us() / 1000.0, 100.0 * r.rps() / bare.rps(), (double) r.p99us() / Math.max(1, bare.p99us()), perRequest, step);
        if (i < results.size() - 1) previous = perRequest;
      }
      System.out.println("answers per rung: " + results.stream().map(r -> r.name() + " " + r.statuses()).toList());
      System.out.println("core-µs per request = cores / req/s: the whole machine's time per answer, wrk's share included");
    } finally {
      server.destroy();
      server.waitFor();
    }
  }
}
