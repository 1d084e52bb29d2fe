import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import seckill.auth.BuyerTokens;
import seckill.challenge.Challenges;

/**
 * The opening second, with the access challenge off and on: M buyers all click at t = 0 and retry
 * like the sale page (Retry-After plus up to 0.5 s jitter, at most 5 tries). Prints, per 100 ms and
 * per second, the reserves offered and what became of them. One server process (target/seckill.jar,
 * H2 file, 127.0.0.1), two sales: one without a challenge, one with. Run with load-tests/opening-second.sh.
 *
 * <p>Solving M challenges of a person's size (~0.5 s each) would take M half-seconds of this
 * machine's two cores, so the bench solves at {@code BENCH_REAL_BITS} for real (the server checks
 * every solution) and each buyer then waits as long as a {@code BENCH_BITS} solve takes on one core
 * of this JVM: tries × 2^(BITS − REAL_BITS) / measured hashes per second. Both are geometric in the
 * number of tries, so the arrival spread is the one a {@code BENCH_BITS} challenge gives.
 */
public class OpeningSecond {

  static final String SECRET = "bench-jwt-secret-0123456789abcdef0123456789";
  static final String ADMIN = "bench-admin-token-0123456789abcdef01";
  static final int PORT = Integer.parseInt(env("BENCH_PORT", "18081"));
  static final int BUYERS = Integer.parseInt(env("BENCH_BUYERS", "1000"));
  static final int BITS = Integer.parseInt(env("BENCH_BITS", "20"));
  static final int REAL_BITS = Integer.parseInt(env("BENCH_REAL_BITS", "12"));
  static final int TRIES = 5;
  static final String BASE = "http://127.0.0.1:" + PORT;
  static final int NOOP_PORT = Integer.parseInt(env("BENCH_NOOP_PORT", "18082"));
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static final ScheduledExecutorService TIMER = Executors.newScheduledThreadPool(2);
  static final java.util.concurrent.ExecutorService SOLVER = Executors.newFixedThreadPool(2);

  /** One request sent: when (ms after t = 0), its answer, what it was (reserve, join, poll) and how long it took. */
  record Attempt(long sentMs, int status, String kind, long tookMs) {
    Attempt(long sentMs, int status) {
      this(sentMs, status, "reserve", 0);
    }
  }

  static final int ROOM_PACE = Integer.parseInt(env("BENCH_ROOM_PACE", "200"));
  static final int ROOM_ACTIVE = Integer.parseInt(env("BENCH_ROOM_ACTIVE", "400"));

  /** Mints buyer tokens the server accepts (its HS256 secret). */
  static BuyerTokens minter() {
    return BuyerTokens.fromConfig(ConfigFactory.parseMap(Map.of("hs256-secret", SECRET, "rs256-public-key", "",
        "verified-token-cache-size", 10, "clock-skew", "5s")));
  }

