package seckill.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import seckill.Api;
import seckill.Await;
import seckill.NodeProcess;
import seckill.TestDatabases;
import seckill.TestPorts;

/**
 * A static three-node cluster configured the way docs/configuration.md tells an operator to: by
 * environment variables alone, the seed nodes as one comma-separated SECKILL_SEED_NODES. The nodes
 * form one cluster on one PostgreSQL journal and a sale defined on one is sold on the others.
 */
class EnvironmentClusterIT {

  @Test
  void threeNodesFormAClusterFromEnvironmentVariablesAlone() throws Exception {
    Config db = TestDatabases.postgres();
    int[] remote = {TestPorts.reserve(), TestPorts.reserve(), TestPorts.reserve()};
    // spaces after the commas, as people write lists
    String seeds = "pekko://seckill@127.0.0.1:" + remote[0] + ", pekko://seckill@127.0.0.1:" + remote[1];
    List<NodeProcess> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        nodes.add(NodeProcess.fromEnvironment("env-cluster-" + (i + 1), Map.of(
            "SECKILL_HTTP_PORT", String.valueOf(TestPorts.reserve()),
            "SECKILL_MANAGEMENT_PORT", String.valueOf(TestPorts.reserve()),
            "SECKILL_REMOTE_PORT", String.valueOf(remote[i]),
            "SECKILL_SEED_NODES", seeds,
            "SECKILL_JOIN_SELF", "off",
            "SECKILL_DEMO", "off",
            "SECKILL_DB_URL", db.getString("seckill.db.url"),
            "SECKILL_DB_USER", db.getString("seckill.db.user"),
            "SECKILL_DB_PASSWORD", db.getString("seckill.db.password"))));
      }
      for (NodeProcess n : nodes) n.launch();
      for (NodeProcess n : nodes) n.awaitReady();
      for (NodeProcess n : nodes) assertEquals(List.of(), n.errorsSinceStart(), n.name + ": a clean start logs no ERROR");
      for (NodeProcess n : nodes) {
        Api api = n.api();
        Await.until(Duration.ofSeconds(30), n.name + " never saw three members Up", () -> {
          Api.Response cluster = api.admin("GET", "/admin/cluster", null);
          if (cluster.status() != 200) return false;
          int up = 0;
          for (var m : cluster.json().get("members")) if (m.get("status").asText().equals("Up")) up++;
          return up == 3;
        });
      }
      nodes.get(0).api().defineSale("env-sale", Api.sale(10, 1, "ON_ORDER", null));
      for (int i = 0; i < 3; i++) {
        Api api = nodes.get(i).api();
        api.awaitState("env-sale", "OPEN");
        assertEquals(201, api.reserve("env-sale", api.token("buyer-" + i), "r1", 1).status(), nodes.get(i).name + " sells");
      }
      assertEquals(7, nodes.get(2).api().admin("GET", "/admin/sales/env-sale", null).json().get("available").asInt());
    } finally {
      for (NodeProcess n : nodes) n.close();
    }
  }
}
