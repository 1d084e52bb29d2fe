package seckill.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;

import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.server.Route;

/** The API's answers as routes, for every feature to import statically: a JSON body, or an error. */
public final class JsonAnswers {

  private JsonAnswers() {}

  /** {@code body} as JSON, written straight to bytes: the API speaks only JSON, so nothing is negotiated. */
  public static Route json(StatusCode status, Object body) {
    return complete(HttpResponse.create().withStatus(status)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, Json.bytes(body))));
  }

  /** An error answer: {@code {"error": code, "message": message}}, carrying {@link ApiError#KEY}. */
  public static Route error(StatusCode status, String code, String message) {
    return complete(new ApiError(code, message).response(status));
  }
}