  static String env(String name, String fallback) {
    return System.getenv().getOrDefault(name, fallback);
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 1 && args[0].equals("room")) {
      WaitingRoomOpening.run();
      return;
    }
    Path work = Files.createTempDirectory("seckill-opening-");
    double rate = hashesPerSecond();
    double meanSolveS = Math.pow(2, BITS) / rate;
    Process server = start(work);
    try {
      BuyerTokens tokens = minter();
      List<String> off = new ArrayList<>();
      List<String> on = new ArrayList<>();
      for (int i = 0; i < BUYERS; i++) {
        off.add(tokens.mint("off" + i, Duration.ofHours(1)));
        on.add(tokens.mint("on" + i, Duration.ofHours(1)));
      }
      define("warmup");
      List<String> warm = new ArrayList<>();
      for (int i = 0; i < 500; i++) warm.add(tokens.mint("warm" + i, Duration.ofHours(1)));
      run("warmup", warm, 0);
      Thread.sleep(2000);

      define("opening-off");
      List<Attempt> plain = run("opening-off", off, 0);
      Thread.sleep(2000);
      define("opening-on");
      List<Attempt> challenged = run("opening-on", on, 1e3 * Math.pow(2, BITS - REAL_BITS) / rate);

      System.out.printf("%nopening second: %d buyers click at t = 0, one server (rate limit %s/s, burst %s, queue %s, wait budget %s)%n",
          BUYERS, env("SECKILL_RATE_LIMIT", "4000"), env("SECKILL_RATE_BURST", "400"), env("SECKILL_QUEUE_SIZE", "256"),
          env("SECKILL_WAIT_BUDGET", "100ms"));
      System.out.printf("challenge on: %d bits, one core of this JVM does %.2f M SHA-256/s, so a solve takes %.2f s on average%n%n",
          BITS, rate / 1e6, meanSolveS);
      table("per 100 ms, first 3 s", plain, challenged, 100, 30);
      table("per second", plain, challenged, 1000, 12);
      summary("off", plain, off.size());
      summary("on", challenged, on.size());
      System.out.println("server log: " + work.resolve("server.log"));
    } finally {
      server.destroy();
      server.waitFor();
      TIMER.shutdownNow();
      SOLVER.shutdownNow();
    }
  }

  // ---------------------------------------------------------------- the buyers

  /** Every buyer at t = 0; msPerRealTry > 0 means the sale has a challenge and solving takes that per try. */
  static List<Attempt> run(String saleId, List<String> buyers, double msPerRealTry) throws Exception {
    String path = field(get("/api/sales/" + saleId + "/status", null).body(), "reservePath");
    // challenges fetched and solved before t = 0 (see the class comment); the wait is the modeled solve
    List<String[]> solved = new ArrayList<>();
    if (msPerRealTry > 0) {
      List<CompletableFuture<String[]>> pending = new ArrayList<>();
      for (String token : buyers) pending.add(challenge(saleId, token));
      for (CompletableFuture<String[]> p : pending) solved.add(p.get(60, TimeUnit.SECONDS));
    }
    ConcurrentLinkedQueue<Attempt> attempts = new ConcurrentLinkedQueue<>();
    long t0 = System.nanoTime();
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (int i = 0; i < buyers.size(); i++) {
      CompletableFuture<Void> finished = new CompletableFuture<>();
      done.add(finished);
      String token = buyers.get(i);
      String requestId = "req-" + i;
      if (msPerRealTry == 0) {
        buy(path, token, requestId, null, null, 1, t0, attempts, finished);
      } else {
        String[] c = solved.get(i);
        long waitMs = (long) (Long.parseLong(c[1]) * msPerRealTry);
        TIMER.schedule(() -> redeem(saleId, token, c, requestId).thenAccept(access ->
            buy(path, token, requestId, access, msPerRealTry, 1, t0, attempts, finished)), waitMs, TimeUnit.MILLISECONDS);
      }
    }
    CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    return new ArrayList<>(attempts);
  }

  static void buy(String path, String token, String requestId, String access, Double msPerRealTry, int attempt, long t0,
      ConcurrentLinkedQueue<Attempt> attempts, CompletableFuture<Void> finished) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(BASE + path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"requestId\":\"" + requestId + "\",\"quantity\":1}"));
    if (access != null) b.header("X-Access-Token", access);
    long sent = (System.nanoTime() - t0) / 1_000_000;
    HTTP.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()).whenComplete((r, failure) -> {
      int status = failure != null ? 599 : r.statusCode();
      attempts.add(new Attempt(sent, status, "reserve", (System.nanoTime() - t0) / 1_000_000 - sent));
      if ((status != 429 && status != 503) || attempt == TRIES) {
        finished.complete(null);
        return;
      }
      long waitMs = Long.parseLong(r.headers().firstValue("Retry-After").orElse("1")) * 1000
          + ThreadLocalRandom.current().nextLong(500);
      String saleId = path.split("/")[3];
      TIMER.schedule(() -> {
        // a 429 comes before the token is read, so it still holds; after a 503 it is used up: solve again
        if (access == null || status == 429) {
          buy(path, token, requestId, access, msPerRealTry, attempt + 1, t0, attempts, finished);
        } else {
          challenge(saleId, token).thenAccept(c -> TIMER.schedule(() -> redeem(saleId, token, c, requestId).thenAccept(a ->
              buy(path, token, requestId, a, msPerRealTry, attempt + 1, t0, attempts, finished)),
              (long) (Long.parseLong(c[1]) * msPerRealTry), TimeUnit.MILLISECONDS));
        }
      }, waitMs, TimeUnit.MILLISECONDS);
    });
  }

  /** Fetches a challenge and solves it at REAL_BITS: {challenge, tries, solution}. */
  static CompletableFuture<String[]> challenge(String saleId, String token) {
    return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(BASE + "/api/sales/" + saleId + "/challenge"))
        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()).thenApplyAsync(r -> {
          String challenge = field(r.body(), "challenge");
          String solution = Challenges.solve(challenge, REAL_BITS);
          return new String[] {challenge, String.valueOf(Long.parseLong(solution) + 1), solution};
        }, SOLVER);
  }

  static CompletableFuture<String> redeem(String saleId, String token, String[] c, String requestId) {
    String body = "{\"challenge\":\"" + c[0] + "\",\"solution\":\"" + c[2] + "\",\"requestId\":\"" + requestId + "\"}";
    return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(BASE + "/api/sales/" + saleId + "/challenge"))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString())
        .thenApply(r -> field(r.body(), "accessToken"));
  }

  /** SHA-256 tries per second on one core, the way {@link Challenges#solve} counts. */
  static double hashesPerSecond() {
    String challenge = "x".repeat(200);
    Challenges.solve(challenge, 16);
    long start = System.nanoTime();
    long tries = 0;
    for (int i = 0; tries < 4_000_000; i++) tries += Long.parseLong(Challenges.solve(challenge + i, 16)) + 1;
    return tries / ((System.nanoTime() - start) / 1e9);
  }

  // ---------------------------------------------------------------- output

  static void table(String title, List<Attempt> off, List<Attempt> on, int slotMs, int slots) {
    System.out.println(title + ": reserves offered → 201 admitted / 429 rate limited / 503 busy");
    System.out.println("| slot | off: offered | off: 201 / 429 / 503 | on: offered | on: 201 / 429 / 503 |");
    System.out.println("|---|---:|---|---:|---|");
    for (int s = 0; s < slots; s++) {
      long from = (long) s * slotMs, to = from + slotMs;
      if (count(off, from, to, 0) + count(on, from, to, 0) == 0 && s > 0) continue;
      System.out.printf("| %.1f–%.1f s | %d | %d / %d / %d | %d | %d / %d / %d |%n", from / 1000.0, to / 1000.0,
          count(off, from, to, 0), count(off, from, to, 201), count(off, from, to, 429), count(off, from, to, 503),
          count(on, from, to, 0), count(on, from, to, 201), count(on, from, to, 429), count(on, from, to, 503));
    }
    System.out.println();
  }

  static long count(List<Attempt> attempts, long from, long to, int status) {
    return attempts.stream().filter(a -> a.sentMs() >= from && a.sentMs() < to && (status == 0 || a.status() == status)).count();
  }

  static void summary(String name, List<Attempt> attempts, int buyers) {
    long created = attempts.stream().filter(a -> a.status() == 201).count();
    long peak = 0;
    for (long from = 0; from < 20_000; from += 100) peak = Math.max(peak, count(attempts, from, from + 100, 0));
    long last = attempts.stream().filter(a -> a.status() == 201).mapToLong(Attempt::sentMs).max().orElse(0);
    long other = attempts.stream().filter(a -> a.status() != 201 && a.status() != 429 && a.status() != 503).count();
    System.out.printf("challenge %-3s: %d of %d buyers reserved in %d requests (other answers %d); peak %d reserves per 100 ms; last 201 sent at %.1f s%n",
        name, created, buyers, attempts.size(), other, peak, last / 1000.0);
  }

  // ---------------------------------------------------------------- server and admin API

  static Process start(Path work) throws Exception {
    return start(work, false);
  }

  /**
   * The server; with {@code withNoop} as the benchmark node (the service as Main starts it, from the
   * test classes) with a bare Pekko HTTP no-op on NOOP_PORT beside it, the same-run reference.
   */
  static Process start(Path work, boolean withNoop) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("java", "-Xms1g", "-Xmx1g",
        "-Dseckill.challenge.per-sale.opening-off=0", "-Dseckill.challenge.per-sale.warmup=0",
        "-Dseckill.challenge.per-sale.room-warmup=0", "-Dseckill.challenge.per-sale.opening-room=0"));
    cmd.addAll(withNoop
        ? List.of("-Dlogback.configurationFile=logback.xml", "-cp", "target/seckill.jar:target/test-classes",
            "seckill.bench.BenchNode", String.valueOf(NOOP_PORT))
        : List.of("-jar", "target/seckill.jar"));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> e = pb.environment();
    e.put("SECKILL_DB_URL", "jdbc:h2:file:" + work.resolve("seckill") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0");
    e.put("SECKILL_HTTP_PORT", String.valueOf(PORT));
    e.put("SECKILL_REMOTE_PORT", "25598");
    e.put("SECKILL_MANAGEMENT_PORT", "18558");
    e.put("SECKILL_DEMO", "off");
    e.put("SECKILL_DEV_MODE", "off");
    e.put("SECKILL_JWT_SECRET", SECRET);
    e.put("SECKILL_ADMIN_TOKEN", ADMIN);
    e.put("SECKILL_SALE_KEY_SECRET", "bench-sale-key-secret-0123456789abcdef");
    e.put("SECKILL_CHALLENGE_SECRET", "bench-challenge-secret-0123456789abcdef0123");
    e.put("SECKILL_WAITING_ROOM_SECRET", "bench-waiting-room-secret-0123456789abcdef0123");
    e.put("SECKILL_CHALLENGE_DIFFICULTY", String.valueOf(REAL_BITS));
    e.put("SECKILL_HTTP_MAX_CONNECTIONS", "8192");
    e.put("SECKILL_RATE_LIMIT", env("SECKILL_RATE_LIMIT", "4000"));
    e.put("SECKILL_RATE_BURST", env("SECKILL_RATE_BURST", "400"));
    e.put("SECKILL_QUEUE_SIZE", env("SECKILL_QUEUE_SIZE", "256"));
    e.put("SECKILL_WAIT_BUDGET", env("SECKILL_WAIT_BUDGET", "100ms"));
    pb.redirectErrorStream(true).redirectOutput(work.resolve("server.log").toFile());
    Process p = pb.start();
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (get("/static/sale.css", null).statusCode() == 200) return p;
      } catch (java.io.IOException notYet) {
        Thread.sleep(250);
      }
    }
    p.destroy();
    throw new IllegalStateException("server did not start, see " + work.resolve("server.log"));
  }

  static void define(String saleId) throws Exception {
    String body = String.format("{\"item\":\"%s\",\"price\":1.00,\"currency\":\"EUR\",\"stock\":1000000,"
        + "\"startsAt\":\"%s\",\"endsAt\":\"%s\",\"perBuyerLimit\":1,\"mode\":\"ON_ORDER\"}",
        saleId, Instant.now().minusSeconds(1), Instant.now().plusSeconds(3600));
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(BASE + "/admin/sales/" + saleId))
        .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new IllegalStateException("define " + saleId + ": " + r.body());
    while (!get("/api/sales/" + saleId + "/status", null).body().contains("\"state\":\"OPEN\"")) Thread.sleep(20);
  }

  static HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(BASE + path)).timeout(Duration.ofSeconds(10));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\":\"?([^,\"}]*)").matcher(json);
    if (!m.find()) throw new IllegalStateException("no " + name + " in " + json);
    return m.group(1);
  }
}

