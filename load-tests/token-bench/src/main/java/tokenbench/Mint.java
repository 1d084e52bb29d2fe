package tokenbench;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Tokens written with the JDK alone, so no candidate mints what it then verifies. */
final class Mint {

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private Mint() {}

  static String b64(String json) {
    return B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  /** header.payload, signed with an HMAC of {@code jcaMac} ("HmacSHA256", ...) under {@code secret}. */
  static String hmac(String jcaMac, byte[] secret, String headerJson, String payloadJson) {
    String input = b64(headerJson) + "." + b64(payloadJson);
    try {
      Mac mac = Mac.getInstance(jcaMac);
      mac.init(new SecretKeySpec(secret, jcaMac));
      return input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** header.payload, signed with {@code jcaSignature} ("SHA256withRSA", ...). */
  static String rsa(String jcaSignature, PrivateKey key, String headerJson, String payloadJson) {
    String input = b64(headerJson) + "." + b64(payloadJson);
    try {
      Signature signature = Signature.getInstance(jcaSignature);
      signature.initSign(key);
      signature.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + B64.encodeToString(signature.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A well-formed token of {@code alg} with these claims, as the service's minter or an identity provider writes it. */
  static String good(Alg alg, Keys keys, String payloadJson) {
    return alg == Alg.HS256
        ? hmac("HmacSHA256", keys.secret(), "{\"alg\":\"HS256\"}", payloadJson)
        : rsa("SHA256withRSA", keys.rsaPrivate(), "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", payloadJson);
  }

  /** {@code size} (a power of two) distinct valid tokens, one buyer each, good for an hour. */
  static String[] pool(Alg alg, Keys keys, int size) {
    long now = System.currentTimeMillis() / 1000;
    String[] tokens = new String[size];
    for (int i = 0; i < size; i++) {
      tokens[i] = good(alg, keys, "{\"sub\":\"buyer-" + i + "\",\"iat\":" + now + ",\"exp\":" + (now + 3600) + "}");
    }
    return tokens;
  }
}
