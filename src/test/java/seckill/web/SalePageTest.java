package seckill.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import seckill.Api;
import seckill.Api.Response;
import seckill.OneNode;
import seckill.TestNode;

/** The static layer: the same cacheable bytes for everyone, no cookies, 304 on a matching ETag. */
@ExtendWith({LogCapturingExtension.class, OneNode.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SalePageTest {

  private TestNode node;
  private Api api;

  private void assertStatic(String path, String contentType, String mustContain) {
    Response r = api.get(path, null);
    assertEquals(200, r.status(), path);
    assertTrue(r.header("Content-Type").startsWith(contentType), r.header("Content-Type"));
    assertEquals("public, max-age=300", r.header("Cache-Control"));
    assertNull(r.header("Set-Cookie"));
    assertTrue(r.text().contains(mustContain), path + " holds " + mustContain);
    String etag = r.header("ETag");
    assertNotNull(etag);
    Response again = api.send("GET", path, null, null, Map.of("If-None-Match", etag));
    assertEquals(304, again.status());
    assertEquals("", again.text());
  }

  @Test
  void salePageScriptAndStyleAreStaticAndCacheable() {
    assertStatic("/sales/anything", "text/html", "/static/sale.js");
    assertStatic("/static/sale.js", "application/javascript", "reservePath");
    assertStatic("/static/sale.css", "text/css", "#buy");
  }

  @Test
  void everySaleGetsTheSameBytesWithNothingBuyerSpecific() {
    Response a = api.get("/sales/one", null);
    Response b = api.send("GET", "/sales/two", "some-token", null, Map.of("Cookie", "session=abc"));
    assertEquals(a.text(), b.text());
    assertEquals(a.header("ETag"), b.header("ETag"));
  }

  @Test
  void headIsAnsweredLikeGet() {
    Response head = api.send("HEAD", "/static/sale.css", null, null, Map.of());
    assertEquals(200, head.status());
    assertNotNull(head.header("ETag"));
  }

  @Test
  void otherMethodsAndPathsAreJsonErrors() {
    Response post = api.post("/sales/x", null, "{}");
    assertEquals(405, post.status());
    assertEquals("method_not_allowed", post.error());
    assertEquals("not_found", api.get("/static/missing.js", null).error());
  }
}