/**
 * The opening second with the waiting room off and on (run with {@code opening-second.sh room}): the
 * same M buyers click at t = 0. Off, they reserve and retry as the page does. On, each joins the
 * line, polls as told ({@code pollAfterSeconds}), and reserves with its admission token once let in
 * (at BENCH_ROOM_PACE per second, at most BENCH_ROOM_ACTIVE active). Prints offered, admitted and
 * answered per second and the p99 of each kind of answer.
 */
class WaitingRoomOpening {

  static void run() throws Exception {
    Path work = Files.createTempDirectory("seckill-opening-room-");
    Process server = OpeningSecond.start(work, true);
    try {
      BuyerTokens tokens = OpeningSecond.minter();
      List<String> off = new ArrayList<>();
      List<String> on = new ArrayList<>();
      List<String> warm = new ArrayList<>();
      for (int i = 0; i < OpeningSecond.BUYERS; i++) {
        off.add(tokens.mint("off" + i, Duration.ofHours(1)));
        on.add(tokens.mint("on" + i, Duration.ofHours(1)));
        warm.add(tokens.mint("warm" + i, Duration.ofHours(1)));
      }
      OpeningSecond.define("warmup");
      OpeningSecond.run("warmup", warm.subList(0, Math.min(500, warm.size())), 0);
      defineRoom("room-warmup");
      queued("room-warmup", warm);
      Thread.sleep(2000);

      // the reference: the same client sends every buyer's request at once to the bare no-op
      noopBurst(warm);
      Thread.sleep(2000);
      List<OpeningSecond.Attempt> noop = noopBurst(off);
      Thread.sleep(2000);

      OpeningSecond.define("opening-off");
      List<OpeningSecond.Attempt> plain = OpeningSecond.run("opening-off", off, 0);
      Thread.sleep(2000);
      defineRoom("opening-room");
      List<OpeningSecond.Attempt> room = queued("opening-room", on);

      System.out.printf("%nopening second: %d buyers click at t = 0, one server (rate limit %s/s, burst %s, queue %s, wait budget %s)%n",
          OpeningSecond.BUYERS, OpeningSecond.env("SECKILL_RATE_LIMIT", "4000"), OpeningSecond.env("SECKILL_RATE_BURST", "400"),
          OpeningSecond.env("SECKILL_QUEUE_SIZE", "256"), OpeningSecond.env("SECKILL_WAIT_BUDGET", "100ms"));
      System.out.printf("waiting room on: admitPerSecond %d, maxActive %d; buyers poll as told and reserve once let in%n%n",
          OpeningSecond.ROOM_PACE, OpeningSecond.ROOM_ACTIVE);
      System.out.println("per second: room off: reserves offered → 201 / 429 / 503; room on: requests offered (joins + polls + reserves) → let in, 201 / 429 / 503");
      System.out.println("| second | off: offered | off: 201 / 429 / 503 | on: offered | on: joins / polls / reserves | on: let in | on: 201 / 429 / 503 |");
      System.out.println("|---|---:|---|---:|---|---:|---|");
      long end = 0;
      for (OpeningSecond.Attempt a : plain) end = Math.max(end, a.sentMs());
      for (OpeningSecond.Attempt a : room) end = Math.max(end, a.sentMs());
      for (long from = 0; from <= end; from += 1000) {
        long to = from + 1000;
        System.out.printf("| %d–%d s | %d | %d / %d / %d | %d | %d / %d / %d | %d | %d / %d / %d |%n", from / 1000, to / 1000,
            count(plain, from, to, null, 0), count(plain, from, to, "reserve", 201), count(plain, from, to, "reserve", 429),
            count(plain, from, to, "reserve", 503), count(room, from, to, null, 0), count(room, from, to, "join", 0),
            count(room, from, to, "poll", 0), count(room, from, to, "reserve", 0), count(room, from, to, "admitted", 0),
            count(room, from, to, "reserve", 201), count(room, from, to, "reserve", 429), count(room, from, to, "reserve", 503));
      }
      System.out.println();
      System.out.println("p99 per answer kind (ms, from send to answer):");
      System.out.println("| answer | room off: n | p99 | room on: n | p99 |");
      System.out.println("|---|---:|---:|---:|---:|");
      for (String kind : List.of("reserve 201", "reserve 410", "reserve 429", "reserve 503", "join 200", "join 503",
          "poll 200")) {
        System.out.printf("| %s | %d | %s | %d | %s |%n", kind, answers(plain, kind).length, p99(answers(plain, kind)),
            answers(room, kind).length, p99(answers(room, kind)));
      }
      System.out.printf("reference: %d POSTs at t = 0 to a bare Pekko HTTP no-op in the same process, same client: p99 %s ms%n",
          answers(noop, "noop 200").length, p99(answers(noop, "noop 200")));
      summary("off", plain);
      summary("on", room);
      System.out.println("server log: " + work.resolve("server.log"));
    } finally {
      server.destroy();
      server.waitFor();
      OpeningSecond.TIMER.shutdownNow();
      OpeningSecond.SOLVER.shutdownNow();
    }
  }

