package seckill.http;

import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.extractUri;
import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.apache.pekko.http.javadsl.server.Directives.mapResponse;
import static org.apache.pekko.http.javadsl.server.Directives.toStrictEntity;
import static seckill.http.JsonAnswers.error;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.scaladsl.model.IllegalRequestException;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Binds the HTTP front; every answer it gives for an error, ours or Pekko HTTP's, is a JSON body. */
public final class HttpServer {

  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  private final ActorSystem<?> system;

  public HttpServer(ActorSystem<?> system) {
    this.system = system;
  }

  public CompletionStage<ServerBinding> start(Route routes) {
    var http = system.settings().config().getConfig("seckill.http");
    // every request body is read before the route answers (a strict one, the usual case, already is;
    // bounded by the parser's max-content-length): an answer sent before the end of its request closes
    // the connection, and many clients (the JDK's among them) then see no answer at all, e.g. to a GET with a body
    long maxBody = system.settings().config().getBytes("pekko.http.server.parsing.max-content-length");
    Duration readBody = http.getDuration("ask-timeout");
    Route sealed = handleExceptions(exceptions(RetryAdvice.get(system)),
        () -> handleRejections(rejections(), () -> extractRequestEntity(entity -> entity.isStrict() ? routes
            : toStrictEntity(readBody, maxBody, () -> routes))));
    return Http.get(system)
        .newServerAt(http.getString("interface"), http.getInt("port"))
        .bind(sealed)
        .thenApply(binding -> {
          ApiReadiness.ID.get(Adapter.toClassic(system)).set();
          return binding.addToCoordinatedShutdown(http.getDuration("shutdown-deadline"), system);
        });
  }

  /**
   * Binds Pekko Management's routes (cluster members and shards, health checks, metrics, bootstrap)
   * on the management port, sealed like ours: every error is our JSON error body, and a failed
   * health check is 503 (Pekko Management says 500 "Not Healthy"). Pekko Management's own
   * {@code start()} would bind them with Pekko HTTP's text rejections.
   */
  public static CompletionStage<Optional<ServerBinding>> startManagement(ActorSystem<?> system) {
    if (!system.settings().config().getBoolean("seckill.management.enabled")) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return new HttpServer(system).bindManagement(PekkoManagement.get(Adapter.toClassic(system)).getRoutes())
        .thenApply(Optional::of);
  }

  private CompletionStage<ServerBinding> bindManagement(Route managementRoutes) {
    var config = system.settings().config();
    Route sealed = handleExceptions(exceptions(RetryAdvice.get(system)),
        () -> handleRejections(rejections(), () -> extractUri(uri -> mapResponse(
            response -> managementAnswer(uri.path(), response), () -> managementRoutes))));
    return Http.get(system)
        .newServerAt(config.getString("pekko.management.http.bind-hostname"), config.getInt("pekko.management.http.port"))
        // as Pekko Management binds it: the bootstrap routes see the caller's address
        .adaptSettings(settings -> settings.withRemoteAddressAttribute(true))
        .bind(sealed)
        .thenApply(binding -> binding.addToCoordinatedShutdown(
            config.getDuration("seckill.http.shutdown-deadline"), system));
  }

  /** Management answers in our error shape: its text and {@code {"message":…}} errors, and health failures as 503. */
  static HttpResponse managementAnswer(String path, HttpResponse response) {
    if (response.status().intValue() < 400) return response;
    boolean health = path.equals("/ready") || path.equals("/alive") || path.startsWith("/health");
    if (health && response.status().equals(StatusCodes.INTERNAL_SERVER_ERROR)) {
      response = response.withStatus(StatusCodes.SERVICE_UNAVAILABLE);
    }
    if (!(response.entity() instanceof HttpEntity.Strict strict)) return response;
    String text = strict.getData().utf8String();
    if (strict.getContentType().equals(ContentTypes.APPLICATION_JSON)) {
      try {
        var json = Json.MAPPER.readTree(text);
        if (json.has("error")) return response;
        if (json.has("message")) text = json.get("message").asText();
      } catch (IOException notJson) {
        // keep the text as the message
      }
    }
    String code = health ? (path.equals("/alive") ? "not_alive" : "not_ready") : codeOf(response.status());
    return response.withEntity(body(code, text.isBlank() ? response.status().reason() : text));
  }

  private static RejectionHandler rejections() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(HttpServer::asJson);
  }

  private ExceptionHandler exceptions(RetryAdvice retryAdvice) {
    return ExceptionHandler.newBuilder()
        .matchAny(e -> {
          Throwable cause = unwrap(e);
          if (cause instanceof EntityStreamSizeException) {
            return error(StatusCodes.PAYLOAD_TOO_LARGE, "payload_too_large", "request body is too large");
          }
          if (cause instanceof IllegalRequestException bad && bad.info().summary().contains("too large")) {
            // a chunked body without Content-Length that outgrew the limit while being read
            return error(StatusCodes.PAYLOAD_TOO_LARGE, "payload_too_large", bad.info().detail());
          }
          if (cause instanceof IllegalRequestException bad) {
            return error(bad.status(), codeOf(bad.status()), bad.info().summary());
          }
          if (cause instanceof TimeoutException) {
            return retryAdvice.unavailable(
                "no answer in time (the sale or switchboard may be moving to another node); retry the same request");
          }
          log.error("unexpected error in a route", cause);
          return error(StatusCodes.INTERNAL_SERVER_ERROR, "internal_error", "unexpected error");
        })
        .build();
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) t = t.getCause();
    return t;
  }

  /** Pekko HTTP's own rejections (404 path, 405 method, 413 ...) arrive as text: re-wrap them as our JSON error. */
  private static HttpResponse asJson(HttpResponse response) {
    HttpEntity entity = response.entity();
    if (entity.getContentType().equals(ContentTypes.APPLICATION_JSON) || !(entity instanceof HttpEntity.Strict strict)) {
      return response;
    }
    String code = codeOf(response.status());
    String message = strict.getData().utf8String();
    return response.withEntity(body(code, message.isBlank() ? response.status().reason() : message));
  }

  static String codeOf(StatusCode status) {
    return status.reason().toLowerCase().replaceAll("[^a-z]+", "_");
  }

  static HttpEntity.Strict body(String code, String message) {
    return new ApiError(code, message).entity();
  }
}
