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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The failover settings under load: does a healthy node get marked unreachable or downed when the
 * machine is saturated for minutes? Drives the 3-node cluster of cluster-config/cluster.sh (already
 * started by soak.sh, its JVMs logging GC) with wrk, a sale per node, every request a durable
 * reserve, then reads the nodes' logs and GC logs: the longest GC pause, the longest delay of a
 * heartbeat, every node marked unreachable, every resolver decision. JDK only:
 * java load-tests/Soak.java [seconds] [connections per node]. Exits 1 if a node was downed.
 */
public class Soak {
  static final Path RUN = Path.of("cluster-config/run");
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static final int BUYERS = 30_000;

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 600;
    int connections = args.length > 1 ? Integer.parseInt(args[1]) : 16;
    Map<String, String> env = clusterEnv();
    Path tokens = Files.createTempFile("soak-tokens-", ".txt");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < BUYERS; i++) lines.add(token(env.get("SECKILL_JWT_SECRET"), "soak-buyer-" + i));
    Files.write(tokens, lines);

    Map<Integer, Long> logStart = new HashMap<>();
    for (int n = 1; n <= 3; n++) logStart.put(n, (long) Files.readAllLines(RUN.resolve("node" + n + ".log")).size());
    List<Process> wrks = new ArrayList<>();
    long run = Instant.now().getEpochSecond(); // new sales each run: the cluster's journal outlives it
    for (int n = 1; n <= 3; n++) {
      String sale = "soak-" + run + "-" + n;
      define(n, sale, env.get("SECKILL_ADMIN_TOKEN"));
      String path = reservePath(n, sale);
      ProcessBuilder pb = new ProcessBuilder("wrk", "-t1", "-c" + connections, "-d" + seconds + "s",
          "-s", "load-tests/reserve.lua", "http://127.0.0.1:808" + n + "/")
          .redirectErrorStream(true).redirectOutput(RUN.resolve("soak-wrk-" + n + ".txt").toFile());
      pb.environment().putAll(Map.of("TOKENS", tokens.toString(), "RESERVE_PATH", path, "WRK_THREADS", "1"));
      wrks.add(pb.start());
    }
    System.out.printf("soak: %d s, %d connections per node, every request a reserve (3 sales, one per node)%n",
        seconds, connections);
    for (Process p : wrks) p.waitFor();

    System.out.println();
    System.out.println("| node | requests/s | 201 | 503 | p99 ms | longest GC pause ms | GC pauses > 100 ms"
        + " | longest heartbeat delay ms | marked unreachable | resolver decisions | still up |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    boolean downed = false;
    for (int n = 1; n <= 3; n++) {
      String wrkResult = Files.readString(RUN.resolve("soak-wrk-" + n + ".txt"));
      Map<String, Double> result = resultOf(wrkResult);
      List<String> log = Files.readAllLines(RUN.resolve("node" + n + ".log")).stream().skip(logStart.get(n)).toList();
      long unreachable = log.stream().filter(l -> l.contains("Marking node as UNREACHABLE")).count();
      long decisions = log.stream().filter(l -> l.contains("SBR took decision")).count();
      double heartbeatDelay = log.stream().map(l -> match(HEARTBEAT_DELAY, l)).filter(d -> d >= 0)
          .max(Double::compare).orElse(0.0);
      double[] gc = gcPauses(n);
      boolean up = alive(n);
      downed |= decisions > 0 || !up;
      System.out.printf("| %d | %,.0f | %,.0f | %,.0f | %.0f | %.0f | %.0f | %.0f | %d | %d | %s |%n", n,
          result.getOrDefault("requests", 0.0) / seconds, result.getOrDefault("s201", 0.0),
          result.getOrDefault("s503", 0.0), result.getOrDefault("p99_us", 0.0) / 1000,
          gc[0], gc[1], heartbeatDelay, unreachable, decisions, up ? "yes" : "NO");
    }
    System.out.println();
    System.out.println(downed ? "soak: a node was downed or exited" : "soak: no node marked down, every node still up");
    System.exit(downed ? 1 : 0);
  }

  // Pekko's warning when its heartbeat timer fired late: "... Previous heartbeat was sent [N] ms ago ..."
  static final Pattern HEARTBEAT_DELAY = Pattern.compile("heartbeat was sent \\[(\\d+)\\] ms ago");
  // -Xlog:gc: "... Pause Young (Normal) (G1 Evacuation Pause) 300M->120M(1024M) 12.345ms"
  static final Pattern GC_PAUSE = Pattern.compile("Pause .* (\\d+(?:\\.\\d+)?)ms$");

  static double match(Pattern p, String line) {
    Matcher m = p.matcher(line);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  /** The node's longest GC pause and its count of pauses over 100 ms, from its -Xlog:gc file. */
  static double[] gcPauses(int n) throws IOException {
    Path pidFile = RUN.resolve("node" + n + ".pid");
    if (!Files.exists(pidFile)) return new double[] {-1, -1};
    Path gcLog = RUN.resolve("gc-" + Files.readString(pidFile).trim() + ".log");
    if (!Files.exists(gcLog)) return new double[] {-1, -1};
    double longest = 0;
    int over100 = 0;
    for (String line : Files.readAllLines(gcLog)) {
      double ms = match(GC_PAUSE, line);
      if (ms < 0) continue;
      longest = Math.max(longest, ms);
      if (ms > 100) over100++;
    }
    return new double[] {longest, over100};
  }

  static boolean alive(int n) throws IOException {
    Path pidFile = RUN.resolve("node" + n + ".pid");
    return Files.exists(pidFile)
        && ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).map(ProcessHandle::isAlive).orElse(false);
  }

  static Map<String, Double> resultOf(String wrkOutput) {
    Map<String, Double> out = new HashMap<>();
    Matcher line = Pattern.compile("RESULT \\{(.*)\\}").matcher(wrkOutput);
    if (!line.find()) return out;
    Matcher kv = Pattern.compile("\"?(\\w+)\"?\\s*[:=]\\s*(-?\\d+(?:\\.\\d+)?)").matcher(line.group(1));
    while (kv.find()) out.put(kv.group(1), Double.parseDouble(kv.group(2)));
    return out;
  }

  static Map<String, String> clusterEnv() throws IOException {
    Map<String, String> env = new HashMap<>();
    Matcher m = Pattern.compile("(?m)^export (\\w+)=(\\S*)$").matcher(Files.readString(RUN.resolve("cluster.env")));
    while (m.find()) env.put(m.group(1), m.group(2));
    return env;
  }

  /** A sale that outlasts the run: 10M units (the most a sale may have), a buyer up to 1,000, held for an hour. */
  static void define(int node, String sale, String adminToken) throws Exception {
    String body = "{\"item\":\"Soak\",\"description\":\"failover settings under load\",\"price\":1,"
        + "\"currency\":\"EUR\",\"stock\":10000000,\"startsAt\":\"" + Instant.now().minusSeconds(1)
        + "\",\"endsAt\":\"" + Instant.now().plusSeconds(7200) + "\",\"perBuyerLimit\":1000,\"mode\":\"HOLD\","
        + "\"holdSeconds\":3600}";
    for (int attempt = 0; ; attempt++) {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:808" + node + "/admin/sales/" + sale))
          .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
          .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) return;
      if (r.statusCode() != 503 || attempt > 60) throw new IllegalStateException("define " + sale + ": " + r.statusCode() + " " + r.body());
      Thread.sleep(1000);
    }
  }

  static String reservePath(int node, String sale) throws Exception {
    for (int attempt = 0; attempt < 60; attempt++) {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:808" + node + "/api/sales/" + sale + "/status"))
          .GET().build(), HttpResponse.BodyHandlers.ofString());
      Matcher m = Pattern.compile("\"reservePath\"\\s*:\\s*\"([^\"]+)\"").matcher(r.body());
      if (r.statusCode() == 200 && m.find()) return m.group(1);
      Thread.sleep(1000);
    }
    throw new IllegalStateException("sale " + sale + " never published its reserve path");
  }

  static String token(String secret, String buyer) throws Exception {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    long exp = Instant.now().plusSeconds(24 * 3600).getEpochSecond();
    String payload = b64.encodeToString(("{\"sub\":\"" + buyer + "\",\"exp\":" + exp + "}").getBytes(StandardCharsets.UTF_8));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return header + "." + payload + "."
        + b64.encodeToString(mac.doFinal((header + "." + payload).getBytes(StandardCharsets.UTF_8)));
  }
}
