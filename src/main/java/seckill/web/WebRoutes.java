package seckill.web;

import java.io.IOException;
import java.io.InputStream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import seckill.http.ETags;
import seckill.switches.SwitchDirectives;

/**
 * The static layer: the sale page and the operators' dashboard with their scripts and styles, and
 * the OpenAPI document, read once at start and served as the same bytes to everyone (public cache,
 * ETag, no cookies), so a CDN or the browser can answer them.
 */
public final class WebRoutes extends AllDirectives {

  /**
   * The dashboard loads nothing but its own script and style, runs no inline code and is never
   * framed: a page another site frames or injects into cannot act with the operator's token.
   */
  private static final HttpHeader ADMIN_POLICY =
      RawHeader.create("Content-Security-Policy",
          "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");

  /** One pre-rendered file. */
  private record Asset(HttpEntity.Strict entity, EntityTag etag) {}

  private final Asset page;
  private final Asset script;
  private final Asset style;
  private final Asset openApi;
  private final Asset adminPage;
  private final Asset adminScript;
  private final Asset adminStyle;
  private final long maxAge;
  private final String demoSale;
  private final SwitchDirectives brakes;

  public WebRoutes(ActorSystem<?> system) {
    this.brakes = new SwitchDirectives(system);
    var config = system.settings().config();
    this.maxAge = config.getDuration("seckill.http.static-max-age").toSeconds();
    this.demoSale = config.getBoolean("seckill.demo.enabled") ? config.getString("seckill.demo.sale-id") : null;
    this.page = load("web/sale.html", ContentTypes.TEXT_HTML_UTF8);
    this.script = load("web/sale.js", ContentTypes.create(MediaTypes.APPLICATION_JAVASCRIPT, HttpCharsets.UTF_8));
    this.style = load("web/sale.css", ContentTypes.create(MediaTypes.TEXT_CSS, HttpCharsets.UTF_8));
    this.openApi = load("web/openapi.json", ContentTypes.APPLICATION_JSON);
    this.adminPage = load("web/admin.html", ContentTypes.TEXT_HTML_UTF8);
    this.adminScript = load("web/admin.js", ContentTypes.create(MediaTypes.APPLICATION_JAVASCRIPT, HttpCharsets.UTF_8));
    this.adminStyle = load("web/admin.css", ContentTypes.create(MediaTypes.TEXT_CSS, HttpCharsets.UTF_8));
  }

  public static Route init(ActorSystem<?> system) {
    return new WebRoutes(system).routes();
  }

  public Route routes() {
    return concat(
        pathSingleSlash(() -> get(() -> demoSale == null ? reject() : redirect(
            Uri.create("/sales/" + demoSale), StatusCodes.TEMPORARY_REDIRECT))),
        path(PathMatchers.segment("sales").slash(PathMatchers.segment()), id -> get(() -> serve(page))),
        path(PathMatchers.segment("static").slash("sale.js"), () -> get(() -> serve(script))),
        path(PathMatchers.segment("static").slash("sale.css"), () -> get(() -> serve(style))),
        // the API's contract (OpenAPI 3.1), for integrators' tools; not behind the sale-page switch
        path(PathMatchers.segment("api").slash("openapi.json"), () -> get(() -> cached(openApi))),
        // the operators' dashboard: a static page holding no secret (it asks for the admin token and
        // keeps it in the tab's session storage); the admin API behind it checks the token
        pathPrefix("admin", () -> pathEndOrSingleSlash(() -> get(() -> respondWithHeader(ADMIN_POLICY, () -> cached(adminPage))))),
        path(PathMatchers.segment("static").slash("admin.js"), () -> get(() -> cached(adminScript))),
        path(PathMatchers.segment("static").slash("admin.css"), () -> get(() -> cached(adminStyle))));
  }

  /** The operator may turn the page off ("sale-page") to keep a node's bandwidth for the API. */
  private Route serve(Asset asset) {
    return brakes.feature("sale-page", () -> cached(asset));
  }

  private Route cached(Asset asset) {
    return respondWithHeader(CacheControl.create(CacheDirectives.PUBLIC, CacheDirectives.MAX_AGE(maxAge)),
        () -> conditional(asset.etag(), () -> complete(
            HttpResponse.create().withEntity(asset.entity()))));
  }

  private static Asset load(String resource, ContentType type) {
    try (InputStream in = WebRoutes.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException("missing resource " + resource);
      byte[] bytes = in.readAllBytes();
      return new Asset(HttpEntities.create(type, bytes), ETags.of(bytes));
    } catch (IOException e) {
      throw new IllegalStateException("cannot load " + resource, e);
    }
  }
}
