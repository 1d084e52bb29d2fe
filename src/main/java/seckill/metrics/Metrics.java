package seckill.metrics;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * This node's Prometheus metrics, scraped at {@code GET /metrics} on the management port. One per
 * actor system (a Pekko extension), so several nodes in one JVM keep separate registries. A passive
 * sink: features register their own series with {@link #registry()}.
 */
public final class Metrics implements Extension, ManagementRouteProvider {

  /** The extension id; also the route provider Pekko Management loads (management.conf). */
  public static final class Id extends AbstractExtensionId<Metrics> implements ExtensionIdProvider {
    @Override
    public Metrics createExtension(ExtendedActorSystem system) {
      return new Metrics();
    }

    @Override
    public Id lookup() {
      return ID;
    }
  }

  public static final Id ID = new Id();

  private final PrometheusRegistry registry = new PrometheusRegistry();

  private Metrics() {
    JvmMetrics.builder().register(registry);
  }

  public static Metrics get(ActorSystem<?> system) {
    return ID.get(Adapter.toClassic(system));
  }

  /**
   * Where each feature registers what it measures, once per actor system, when it starts (the
   * admission queue, hot keys, sale views, switches): this registry knows none of them.
   */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** The Prometheus text format of everything above. */
  public byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      new PrometheusTextFormatWriter(false).write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return Directives.path("metrics", () -> Directives.get(() -> Directives.complete(HttpResponse.create()
        .withEntity(HttpEntities.create(ContentTypes.create(
            MediaTypes.TEXT_PLAIN, HttpCharsets.UTF_8),
            scrape())))));
  }
}
