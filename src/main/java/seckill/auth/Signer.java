package seckill.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import seckill.http.Json;

/**
 * Self-contained signed tokens: the claims as JSON, base64url, a dot, and an HMAC-SHA256 of a domain
 * and the payload. The domain keeps one kind of token from passing for another under the same key.
 * Any node with the secret checks a token without shared state.
 */
public final class Signer {

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  private final SecretKeySpec key;

  /** {@code setting} names the secret in errors; a secret under 32 bytes is refused. */
  public Signer(String secret, String setting) {
    byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
    if (bytes.length < 32) throw new IllegalArgumentException(setting + " must be at least 32 bytes");
    this.key = new SecretKeySpec(bytes, "HmacSHA256");
  }

  public String sign(String domain, Object claims) {
    String payload = B64.encodeToString(Json.bytes(claims));
    return payload + "." + B64.encodeToString(mac(domain + payload));
  }

  /**
   * The claims when {@code token} carries our signature for {@code domain}; empty for anything else,
   * including a signature in any but its canonical base64url form.
   */
  public <T> Optional<T> verify(String domain, String token, Class<T> type) {
    if (token == null) return Optional.empty();
    int dot = token.indexOf('.');
    if (dot <= 0 || dot != token.lastIndexOf('.')) return Optional.empty();
    String payload = token.substring(0, dot);
    try {
      // compared as text: the one canonical encoding (no padding, no stray trailing bits) or nothing
      byte[] signature = token.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
      if (!MessageDigest.isEqual(signature, B64.encode(mac(domain + payload)))) return Optional.empty();
      return Optional.ofNullable(Json.MAPPER.readValue(B64D.decode(payload), type));
    } catch (IllegalArgumentException | IOException e) {
      return Optional.empty();
    }
  }

  /** True when {@code part} is base64url exactly as an encoder writes it: no padding, no characters outside the alphabet, unused trailing bits zero. */
  public static boolean isCanonicalBase64Url(String part) {
    try {
      return B64.encodeToString(B64D.decode(part)).equals(part);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private byte[] mac(String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
