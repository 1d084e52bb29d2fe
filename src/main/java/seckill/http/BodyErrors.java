package seckill.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidNullException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Why a request body was refused, in the API's own terms: the field, what it must be, where the JSON
 * broke. Never a Java type, a library's feature name or a fragment of its message.
 */
public final class BodyErrors {

  private BodyErrors() {}

  /** The 400's error for a body that could not be read as the request: {@code invalid_body} or {@code malformed_json}. */
  public static ApiError of(IOException e) {
    if (e instanceof MismatchedInputException m && String.valueOf(m.getOriginalMessage()).startsWith("Trailing token")) {
      return new ApiError("malformed_json", "the body has more after its JSON value" + at(m.getLocation()));
    }
    if (e instanceof MismatchedInputException m) return new ApiError("invalid_body", mismatch(m));
    // broken JSON inside a nested object or array comes wrapped, with the path where it broke
    if (e instanceof JsonMappingException m && m.getCause() instanceof JsonProcessingException broken
        && !(broken instanceof JsonMappingException) && !(broken instanceof InputCoercionException)
        && !(broken instanceof StreamConstraintsException)) {
      return new ApiError("malformed_json", malformed(broken));
    }
    if (e instanceof JsonMappingException m) return new ApiError("invalid_body", mapping(m));
    if (e instanceof JsonProcessingException p) return new ApiError("malformed_json", malformed(p));
    return new ApiError("malformed_json", "the body cannot be read");
  }

  /** The sentence for a 400 about a body that is valid JSON but does not fit the request. */
  private static String mismatch(MismatchedInputException e) {
    String field = field(e);
    if (e instanceof UnrecognizedPropertyException unknown) {
      String known = unknown.getKnownPropertyIds() == null ? "" : unknown.getKnownPropertyIds().stream()
          .map(String::valueOf).sorted().collect(Collectors.joining(", "));
      return "field '" + field + "' is not known" + (known.isEmpty() ? "" : "; the fields are: " + known);
    }
    if (e instanceof InvalidNullException) return "field '" + field + "' must not be null";
    String expected = expected(e.getTargetType());
    if (field == null) return "the body must be " + (expected == null ? "a JSON object" : expected);
    return "field '" + field + "' must be " + (expected == null ? "of another type" : expected);
  }

  /** The sentence for a 400 about a body that is not JSON at all, or not JSON we accept. */
  private static String malformed(JsonProcessingException e) {
    if (e instanceof InputCoercionException coercion) {
      return "a number is out of range" + at(e.getLocation()) + ": whole numbers here are at most "
          + (coercion.getTargetType() == Long.TYPE || coercion.getTargetType() == Long.class ? Long.MAX_VALUE : Integer.MAX_VALUE);
    }
    if (e instanceof StreamConstraintsException) return "the body is over this API's limits (a number, string or nesting too long)";
    String text = String.valueOf(e.getOriginalMessage());
    if (text.startsWith("Duplicate field '")) {
      return "field '" + text.substring(17, Math.max(17, text.indexOf('\'', 17))) + "' appears twice" + at(e.getLocation());
    }
    if (text.startsWith("Non-standard token") && (text.contains("'NaN'") || text.contains("Infinity'"))) {
      return "NaN and Infinity are not JSON numbers" + at(e.getLocation());
    }
    if (text.startsWith("Unexpected end-of-input")) return "the body ends before its JSON does";
    return "the body is not valid JSON" + at(e.getLocation());
  }

  /** A 400 for a field that Jackson read but whose value it could not turn into its type (a wrapped exception). */
  private static String mapping(JsonMappingException e) {
    if (e.getCause() instanceof InputCoercionException || e.getCause() instanceof StreamConstraintsException) {
      String field = field(e);
      return field == null ? malformed((JsonProcessingException) e.getCause())
          : "field '" + field + "' is out of range";
    }
    String field = field(e);
    return field == null ? "the body does not fit this request" : "field '" + field + "' is invalid";
  }

  private static String field(JsonMappingException e) {
    return e.getPath().stream()
        .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
        .reduce((a, b) -> b.startsWith("[") ? a + b : a + "." + b)
        .orElse(null);
  }

  private static String at(JsonLocation where) {
    if (where == null || where.getLineNr() < 1) return "";
    return " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")";
  }

  /** What a value of {@code type} looks like in JSON, or null when there is nothing better to say. */
  private static String expected(Class<?> type) {
    if (type == null) return null;
    if (type == String.class || CharSequence.class.isAssignableFrom(type)) return "a string";
    if (type == Integer.class || type == Integer.TYPE || type == Short.class || type == Short.TYPE) {
      return "a whole number from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE;
    }
    if (type == Long.class || type == Long.TYPE || type == BigInteger.class) return "a whole number";
    if (type == BigDecimal.class || type == Double.class || type == Double.TYPE || type == Float.class
        || type == Float.TYPE) return "a number";
    if (type == Boolean.class || type == Boolean.TYPE) return "true or false";
    if (type == Instant.class) return "a time in ISO-8601 such as \"2030-01-01T12:00:00Z\"";
    if (type == Duration.class) return "a duration in ISO-8601 such as \"PT30S\"";
    if (type.isEnum()) {
      return "one of " + Arrays.stream(type.getEnumConstants()).map(c -> "\"" + ((Enum<?>) c).name() + "\"")
          .collect(Collectors.joining(", "));
    }
    if (type.isArray() || Collection.class.isAssignableFrom(type)) return "an array";
    if (Map.class.isAssignableFrom(type) || type.isRecord()) return "an object";
    return null;
  }
}
