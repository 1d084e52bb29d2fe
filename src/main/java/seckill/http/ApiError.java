package seckill.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;

/** The body of every error answer: a machine-readable code and a sentence for people. */
public record ApiError(String error, String message) {

  /** Carried by every error answer built here, so outcomes are counted from it, not from the body. */
  public static final AttributeKey<ApiError> KEY = AttributeKey.create("seckill-error", ApiError.class);

  /** This error as a JSON body. */
  public HttpEntity.Strict entity() {
    try {
      return HttpEntities.create(ContentTypes.APPLICATION_JSON, Json.MAPPER.writeValueAsBytes(this));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The whole answer: {@code status}, this error as the JSON body, and itself as the {@link #KEY} attribute. */
  public HttpResponse response(StatusCode status) {
    return HttpResponse.create().withStatus(status).withEntity(entity()).addAttribute(KEY, this);
  }
}
