package seckill.http;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Requests too malformed to reach a route (bad URI or header, 414, 431, unknown method 501, HTTP
 * version 505) answered with the API's JSON error body instead of Pekko HTTP's plain text; set as
 * {@code pekko.http.server.parsing.error-handler}, on the API and the management port alike.
 */
public final class JsonParsingErrors extends ParsingErrorHandler {

  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    log.debug("refused an unparseable request: {}", info.formatPretty());
    return HttpResponse.create().withStatus(status).withEntity(HttpServer.body(HttpServer.codeOf(status), info.summary()));
  }
}
