package seckill.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;

import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.server.Route;

/** The API's answers as routes, for every feature to import statically: a JSON body, or an error. */
public final class JsonAnswers {

  private JsonAnswers() {}

  public static Route json(StatusCode status, Object body) {
    return complete(status, body, Json.marshaller());
  }

  /** An error answer: {@code {"error": code, "message": message}}, carrying {@link ApiError#KEY}. */
  public static Route error(StatusCode status, String code, String message) {
    return complete(new ApiError(code, message).response(status));
  }
}
