package seckill.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Signed tokens (queue tickets, admission tokens, access tokens) have one spelling: a signature with
 * padding or with other unused trailing bits decodes to the same bytes, and is still refused.
 */
class SignerTest {

  record Claims(String sale, long place) {}

  private final Signer signer = new Signer("0123456789abcdef0123456789abcdef", "test.secret");

  /**
   * The same token with the lowest unused bit of its last character flipped: a 32-byte signature is
   * 43 characters whose last carries 4 bits and 2 unused ones, so decoders read the same bytes.
   */
  static String trailingBits(String token) {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char last = token.charAt(token.length() - 1);
    return token.substring(0, token.length() - 1) + alphabet.charAt(alphabet.indexOf(last) ^ 1);
  }

  @Test
  void onlyTheCanonicalSignatureIsAccepted() {
    String token = signer.sign("ticket.", new Claims("s", 7));
    assertEquals(Optional.of(new Claims("s", 7)), signer.verify("ticket.", token, Claims.class));
    assertEquals(Optional.empty(), signer.verify("ticket.", token + "=", Claims.class), "padded");
    assertEquals(Optional.empty(), signer.verify("ticket.", token + "==", Claims.class), "padded twice");
    assertEquals(Optional.empty(), signer.verify("ticket.", trailingBits(token), Claims.class), "stray bits");
    assertEquals(Optional.empty(), signer.verify("other.", token, Claims.class), "another domain");
  }

  @Test
  void canonicalBase64UrlIsExactlyWhatTheEncoderWrites() {
    assertTrue(Signer.isCanonicalBase64Url("YWJj"));
    assertTrue(Signer.isCanonicalBase64Url("YWI"));
    assertFalse(Signer.isCanonicalBase64Url("YWI="), "padding");
    assertFalse(Signer.isCanonicalBase64Url("YWJ"), "trailing bits set");
    assertFalse(Signer.isCanonicalBase64Url("YW+j"), "not the url alphabet");
    assertFalse(Signer.isCanonicalBase64Url("Y"), "no whole byte");
  }
}