  static void defineRoom(String saleId) throws Exception {
    String body = String.format("{\"item\":\"%s\",\"price\":1.00,\"currency\":\"EUR\",\"stock\":1000000,"
        + "\"startsAt\":\"%s\",\"endsAt\":\"%s\",\"perBuyerLimit\":1,\"mode\":\"ON_ORDER\","
        + "\"waitingRoom\":{\"admitPerSecond\":%d,\"maxActive\":%d,\"admissionTtlSeconds\":120}}",
        saleId, Instant.now().minusSeconds(1), Instant.now().plusSeconds(3600), OpeningSecond.ROOM_PACE,
        OpeningSecond.ROOM_ACTIVE);
    HttpResponse<String> r = OpeningSecond.HTTP.send(HttpRequest.newBuilder(URI.create(OpeningSecond.BASE + "/admin/sales/" + saleId))
        .header("Authorization", "Bearer " + OpeningSecond.ADMIN).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new IllegalStateException("define " + saleId + ": " + r.body());
    while (!OpeningSecond.get("/api/sales/" + saleId + "/status", null).body().contains("\"state\":\"OPEN\"")) Thread.sleep(20);
  }

  /** One request per buyer at t = 0 to the bare no-op (its token in the header, as a join carries it). */
  static List<OpeningSecond.Attempt> noopBurst(List<String> buyers) throws Exception {
    ConcurrentLinkedQueue<OpeningSecond.Attempt> attempts = new ConcurrentLinkedQueue<>();
    long t0 = System.nanoTime();
    List<CompletableFuture<?>> done = new ArrayList<>();
    for (String token : buyers) {
      long sent = since(t0);
      done.add(OpeningSecond.HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + OpeningSecond.NOOP_PORT + "/"))
          .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + token)
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString())
          .whenComplete((r, failure) -> attempts.add(
              new OpeningSecond.Attempt(sent, failure != null ? 599 : r.statusCode(), "noop", since(t0) - sent))));
    }
    CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).exceptionally(e -> null).get(60, TimeUnit.SECONDS);
    return new ArrayList<>(attempts);
  }

  /** Every buyer joins at t = 0, polls as told and reserves once let in; returns every request with its answer. */
  static List<OpeningSecond.Attempt> queued(String saleId, List<String> buyers) throws Exception {
    String path = OpeningSecond.field(OpeningSecond.get("/api/sales/" + saleId + "/status", null).body(), "reservePath");
    ConcurrentLinkedQueue<OpeningSecond.Attempt> attempts = new ConcurrentLinkedQueue<>();
    long t0 = System.nanoTime();
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (int i = 0; i < buyers.size(); i++) {
      CompletableFuture<Void> finished = new CompletableFuture<>();
      done.add(finished);
      join(saleId, path, buyers.get(i), "req-" + i, 1, t0, attempts, finished);
    }
    CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(600, TimeUnit.SECONDS);
    return new ArrayList<>(attempts);
  }

  static long since(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  static void join(String saleId, String path, String token, String requestId, int attempt, long t0,
      ConcurrentLinkedQueue<OpeningSecond.Attempt> attempts, CompletableFuture<Void> finished) {
    long sent = since(t0);
    OpeningSecond.HTTP.sendAsync(HttpRequest.newBuilder(URI.create(OpeningSecond.BASE + "/api/sales/" + saleId + "/queue"))
        .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).whenComplete((r, failure) -> {
          int status = failure != null ? 599 : r.statusCode();
          attempts.add(new OpeningSecond.Attempt(sent, status, "join", since(t0) - sent));
          if (status == 200) {
            answered(saleId, path, token, requestId, OpeningSecond.field(r.body(), "ticket"), r.body(), t0, attempts, finished);
          } else if ((status == 503 || status == 599) && attempt < 20) {
            later(() -> join(saleId, path, token, requestId, attempt + 1, t0, attempts, finished), retryAfter(r));
          } else {
            finished.complete(null);
          }
        });
  }

  static void answered(String saleId, String path, String token, String requestId, String ticket, String body, long t0,
      ConcurrentLinkedQueue<OpeningSecond.Attempt> attempts, CompletableFuture<Void> finished) {
    String state = OpeningSecond.field(body, "state");
    if (state.equals("ADMITTED")) {
      attempts.add(new OpeningSecond.Attempt(since(t0), 0, "admitted", 0));
      reserve(path, token, requestId, OpeningSecond.field(body, "admissionToken"), 1, t0, attempts, finished);
    } else if (state.equals("WAITING")) {
      long after = Long.parseLong(OpeningSecond.field(body, "pollAfterSeconds")) * 1000;
      later(() -> poll(saleId, path, token, requestId, ticket, t0, attempts, finished), after);
    } else {
      finished.complete(null);
    }
  }

  static void poll(String saleId, String path, String token, String requestId, String ticket, long t0,
      ConcurrentLinkedQueue<OpeningSecond.Attempt> attempts, CompletableFuture<Void> finished) {
    long sent = since(t0);
    OpeningSecond.HTTP.sendAsync(HttpRequest.newBuilder(URI.create(OpeningSecond.BASE + "/api/sales/" + saleId + "/queue"))
        .timeout(Duration.ofSeconds(20)).header("X-Queue-Ticket", ticket).build(), HttpResponse.BodyHandlers.ofString())
        .whenComplete((r, failure) -> {
          int status = failure != null ? 599 : r.statusCode();
          attempts.add(new OpeningSecond.Attempt(sent, status, "poll", since(t0) - sent));
          if (status == 200) answered(saleId, path, token, requestId, ticket, r.body(), t0, attempts, finished);
          else later(() -> poll(saleId, path, token, requestId, ticket, t0, attempts, finished), 2000);
        });
  }

  static void reserve(String path, String token, String requestId, String admission, int attempt, long t0,
      ConcurrentLinkedQueue<OpeningSecond.Attempt> attempts, CompletableFuture<Void> finished) {
    long sent = since(t0);
    OpeningSecond.HTTP.sendAsync(HttpRequest.newBuilder(URI.create(OpeningSecond.BASE + path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .header("X-Admission-Token", admission)
        .POST(HttpRequest.BodyPublishers.ofString("{\"requestId\":\"" + requestId + "\",\"quantity\":1}")).build(),
        HttpResponse.BodyHandlers.ofString()).whenComplete((r, failure) -> {
          int status = failure != null ? 599 : r.statusCode();
          attempts.add(new OpeningSecond.Attempt(sent, status, "reserve", since(t0) - sent));
          // a busy answer leaves the admission usable: the page tries again as told
          if ((status == 429 || status == 503) && attempt < OpeningSecond.TRIES) {
            later(() -> reserve(path, token, requestId, admission, attempt + 1, t0, attempts, finished), retryAfter(r));
          } else {
            finished.complete(null);
          }
        });
  }

  static long retryAfter(HttpResponse<String> r) {
    String seconds = r == null ? "1" : r.headers().firstValue("Retry-After").orElse("1");
    return Long.parseLong(seconds) * 1000 + ThreadLocalRandom.current().nextLong(500);
  }

  static void later(Runnable task, long ms) {
    OpeningSecond.TIMER.schedule(task, ms, TimeUnit.MILLISECONDS);
  }

  static long count(List<OpeningSecond.Attempt> attempts, long from, long to, String kind, int status) {
    return attempts.stream().filter(a -> a.sentMs() >= from && a.sentMs() < to && (kind == null
        ? !a.kind().equals("admitted") : a.kind().equals(kind)) && (status == 0 || a.status() == status)).count();
  }

  static long[] answers(List<OpeningSecond.Attempt> attempts, String kindAndStatus) {
    String[] k = kindAndStatus.split(" ");
    return attempts.stream().filter(a -> a.kind().equals(k[0]) && a.status() == Integer.parseInt(k[1]))
        .mapToLong(OpeningSecond.Attempt::tookMs).sorted().toArray();
  }

  static String p99(long[] sorted) {
    return sorted.length == 0 ? "–" : String.valueOf(sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)]);
  }

  static void summary(String name, List<OpeningSecond.Attempt> attempts) {
    long created = attempts.stream().filter(a -> a.kind().equals("reserve") && a.status() == 201).count();
    long requests = attempts.stream().filter(a -> !a.kind().equals("admitted")).count();
    long last = attempts.stream().filter(a -> a.kind().equals("reserve") && a.status() == 201)
        .mapToLong(a -> a.sentMs() + a.tookMs()).max().orElse(0);
    long refusedForGood = attempts.stream().filter(a -> a.kind().equals("reserve") && a.status() != 201
        && a.status() != 429 && a.status() != 503).count();
    System.out.printf("room %-3s: %d of %d buyers reserved, in %d requests; last 201 at %.1f s; other final answers %d%n",
        name, created, OpeningSecond.BUYERS, requests, last / 1000.0, refusedForGood);
  }
}
