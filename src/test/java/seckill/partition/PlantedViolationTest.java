package seckill.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import seckill.Api;
import seckill.Await;
import seckill.TestDatabases;
import seckill.TestNode;
import seckill.partition.History.Exchange;
import seckill.partition.HistoryChecker.FinalState;

/**
 * The checker on a real node's history and journal, with a broken promise planted in front of it: a
 * proxy that answers some reserves 201 before any write (it never passes them on) and passes the rest
 * to the node. The checker must report exactly the planted 201s, and nothing of the honest ones.
 */
class PlantedViolationTest {

  /** Every {@code LIE_EVERY}th reserve is answered 201 by the proxy alone. */
  private static final int LIE_EVERY = 7;

  @Test
  void a201AnsweredBeforeAnyWriteIsReportedAndNothingElseInARealRun(@TempDir Path dir) throws Exception {
    Set<String> planted = ConcurrentHashMap.newKeySet(); // the reservation ids the proxy made up
    try (TestNode node = TestNode.start(TestDatabases.h2());
        LyingProxy proxy = new LyingProxy(node.baseUrl, planted);
        History history = new History(dir.resolve("planted.tsv"))) {
      Api api = node.api();
      int stock = 1_000_000;
      api.defineSale(PartitionRun.SALE, Api.sale(stock, 1, "HOLD", 3600L));
      api.awaitState(PartitionRun.SALE, "OPEN");
      SteadyBuyers buyers = new SteadyBuyers(List.of(proxy.url()), api.reservePath(PartitionRun.SALE), 40, history);
      try {
        Await.until(Duration.ofSeconds(30), "too few answers",
            () -> history.exchanges().stream().filter(e -> e.status() == 201).count() >= 50);
        buyers.close();
      } finally {
        buyers.halt();
      }
      List<Exchange> recorded = history.exchanges();
      FinalState end = PartitionRun.finalState(api, stock,
          PartitionRun.placements(node.system, Map.of(), Map.of()));

      Set<String> expected = new TreeSet<>();
      for (Exchange e : recorded) {
        if (planted.contains(e.reservationId())) {
          expected.add("201 " + e.reservationId() + " to " + e.buyer() + " is not in the journal");
        }
      }
      assertTrue(expected.size() >= 5, "the proxy planted a few 201s: " + expected);
      assertTrue(end.journal().size() >= 40, "the node placed the honest ones: " + end.journal().size());
      assertEquals(expected, new TreeSet<>(HistoryChecker.violations(recorded, end)));
    }
  }

  /** A reverse proxy on 127.0.0.1 that lies about every {@link #LIE_EVERY}th reserve. */
  private static final class LyingProxy implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService threads = Executors.newFixedThreadPool(8);
    private final HttpClient client = HttpClient.newHttpClient();
    private final AtomicInteger reserves = new AtomicInteger();
    private final String target;
    private final Set<String> planted;

    LyingProxy(String target, Set<String> planted) throws IOException {
      this.target = target;
      this.planted = planted;
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/", this::handle);
      server.setExecutor(threads);
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange in) throws IOException {
      byte[] body = in.getRequestBody().readAllBytes();
      int n = reserves.incrementAndGet();
      if (n % LIE_EVERY == 0) {
        String id = "planted-" + n;
        planted.add(id);
        send(in, 201, "{\"reservationId\":\"" + id + "\"}", Map.of());
        return;
      }
      HttpRequest.Builder out = HttpRequest.newBuilder(URI.create(target + in.getRequestURI()))
          .method(in.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
      for (String h : List.of("Content-Type", "Authorization")) {
        String v = in.getRequestHeaders().getFirst(h);
        if (v != null) out.header(h, v);
      }
      try {
        HttpResponse<String> r = client.send(out.build(), HttpResponse.BodyHandlers.ofString());
        send(in, r.statusCode(), r.body(), r.headers().firstValue("Retry-After").map(v -> Map.of("Retry-After", v))
            .orElse(Map.of()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        in.close();
      }
    }

    private static void send(HttpExchange in, int status, String body, Map<String, String> headers) throws IOException {
      byte[] bytes = body.getBytes();
      in.getResponseHeaders().set("Content-Type", "application/json");
      headers.forEach((k, v) -> in.getResponseHeaders().set(k, v));
      in.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      try (OutputStream o = in.getResponseBody()) {
        o.write(bytes);
      }
    }

    @Override
    public void close() {
      server.stop(0);
      threads.shutdownNow();
    }
  }
}
