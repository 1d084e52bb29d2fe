import java.io.File;
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
 * The HTTP benchmark: starts the service from target/seckill.jar on the embedded default (H2 file),
 * with a bare no-op server beside it as the reference ({@link #startBenchNode}), drives it with wrk
 * on 127.0.0.1 and prints one table whose rows all come from the same server process: ceiling
 * (static GET), reserve, sold out, overload, each followed by a correctness check through the admin API. JDK only: run it with {@code java load-tests/Bench.java} (see run.sh).
 */
public class Bench {

  static final String SECRET = "bench-jwt-secret-0123456789abcdef0123456789";
  static final String ADMIN = "bench-admin-token-0123456789abcdef01";
  static final HttpClient HTTP = HttpClient.newHttpClient();

  static int port = Integer.parseInt(System.getenv().getOrDefault("BENCH_PORT", "18080"));
  static int seconds = Integer.parseInt(System.getenv().getOrDefault("BENCH_SECONDS", "10"));
  static int connections = Integer.parseInt(System.getenv().getOrDefault("BENCH_CONNECTIONS", "256"));
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
    if (args.length == 5 && args[0].equals("open-loop")) {
      // java load-tests/Bench.java open-loop <port> <path> <req/s> <seconds>: a POST each, against a running server
      List<String> tokens = new ArrayList<>();
      for (int i = 0; i < 20_000; i++) tokens.add(token("open-loop" + i));
      OpenLoop.Report r = OpenLoop.run("open loop", "127.0.0.1", Integer.parseInt(args[1]), Integer.parseInt(args[3]),
          Integer.parseInt(args[4]), OPEN_LOOP_CONNECTIONS, i -> reserveRequest(args[2], tokens.get(i % tokens.size()), "l" + i));
      System.out.println(OpenLoop.describe(r, OPEN_LOOP_CONNECTIONS));
      return;
    }
    if (args.length == 1 && args[0].equals("ladder")) {
      Ladder.run();
      return;
    }
    if (args.length == 1 && args[0].equals("waiting-room")) {
      RoomBench.run();
      return;
    }
    work = Files.createTempDirectory("seckill-bench-");
    Process server = startBenchNode(Map.of("SECKILL_RATE_LIMIT", httpRateLimit, "SECKILL_RATE_BURST", httpRateBurst));
    List<String> checks = new ArrayList<>();
    try {
      waitUntilUp();
      // reserve and overload: a new buyer for every request, so every 201 must be its own unit;
      // the refusals: 20,000 buyers retrying (about 8 times each), as losers of a sale do
      Path tokens = writeTokens("fresh", 400_000);
      Path retrying = writeTokens("retrying", 20_000);
      String noop = "http://127.0.0.1:" + Ladder.NOOP_PORT + "/";

      define("warmup", 10_000_000, 1000);
      define("warmup-soldout", 1, 1000);
      post(reservePath("warmup-soldout"), token("warm"), "{\"requestId\":\"w\",\"quantity\":1}");
      awaitState("warmup-soldout", "SOLD_OUT");
      define("soldout", 1, 1000);
      post(reservePath("soldout"), token("first-buyer"), "{\"requestId\":\"first\",\"quantity\":1}");
      awaitState("soldout", "SOLD_OUT");
      define("later", 1000, 1000, Instant.now().plusSeconds(3600), Instant.now().plusSeconds(7200));
      define("closed", 1000, 1000);
      HttpResponse<String> closing = send(HttpRequest.newBuilder(URI.create(base + "/admin/sales/closed/close"))
          .header("Authorization", "Bearer " + ADMIN).POST(HttpRequest.BodyPublishers.noBody()).build());
      if (closing.statusCode() != 200) throw new IllegalStateException("close: " + closing.body());
      awaitState("closed", "CLOSED");
      String soldOutPath = reservePath("soldout");
      // the phase is checked before the path's key (it is public): any key does for these three
      String laterPath = soldOutPath.replace("/soldout/", "/later/");
      String closedPath = soldOutPath.replace("/soldout/", "/closed/");
      String unknownPath = soldOutPath.replace("/soldout/", "/no-such-sale/");

      // warm up the JIT on every path measured before measuring anything
      for (int round = 0; round < 2; round++) {
        wrkUrl("warmup", "reserve.lua", noop, connections, warmupSeconds, Map.of("TOKENS", retrying.toString()));
        wrk("warmup", "reserve.lua", "/", connections, warmupSeconds, Map.of("TOKENS", retrying.toString(), "RESERVE_PATH", reservePath("warmup")));
        wrk("warmup", "reserve.lua", "/", connections, Math.max(1, warmupSeconds / 2), Map.of("TOKENS", retrying.toString(), "RESERVE_PATH", reservePath("warmup-soldout")));
        for (String path : List.of(laterPath, closedPath, unknownPath)) {
          wrk("warmup", "reserve.lua", "/", connections, Math.max(1, warmupSeconds / 4), Map.of("TOKENS", retrying.toString(), "RESERVE_PATH", path));
        }
      }

      Result noopBefore = wrkUrl("minimal Pekko HTTP no-op POST (reference)", "reserve.lua", noop, connections, seconds,
          Map.of("TOKENS", retrying.toString()));

      define("reserve", 10_000_000, 1000);
      Map<String, Long> before = admission();
      Result reserve = wrk("durable reserve (201), a new buyer per request", "reserve.lua", "/", connections, seconds,
          Map.of("TOKENS", tokens.toString(), "RESERVE_PATH", reservePath("reserve")));
      Map<String, Long> after = admission();
      double meanBatch = (double) (after.get("dispatched") - before.get("dispatched"))
          / Math.max(1, after.get("batches") - before.get("batches"));
      checks.add(check("reserve", reserve, 1000));

      // the refusals, by retrying buyers; each sale checked after its phase (the unknown one has none)
      List<Result> refusals = new ArrayList<>();
      for (String[] phase : new String[][] {{"sold out (410)", soldOutPath, "soldout"},
          {"not open yet (409)", laterPath, "later"}, {"closed (409)", closedPath, "closed"},
          {"unknown sale (404)", unknownPath, null}}) {
        refusals.add(wrk(phase[0], "reserve.lua", "/", connections, seconds,
            Map.of("TOKENS", retrying.toString(), "RESERVE_PATH", phase[1])));
        if (phase[2] != null) checks.add(check(phase[2], null, 1000));
      }

      Result noopAfter = wrkUrl("minimal Pekko HTTP no-op POST, again after", "reserve.lua", noop, connections, seconds,
          Map.of("TOKENS", retrying.toString()));
      Result reference = mean("minimal Pekko HTTP no-op POST (mean of before and after)", noopBefore, noopAfter);

      // overload, open loop: fresh buyers arriving at twice the reserve capacity just measured
      int rate = (int) Math.round(reserve.rps() * OVERLOAD_FACTOR);
      // stock for every request of the phase: the 201s per second it reaches are the node's rate under overload
      long overloadStock = Math.max(1000, (long) rate * seconds);
      define("overload", overloadStock, 1000);
      List<String> fresh = Files.readAllLines(tokens);
      String overloadPath = reservePath("overload");
      // the open-loop generator shares the two cores with the server: when the server saturates them
      // the generator would send late, and its lateness would count as the server's latency. Raised
      // priority (root only; the server, started before, keeps its own) so it sends on time.
      System.out.println("open-loop generator priority: " + raisePriority());
      // the reference under the same open load first: what Pekko HTTP and this generator take at that rate
      OpenLoop.Report overloadNoop = OpenLoop.run("no-op, open loop", "127.0.0.1", Ladder.NOOP_PORT, rate, seconds,
          OPEN_LOOP_CONNECTIONS, i -> reserveRequest("/", fresh.get(i % fresh.size()), "n" + i));
      Thread.sleep(2000);
      OpenLoop.Report overload = OpenLoop.run("overload, open loop", "127.0.0.1", port, rate, seconds, OPEN_LOOP_CONNECTIONS,
          i -> reserveRequest(overloadPath, fresh.get((fresh.size() - 1 - i % fresh.size())), "o" + i));
      Thread.sleep(2000); // requests the generator gave up on may still be answered: let them land first
      checks.add(check("overload", null, 1000));

      List<Result> phases = new ArrayList<>(List.of(reserve));
      phases.addAll(refusals);
      printGoals(reference, phases, meanBatch, overload, overloadNoop, overloadStock);
      System.out.println();
      for (Result r : List.of(noopBefore, noopAfter)) {
        System.out.printf("%s: %.0f req/s, p99 %.1f ms%n", r.name(), r.rps(), r.p99us() / 1000.0);
      }
      System.out.println();
      System.out.println("Correctness after each phase (admin API):");
      checks.forEach(c -> System.out.println("  " + c));
    } finally {
      server.destroy();
      server.waitFor();
    }
  }

  static final double OVERLOAD_FACTOR = Double.parseDouble(System.getenv().getOrDefault("BENCH_OVERLOAD_FACTOR", "2"));
  static final int OPEN_LOOP_CONNECTIONS = Integer.parseInt(System.getenv().getOrDefault("BENCH_OPEN_LOOP_CONNECTIONS", "1024"));

  /** renice -n -10 this JVM (wrk phases are over by then; the server keeps its priority). */
  static String raisePriority() {
    try {
      Process p = new ProcessBuilder("renice", "-n", "-10", "-p", String.valueOf(ProcessHandle.current().pid()))
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return p.waitFor() == 0 ? "raised (nice -10)" : "unchanged (" + out + ")";
    } catch (IOException | InterruptedException e) {
      return "unchanged (" + e.getMessage() + ")";
    }
  }

  static byte[] reserveRequest(String path, String token, String requestId) {
    String body = "{\"requestId\":\"" + requestId + "\",\"quantity\":1}";
    return ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
        + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
        .getBytes(StandardCharsets.ISO_8859_1);
  }

  static Result mean(String name, Result a, Result b) {
    Map<String, Long> statuses = new LinkedHashMap<>();
    a.statuses().forEach((k, v) -> statuses.put(k, v + b.statuses().getOrDefault(k, 0L)));
    return new Result(name, a.requests() + b.requests(), a.seconds() + b.seconds(), Math.max(a.p50us(), b.p50us()),
        Math.max(a.p99us(), b.p99us()), Math.max(a.maxUs(), b.maxUs()), statuses, a.socketErrors() + b.socketErrors(),
        a.timeouts() + b.timeouts());
  }

  // ---------------------------------------------------------------- server

  /** The service as shipped: {@code java -jar target/seckill.jar}. */
  static Process startServer(Map<String, String> extraEnv) throws IOException {
    return startServer(extraEnv, List.of("-jar", "target/seckill.jar"));
  }

  /**
   * The service with the ladder's /bench/* routes, and the bare Pekko HTTP no-op on {@link Ladder#NOOP_PORT}
   * beside it: seckill.bench.BenchNode, from the test classes the build compiles (-DskipTests compiles them).
   */
  static Process startBenchNode(Map<String, String> extraEnv) throws IOException {
    if (!Files.exists(Path.of("target/test-classes/seckill/bench/BenchNode.class"))) {
      throw new IllegalStateException("build first: mvn -q -DskipTests package");
    }
    // the service's own logging: the test classes' logback-test.xml would win otherwise
    return startServer(extraEnv, List.of("-Dlogback.configurationFile=logback.xml",
        "-cp", "target/seckill.jar" + File.pathSeparator + "target/test-classes",
        "seckill.bench.BenchNode", String.valueOf(Ladder.NOOP_PORT)));
  }

  private static Process startServer(Map<String, String> extraEnv, List<String> main) throws IOException {
    Path jar = Path.of("target/seckill.jar");
    if (!Files.exists(jar)) throw new IllegalStateException("build first: mvn -q -DskipTests package");
    // the server's JVM (BENCH_JAVA, default the java on the PATH) and extra options for it only, e.g. a GC
    // or a JFR recording: BENCH_JAVA_OPTS="-XX:+UseZGC -XX:StartFlightRecording=..."
    List<String> cmd = new ArrayList<>(List.of(System.getenv().getOrDefault("BENCH_JAVA", "java"), "-Xms2g", "-Xmx2g"));
    String opts = System.getenv().getOrDefault("BENCH_JAVA_OPTS", "").trim();
    if (!opts.isEmpty()) cmd.addAll(List.of(opts.split("\\s+")));
    cmd.addAll(main);
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
    env.put("SECKILL_WAITING_ROOM_SECRET", "bench-waiting-room-secret-0123456789abcdef0123");
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
    define(saleId, stock, limit, Instant.now().minusSeconds(1), Instant.now().plusSeconds(3600));
  }

  static void define(String saleId, long stock, int limit, Instant startsAt, Instant endsAt) throws Exception {
    String body = String.format("{\"item\":\"Bench %s\",\"description\":\"load test\",\"price\":1.00,\"currency\":\"EUR\","
        + "\"stock\":%d,\"startsAt\":\"%s\",\"endsAt\":\"%s\",\"perBuyerLimit\":%d,\"mode\":\"ON_ORDER\"}",
        saleId, stock, startsAt, endsAt, limit);
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/admin/sales/" + saleId))
        .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(body)).build());
    if (r.statusCode() != 200) throw new IllegalStateException("define " + saleId + ": " + r.body());
    awaitState(saleId, stock == 0 ? "SOLD_OUT" : startsAt.isAfter(Instant.now()) ? "UPCOMING" : "OPEN");
  }

  static void awaitState(String saleId, String state) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!get("/api/sales/" + saleId + "/status", null).body().contains("\"state\":\"" + state + "\"")) {
      if (System.nanoTime() > deadline) throw new IllegalStateException(saleId + " never became " + state);
      Thread.sleep(20);
    }
  }

  static final Map<String, String> RESERVE_PATHS = new java.util.concurrent.ConcurrentHashMap<>();

  /** A sale's keyed reserve path, as its status shows it while it sells (a sold-out sale no longer shows it). */
  static String reservePath(String saleId) throws Exception {
    String known = RESERVE_PATHS.get(saleId);
    if (known != null) return known;
    String path = field(get("/api/sales/" + saleId + "/status", null).body(), "reservePath");
    RESERVE_PATHS.put(saleId, path);
    return path;
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

  /** The table of issue "Edge speed": each phase against the no-op of the same run, with its goal. */
  static void printGoals(Result ref, List<Result> phases, double meanBatch, OpenLoop.Report overload,
      OpenLoop.Report overloadNoop, long overloadStock) {
    System.out.println();
    System.out.printf("seckill edge benchmark: %d s per phase, wrk -t2 -c%d (closed loop), one server process (H2 file journal), "
        + "%d cores shared with the load generator; warm-up 2 x %d s per path%n", seconds, connections,
        Runtime.getRuntime().availableProcessors(), warmupSeconds);
    System.out.printf("server JVM: %s -Xms2g -Xmx2g %s%n", System.getenv().getOrDefault("BENCH_JAVA", "java"),
        System.getenv().getOrDefault("BENCH_JAVA_OPTS", ""));
    System.out.printf("server: rate limit %s/s (burst %s), queue %s, wait budget %s%n", httpRateLimit, httpRateBurst,
        System.getenv().getOrDefault("SECKILL_QUEUE_SIZE", "256"), System.getenv().getOrDefault("SECKILL_WAIT_BUDGET", "100ms"));
    System.out.println("| phase | req/s | p50 ms | p99 ms | req/s vs no-op | p99 vs no-op | goal | met |");
    System.out.println("|---|---:|---:|---:|---:|---:|---|---|");
    System.out.printf("| %s | %.0f | %.1f | %.1f | 100%% | 1.0× | reference | |%n", ref.name(), ref.rps(), ref.p50us() / 1000.0,
        ref.p99us() / 1000.0);
    for (Result r : phases) {
      boolean isReserve = r.name().startsWith("durable reserve");
      double share = r.rps() / ref.rps();
      double p99 = (double) r.p99us() / Math.max(1, ref.p99us());
      double goal = isReserve ? 0.33 : 0.80;
      boolean clean = r.socketErrors() + r.timeouts() == 0;
      System.out.printf("| %s | %.0f | %.1f | %.1f | %.0f%% | %.1f× | ≥ %.0f%%, p99 ≤ 2×%s | %s |%n", r.name(), r.rps(),
          r.p50us() / 1000.0, r.p99us() / 1000.0, 100 * share, p99, 100 * goal, clean ? "" : ", 0 errors",
          share >= goal && p99 <= 2 && clean ? "yes" : "no");
    }
    long[] all = overload.all();
    double p99All = OpenLoop.Report.percentileMs(all, 99);
    double p99Noop = OpenLoop.Report.percentileMs(overloadNoop.all(), 99);
    double reservedPerSecond = overload.latenciesByStatus().getOrDefault(201, new long[0]).length / overload.seconds();
    double reserveRate = phases.get(0).rps();
    boolean overloadMet = p99All <= 2 * p99Noop && reservedPerSecond >= 0.9 * reserveRate
        && overload.errors() + overload.unanswered() == 0 && overload.retryAfterMissing() == 0;
    System.out.printf("| overload, open loop: %d req/s offered (%.0f× the reserve), 201s per second | %.0f | %.1f | %.1f | "
        + "%.0f%% of the closed-loop reserve | %.1f× the no-op's open-loop p99 (%.1f ms) | "
        + "201s ≥ 90%%, p99 ≤ 2×, every 503 with Retry-After, 0 errors | %s |%n", overload.rate(), OVERLOAD_FACTOR,
        reservedPerSecond, OpenLoop.Report.percentileMs(all, 50), p99All, 100 * reservedPerSecond / reserveRate,
        p99All / Math.max(0.001, p99Noop), p99Noop, overloadMet ? "yes" : "no");
    System.out.println();
    System.out.printf("reserve: %d units sold, mean batch %.1f requests per persist%n", phases.get(0).statuses().get("201"), meanBatch);
    System.out.println("answers per phase: " + phases.stream().map(r -> r.name() + " " + r.statuses()
        + (r.socketErrors() + r.timeouts() > 0 ? " errors " + r.socketErrors() + " timeouts " + r.timeouts() : "")).toList());
    for (OpenLoop.Report r : List.of(overload, overloadNoop)) System.out.println(OpenLoop.describe(r, OPEN_LOOP_CONNECTIONS));
    System.out.printf("overload stock %d (one unit per request offered: it never sells out)%n", overloadStock);
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
 * route of seckill.bench.BenchNode, the server started here), then the real reserve (+ the queue and the
 * sale's durable write) and a sold-out answer. Every request is a new buyer with a fresh token, as
 * in the reserve phase. {@code java load-tests/Bench.java ladder}.
 */
final class Ladder {

  static final int NOOP_PORT = Integer.parseInt(System.getenv().getOrDefault("BENCH_NOOP_PORT", "18081"));
  static final int WARMUP = Integer.parseInt(System.getenv().getOrDefault("BENCH_LADDER_WARMUP_SECONDS", "20"));

  record Rung(String name, String url, boolean retrying) {}

  static void run() throws Exception {
    Bench.work = java.nio.file.Files.createTempDirectory("seckill-ladder-");
    Process server = Bench.startBenchNode(Map.of("SECKILL_RATE_LIMIT", Bench.httpRateLimit, "SECKILL_RATE_BURST",
        Bench.httpRateBurst));
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
      // BENCH_LADDER_RUNGS="0,5": only those rungs (by position), e.g. to profile one step alone
      String only = System.getenv("BENCH_LADDER_RUNGS");
      if (only != null && !only.isBlank()) {
        List<Rung> all = rungs;
        rungs = java.util.Arrays.stream(only.split(",")).map(i -> all.get(Integer.parseInt(i.trim()))).toList();
      }
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

/**
 * An open-loop load generator: requests are due at a fixed rate whatever the server answers, as
 * buyers arrive in a real sale (closed-loop wrk waits for an answer before it sends again, so its
 * latency is connections / throughput and overload never shows as waiting). One thread, JDK NIO,
 * HTTP/1.1 keep-alive, one request at a time per connection, over a pool of {@code maxConnections}
 * opened before the clock starts (as a load balancer keeps to its backends); a due request takes an
 * idle connection, or waits for one (a connection the server closed is opened again). Latency is counted
 * from when the request was due, not from when it was written, so a request that waited for a free
 * connection counts its wait (no coordinated omission). Its own CPU time is reported: it shares
 * the cores with the server.
 */
final class OpenLoop {

  record Report(String name, int rate, long due, long sent, long answered, long errors, long unanswered,
      Map<Integer, long[]> latenciesByStatus, long retryAfterMissing, double seconds, double cpuSeconds, int opened) {

    long[] all() {
      return latenciesByStatus.values().stream().flatMapToLong(java.util.Arrays::stream).sorted().toArray();
    }

    static double percentileMs(long[] sorted, double p) {
      if (sorted.length == 0) return 0;
      return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)] / 1e6;
    }
  }

  private static final class Conn {
    final java.nio.channels.SocketChannel channel;
    final java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(64 * 1024);
    java.nio.ByteBuffer out;
    long dueAt;
    boolean busy;

    Conn(java.nio.channels.SocketChannel channel) {
      this.channel = channel;
    }
  }

  /** Sends {@code rate} requests a second for {@code seconds}; {@code request.apply(i)} gives request i's bytes. */
  static Report run(String name, String host, int port, int rate, int seconds, int maxConnections,
      java.util.function.IntFunction<byte[]> request) throws IOException {
    var threadMx = java.lang.management.ManagementFactory.getThreadMXBean();
    long cpuStart = threadMx.getCurrentThreadCpuTime();
    java.nio.channels.Selector selector = java.nio.channels.Selector.open();
    java.net.InetSocketAddress address = new java.net.InetSocketAddress(host, port);
    java.util.ArrayDeque<Conn> idle = new java.util.ArrayDeque<>();
    java.util.ArrayDeque<Long> waiting = new java.util.ArrayDeque<>(); // due requests: index
    int open = 0;
    int opened = 0;
    // the pool is opened before the clock starts, as a load balancer's keep-alive pool to its
    // backends would be: what is measured is the server answering, not a storm of new connections
    for (; open < maxConnections; open++, opened++) {
      java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(address);
      ch.configureBlocking(false);
      ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
      Conn c = new Conn(ch);
      ch.register(selector, 0, c);
      idle.add(c);
    }
    long total = (long) rate * seconds;
    long next = 0;
    long sent = 0, answered = 0, errors = 0, missingRetryAfter = 0;
    Map<Integer, List<Long>> latencies = new java.util.TreeMap<>();
    long start = System.nanoTime();
    double interval = 1e9 / rate;
    long drainUntil = Long.MAX_VALUE;
    while (true) {
      long now = System.nanoTime();
      while (next < total && start + (long) (next * interval) <= now) waiting.add(next++);
      if (next == total && drainUntil == Long.MAX_VALUE) drainUntil = now + 10_000_000_000L; // answers due within 10 s
      // hand due requests to idle connections, opening new ones while allowed
      while (!waiting.isEmpty()) {
        Conn c = idle.poll();
        if (c == null) {
          if (open >= maxConnections) break;
          java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open();
          ch.configureBlocking(false);
          ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
          c = new Conn(ch);
          open++;
          opened++;
          ch.connect(address);
          ch.register(selector, java.nio.channels.SelectionKey.OP_CONNECT, c);
          long i = waiting.poll();
          c.busy = true;
          c.dueAt = start + (long) (i * interval);
          c.out = java.nio.ByteBuffer.wrap(request.apply((int) i));
          sent++;
          continue;
        }
        long i = waiting.poll();
        c.busy = true;
        c.dueAt = start + (long) (i * interval);
        c.out = java.nio.ByteBuffer.wrap(request.apply((int) i));
        sent++;
        if (!write(c, selector)) {
          errors++;
          open--;
        }
      }
      boolean inFlight = open > idle.size();
      if (next == total && waiting.isEmpty() && !inFlight) break;
      if (now > drainUntil) break;
      long untilNext = next < total ? start + (long) (next * interval) - now : 1_000_000;
      // due requests and a connection to open for them: go on at once; else sleep until an answer or the next due time
      if (!waiting.isEmpty() && open < maxConnections) selector.selectNow();
      else selector.select(Math.max(1, untilNext / 1_000_000));
      var keys = selector.selectedKeys().iterator();
      while (keys.hasNext()) {
        var key = keys.next();
        keys.remove();
        Conn c = (Conn) key.attachment();
        try {
          if (key.isConnectable()) {
            c.channel.finishConnect();
            if (!write(c, selector)) {
              errors++;
              open--;
            }
            continue;
          }
          if (key.isWritable()) {
            if (!write(c, selector)) {
              errors++;
              open--;
            }
            continue;
          }
          if (key.isReadable()) {
            int n = c.channel.read(c.in);
            if (n < 0) throw new IOException("closed by the server");
            int[] answer = parse(c.in);
            if (answer == null) continue;
            long took = System.nanoTime() - c.dueAt;
            answered++;
            latencies.computeIfAbsent(answer[0], s -> new ArrayList<>()).add(took);
            if (answer[0] == 503 && answer[1] == 0) missingRetryAfter++;
            c.in.clear();
            c.busy = false;
            key.interestOps(0);
            if (answer[2] == 1) { // Connection: close
              c.channel.close();
              open--;
            } else {
              idle.add(c);
            }
          }
        } catch (IOException e) {
          errors++;
          open--;
          key.cancel();
          c.channel.close();
        }
      }
    }
    long unanswered = total - answered - errors; // sent but not answered within 10 s, or never sent
    double took = (System.nanoTime() - start) / 1e9;
    for (var key : selector.keys()) key.channel().close();
    selector.close();
    Map<Integer, long[]> byStatus = new java.util.TreeMap<>();
    latencies.forEach((s, l) -> byStatus.put(s, l.stream().mapToLong(Long::longValue).sorted().toArray()));
    return new Report(name, rate, total, sent, answered, errors, unanswered, byStatus, missingRetryAfter,
        Math.min(took, seconds), (threadMx.getCurrentThreadCpuTime() - cpuStart) / 1e9, opened);
  }

  static String describe(Report r, int maxConnections) {
    StringBuilder b = new StringBuilder();
    r.latenciesByStatus().forEach((status, l) -> b.append(String.format(" %d: %d (%.1f%%) p50 %.1f p99 %.1f max %.1f ms;", status,
        l.length, 100.0 * l.length / Math.max(1, r.due()), Report.percentileMs(l, 50), Report.percentileMs(l, 99),
        Report.percentileMs(l, 100))));
    return String.format("%s, %d req/s for %.0f s on up to %d connections (%d opened): due %d, answered %d, errors %d, "
        + "unanswered %d, 503 without Retry-After %d;%s the generator used %.1f core-s", r.name(), r.rate(), r.seconds(),
        maxConnections, r.opened(), r.due(), r.answered(), r.errors(), r.unanswered(), r.retryAfterMissing(), b, r.cpuSeconds());
  }

  /** Writes what is left of the request; false when the connection failed. */
  private static boolean write(Conn c, java.nio.channels.Selector selector) {
    try {
      c.channel.write(c.out);
      var key = c.channel.keyFor(selector);
      int ops = c.out.hasRemaining() ? java.nio.channels.SelectionKey.OP_WRITE : java.nio.channels.SelectionKey.OP_READ;
      if (key == null) c.channel.register(selector, ops, c);
      else key.interestOps(ops);
      return true;
    } catch (IOException e) {
      try {
        c.channel.close();
      } catch (IOException ignored) {
        // closing a failed connection
      }
      return false;
    }
  }

  /**
   * One whole response in {@code in} (write mode): {status, has Retry-After, connection close}, or
   * null while more bytes are due. Our server answers with Content-Length, never chunked.
   */
  static int[] parse(java.nio.ByteBuffer in) {
    byte[] b = in.array();
    int len = in.position();
    int headersEnd = -1;
    for (int i = 3; i < len; i++) {
      if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
        headersEnd = i + 1;
        break;
      }
    }
    if (headersEnd < 0) return null;
    String head = new String(b, 0, headersEnd, StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
    int status = Integer.parseInt(head.substring(9, 12));
    int contentLength = 0;
    int cl = head.indexOf("\r\ncontent-length:");
    if (cl >= 0) contentLength = Integer.parseInt(head.substring(cl + 17, head.indexOf('\r', cl + 17)).trim());
    if (len < headersEnd + contentLength) return null;
    return new int[] {status, head.contains("\r\nretry-after:") ? 1 : 0, head.contains("\r\nconnection: close") ? 1 : 0};
  }
}

/**
 * The waiting room's costs, all against one server process: joins (a new buyer each) and polls (a
 * ticket of 100,000 queued buyers each, signed here with the bench's secret, as the server would)
 * against the bare Pekko HTTP no-op and a sold-out reserve of the same run, then the admission
 * pace the line keeps over 30 s against the one it was given. JDK + wrk only.
 */
class RoomBench {

  static final int QUEUED = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROOM_BUYERS", "100000"));
  static final int JOINERS = 400_000;
  static final int PACE = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROOM_PACE", "500"));
  static final int PACE_SECONDS = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROOM_PACE_SECONDS", "30"));
  static final String ROOM_SECRET = "bench-waiting-room-secret-0123456789abcdef0123";

  static void run() throws Exception {
    Bench.work = Files.createTempDirectory("seckill-room-");
    Process server = Bench.startBenchNode(Map.of("SECKILL_RATE_LIMIT", Bench.httpRateLimit, "SECKILL_RATE_BURST",
        Bench.httpRateBurst));
    try {
      Bench.waitUntilUp();
      // more buyers than a phase can join: each join is a new buyer, never one who already holds a place
      Path joiners = Bench.writeTokens("joiner", JOINERS);
      Path warmJoiners = Bench.writeTokens("warm-joiner", QUEUED);
      Path retrying = Bench.writeTokens("retrying", 20_000);
      Path tickets = tickets("room", QUEUED);
      Path warmTickets = tickets("room-warm", QUEUED);
      defineRoom("room-warm", PACE);
      defineRoom("room", PACE);
      Bench.define("soldout", 1, 1000);
      String soldOut = Bench.reservePath("soldout");
      Bench.post(soldOut, Bench.token("first-buyer"), "{\"requestId\":\"first\",\"quantity\":1}");
      Bench.awaitState("soldout", "SOLD_OUT");
      String noop = "http://127.0.0.1:" + Ladder.NOOP_PORT + "/";
      int c = Bench.connections;
      for (int round = 0; round < 2; round++) {
        Bench.wrkUrl("warmup", "get.lua", noop, c, Ladder.WARMUP, Map.of());
        Bench.wrk("warmup", "poll.lua", "/api/sales/room-warm/queue", c, Ladder.WARMUP, Map.of("TICKETS", warmTickets.toString()));
        Bench.wrk("warmup", "reserve.lua", soldOut, c, Ladder.WARMUP, Map.of("TOKENS", retrying.toString()));
      }
      Bench.wrk("warmup", "reserve.lua", "/api/sales/room-warm/queue", c, Ladder.WARMUP,
          Map.of("TOKENS", warmJoiners.toString(), "RESERVE_PATH", "/api/sales/room-warm/queue"));

      Bench.Result bare = Bench.wrkUrl("bare Pekko HTTP no-op (reference)", "get.lua", noop, c, Bench.seconds, Map.of());
      Bench.Result sold = Bench.wrk("sold out (410), retrying buyers", "reserve.lua", soldOut, c, Bench.seconds,
          Map.of("TOKENS", retrying.toString()));
      Bench.Result poll = Bench.wrk("poll, " + QUEUED + " tickets", "poll.lua", "/api/sales/room/queue", c, Bench.seconds,
          Map.of("TICKETS", tickets.toString()));
      Bench.Result join = Bench.wrk("join, a new buyer each", "reserve.lua", "/api/sales/room/queue", c, Bench.seconds,
          Map.of("TOKENS", joiners.toString(), "RESERVE_PATH", "/api/sales/room/queue"));
      String figures = Bench.get("/admin/sales/room/queue", Bench.ADMIN).body();
      long leased = Long.parseLong(Bench.field(figures, "leasedThrough"));

      // the pace: buyers let in (the line's count, void places left out) over PACE_SECONDS
      long startCount = Long.parseLong(Bench.field(Bench.get("/admin/sales/room/queue", Bench.ADMIN).body(), "admitted"));
      long start = System.nanoTime();
      Thread.sleep(PACE_SECONDS * 1000L);
      String after = Bench.get("/admin/sales/room/queue", Bench.ADMIN).body();
      double seconds = (System.nanoTime() - start) / 1e9;
      long admitted = Long.parseLong(Bench.field(after, "admitted")) - startCount;

      System.out.println();
      System.out.printf("waiting room, one node, wrk -t2 -c%d, %d s per phase after 2 x %d s of warm-up each%n", c,
          Bench.seconds, Ladder.WARMUP);
      System.out.println("| phase | req/s | % of no-op | p50 ms | p99 ms | p99 vs no-op | answers |");
      System.out.println("|---|---:|---:|---:|---:|---:|---|");
      for (Bench.Result r : List.of(bare, sold, poll, join)) {
        System.out.printf("| %s | %.0f | %.0f%% | %.2f | %.2f | %.1f× | %s |%n", r.name(), r.rps(), 100 * r.rps() / bare.rps(),
            r.p50us() / 1000.0, r.p99us() / 1000.0, (double) r.p99us() / Math.max(1, bare.p99us()), r.statuses());
      }
      System.out.printf("poll vs sold-out reserve: %.0f%% of its rate, p99 %.1f×%n", 100 * poll.rps() / sold.rps(),
          (double) poll.p99us() / Math.max(1, sold.p99us()));
      System.out.printf("joins: %d places leased for %d joins answered 200 (void share %.1f%%)%n", leased,
          join.statuses().get("other"), 100.0 * Math.max(0, leased - join.statuses().get("other")) / Math.max(1, leased));
      System.out.printf("pace: %d admitted in %.1f s = %.1f/s against admitPerSecond %d (%.1f%%)%n", admitted, seconds,
          admitted / seconds, PACE, 100 * admitted / seconds / PACE);
      System.out.println("line: " + after);
    } finally {
      server.destroy();
      server.waitFor();
    }
  }

  static void defineRoom(String saleId, int pace) throws Exception {
    String body = String.format("{\"item\":\"Bench %s\",\"price\":1.00,\"currency\":\"EUR\",\"stock\":10000000,"
        + "\"startsAt\":\"%s\",\"endsAt\":\"%s\",\"perBuyerLimit\":1,\"mode\":\"ON_ORDER\","
        + "\"waitingRoom\":{\"admitPerSecond\":%d,\"maxActive\":1000000,\"admissionTtlSeconds\":1800}}",
        saleId, Instant.now().minusSeconds(1), Instant.now().plusSeconds(3600), pace);
    HttpResponse<String> r = Bench.send(HttpRequest.newBuilder(URI.create(Bench.base + "/admin/sales/" + saleId))
        .header("Authorization", "Bearer " + Bench.ADMIN).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(body)).build());
    if (r.statusCode() != 200) throw new IllegalStateException("define " + saleId + ": " + r.body());
    Bench.awaitState(saleId, "OPEN");
  }

  /** Tickets for places 0..n-1 of the sale, signed as the server signs them (HMAC-SHA256 over "ticket." + payload). */
  static Path tickets(String saleId, int n) throws Exception {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(ROOM_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    long now = System.currentTimeMillis();
    List<String> lines = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String payload = b64.encodeToString(String.format("{\"sale\":\"%s\",\"buyer\":\"q%d\",\"place\":%d,\"joinedAt\":%d}",
          saleId, i, i, now).getBytes(StandardCharsets.UTF_8));
      lines.add(payload + "." + b64.encodeToString(mac.doFinal(("ticket." + payload).getBytes(StandardCharsets.UTF_8))));
    }
    Path file = Bench.work.resolve(saleId + "-tickets.txt");
    Files.write(file, lines);
    return file;
  }
}
