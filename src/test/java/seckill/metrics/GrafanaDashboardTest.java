package seckill.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Await;
import seckill.OneNode;
import seckill.TestNode;

/**
 * The Grafana dashboard in ops/grafana imports (valid JSON with panels and a Prometheus input) and
 * every metric it queries is one a real node exports, after a little of every kind of traffic (a
 * waiting room's line included).
 */
@ExtendWith({LogCapturingExtension.class, OneNode.class})
class GrafanaDashboardTest {

  private static final Pattern METRIC = Pattern.compile("\\b((?:seckill|jvm|process)_[a-z0-9_]+)");
  private static final Pattern SAMPLE = Pattern.compile("(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]");

  private TestNode node;
  private Api api;

  @Test
  void everyMetricTheDashboardQueriesIsExported() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(Path.of("ops/grafana/seckill.json").toFile());
    assertEquals("prometheus", dashboard.at("/__inputs/0/pluginId").asText(), "imports with a Prometheus data source");
    assertTrue(dashboard.get("panels").size() >= 10, "panels: " + dashboard.get("panels").size());

    Set<String> queried = new TreeSet<>();
    for (JsonNode expr : dashboard.findValues("expr")) collect(expr.asText(), queried);
    for (JsonNode query : dashboard.findValues("definition")) collect(query.asText(), queried);
    assertTrue(queried.contains("seckill_reserve_requests_total") && queried.contains("seckill_sale_units"), queried.toString());

    // every kind of series gets a sample: a sale, a 201, a refusal, a batch
    api.defineSale("grafana", Api.sale(1, 1, "ON_ORDER", null));
    assertEquals(201, api.reserve("grafana", api.token("first"), "r1", 1).status());
    assertEquals(410, api.reserve("grafana", api.token("second"), "r1", 1).status());
    // and a waiting room that let a buyer in, so its line has waits and an ETA
    ObjectNode roomSale = Api.sale(5, 1, "ON_ORDER", null);
    roomSale.putObject("waitingRoom").put("admitPerSecond", 100).put("maxActive", 100);
    api.defineSale("grafana-room", roomSale);
    assertEquals(200, api.post("/api/sales/grafana-room/queue", api.token("waiter"), null).status());
    Await.until(Duration.ofSeconds(15), "the room's line let the buyer in", () -> api.admin("GET",
        "/admin/sales/grafana-room/queue", null).json().at("/line/lastAdmittedWaitSeconds").isNumber());

    String metrics = new Api(node.managementUrl()).get("/metrics", null).text();
    Set<String> exported = new TreeSet<>();
    Matcher m = SAMPLE.matcher(metrics);
    while (m.find()) exported.add(m.group(1));
    Set<String> missing = new TreeSet<>(queried);
    missing.removeAll(exported);
    assertTrue(missing.isEmpty(), "queried by the dashboard but not exported: " + missing);
    assertFalse(queried.isEmpty());
  }

  private static void collect(String query, Set<String> into) {
    Matcher m = METRIC.matcher(query);
    while (m.find()) into.add(m.group(1));
  }
}
