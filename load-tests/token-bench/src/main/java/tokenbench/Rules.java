package tokenbench;

import java.util.Base64;
import java.util.regex.Pattern;

/** The service's own rules on top of any library: the buyer-id pattern and one spelling per token. */
final class Rules {

  private static final Pattern BUYER = Pattern.compile("[A-Za-z0-9_.@:-]{1,128}");
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  private Rules() {}

  static boolean isBuyer(Object sub) {
    return sub instanceof String s && BUYER.matcher(s).matches();
  }

  /** As the service's Signer.isCanonicalBase64Url: exactly what the encoder writes. */
  static boolean isCanonical(String part) {
    try {
      return B64.encodeToString(B64D.decode(part)).equals(part);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Three parts, each canonical base64url. */
  static boolean canonicalParts(String token) {
    int first = token.indexOf('.');
    int second = token.indexOf('.', first + 1);
    if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) return false;
    return isCanonical(token.substring(0, first)) && isCanonical(token.substring(first + 1, second))
        && isCanonical(token.substring(second + 1));
  }

  static boolean isJwtType(String typ) {
    return typ == null || typ.equals("JWT");
  }
}
