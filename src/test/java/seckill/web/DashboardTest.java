package seckill.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.OneNode;

/**
 * The operators' dashboard at /admin/: a static page that holds no secret, while everything it
 * shows comes from the admin API, which still asks for the token. (Its behaviour in a real
 * browser is not tested yet.)
 */
@ExtendWith({LogCapturingExtension.class, OneNode.class})
class DashboardTest {

  private Api api;

  @Test
  void thePageIsStaticAndItsDataNeedsTheAdminToken() {
    for (String path : new String[] {"/admin/", "/admin"}) {
      Response page = api.get(path, null);
      assertEquals(200, page.status(), path);
      assertTrue(page.header("Content-Type").startsWith("text/html"), page.header("Content-Type"));
      assertTrue(page.text().contains("/static/admin.js") && page.text().contains("Admin token"), page.text());
      assertNull(page.header("Set-Cookie"));
      assertTrue(page.header("Content-Security-Policy").contains("frame-ancestors 'none'"), "never framed");
      assertTrue(!page.text().contains("style=\"") && !page.text().contains("<script>"), "nothing inline the policy would block");
    }
    Response script = api.get("/static/admin.js", null);
    assertEquals(200, script.status());
    assertTrue(script.text().contains("sessionStorage") && !script.text().contains("localStorage")
        && !script.text().contains("document.cookie"), "the token stays in the tab's session storage");
    assertFalse(script.text().contains(Api.ADMIN_TOKEN), "no token in the page's script");
    assertEquals(200, api.get("/static/admin.css", null).status());
    for (String data : new String[] {"/admin/sales", "/admin/outcomes", "/admin/cluster", "/admin/admission", "/admin/switches",
        "/admin/queues"}) {
      assertEquals(401, api.get(data, null).status(), data);
    }
  }

  @Test
  void theListAndTheOutcomesFollowTheSales() {
    api.defineSale("dash", Api.sale(3, 1, "ON_ORDER", null));
    long before = api.admin("GET", "/admin/outcomes", null).json().path("counts").path("reserved").asLong();
    assertEquals(201, api.reserve("dash", api.token("ann"), "r1", 1).status());
    assertEquals(201, api.reserve("dash", api.token("ben"), "r1", 1).status());

    JsonNode outcomes = api.admin("GET", "/admin/outcomes", null).json();
    assertEquals(before + 2, outcomes.path("counts").path("reserved").asLong(), outcomes.toString());
    api.awaitState("dash", "OPEN");
    JsonNode dash = null;
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (dash == null || dash.path("sold").asInt() != 2) {
      assertTrue(System.nanoTime() < deadline, "the list never showed 2 sold: " + dash);
      for (JsonNode s : api.admin("GET", "/admin/sales", null).json().path("sales")) {
        if (s.path("saleId").asText().equals("dash")) dash = s;
      }
    }
    assertEquals("OPEN", dash.path("phase").asText());
    assertEquals(3, dash.path("stock").asInt());
    assertEquals(1, dash.path("available").asInt());
    JsonNode cluster = api.admin("GET", "/admin/cluster", null).json();
    assertEquals(1, cluster.path("members").size());
    assertEquals("Up", cluster.path("members").path(0).path("status").asText());
  }
}
