package seckill.http;

/** The body of every error answer: a machine-readable code and a sentence for people. */
public record ApiError(String error, String message) {

  /** Carried by every error answer built with {@link JsonDirectives}, so outcomes are counted from it, not from the body. */
  public static final org.apache.pekko.http.javadsl.model.AttributeKey<ApiError> KEY =
      org.apache.pekko.http.javadsl.model.AttributeKey.create("seckill-error", ApiError.class);
}
