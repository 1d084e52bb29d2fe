package seckill.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** Buyer tokens: HS256 and RS256 verification, required claims, expiry, and the verified-token cache. */
class BuyerTokensTest {

  private static Config auth() {
    return ConfigFactory.parseResources("auth.conf").resolve().getConfig("seckill.auth");
  }

  private static KeyPair rsaKeys() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    return generator.generateKeyPair();
  }

  private static String pem(KeyPair keys) {
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(keys.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }

  private static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** header.payload as written, signed with the JCA MAC {@code mac} under {@code secret}: any header, any claims. */
  private static String hmac(String mac, byte[] secret, String header, String payload) throws Exception {
    String input = b64(header.getBytes(StandardCharsets.UTF_8)) + "." + b64(payload.getBytes(StandardCharsets.UTF_8));
    Mac m = Mac.getInstance(mac);
    m.init(new SecretKeySpec(secret, mac));
    return input + "." + b64(m.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
  }

  private static String hs256(String header, String payload) throws Exception {
    return hmac("HmacSHA256", auth().getString("hs256-secret").getBytes(StandardCharsets.UTF_8), header, payload);
  }

  private static String exp(long secondsFromNow) {
    return "\"exp\":" + (Instant.now().getEpochSecond() + secondsFromNow);
  }

  /** header.payload as written, signed RS256 with {@code keys}' private key. */
  private static String rs256(KeyPair keys, String payload) throws Exception {
    String input = b64("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "." + b64(payload.getBytes(StandardCharsets.UTF_8));
    Signature rsa = Signature.getInstance("SHA256withRSA");
    rsa.initSign(keys.getPrivate());
    rsa.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + b64(rsa.sign());
  }

  @Test
  void hs256TokensAreMintedAndVerified() {
    BuyerTokens tokens = BuyerTokens.fromConfig(auth());
    assertEquals(Optional.of("alice"), tokens.buyerOf(tokens.mint("alice", Duration.ofMinutes(5))));
    assertEquals(Optional.empty(), tokens.buyerOf(tokens.mint("alice", Duration.ofMinutes(-5))), "expired");
    assertEquals(Optional.empty(), tokens.buyerOf("garbage"));
    BuyerTokens other = BuyerTokens.fromConfig(auth().withValue("hs256-secret",
        ConfigValueFactory.fromAnyRef("another-secret-that-is-long-enough-0123456789")));
    assertEquals(Optional.empty(), other.buyerOf(tokens.mint("alice", Duration.ofMinutes(5))), "other secret");
  }

  @Test
  void rs256TokensAreVerifiedWithThePublicKeyOnly() throws Exception {
    KeyPair keys = rsaKeys();
    BuyerTokens tokens = BuyerTokens.fromConfig(auth().withValue("rs256-public-key", ConfigValueFactory.fromAnyRef(pem(keys))));

    assertEquals(Optional.of("bob"), tokens.buyerOf(rs256(keys, "{\"sub\":\"bob\"," + exp(300) + "}")));
    assertEquals(Optional.empty(), tokens.buyerOf(rs256(keys, "{\"sub\":\"bob\"}")), "exp is required");
    assertEquals(Optional.empty(), tokens.buyerOf(rs256(keys, "{" + exp(300) + "}")), "sub is required");
    assertEquals(Optional.empty(), tokens.buyerOf(rs256(keys, "{\"sub\":\"no spaces allowed\"," + exp(300) + "}")));

    // an HS256 token is refused when RS256 is configured, and nothing can be minted
    BuyerTokens hs = BuyerTokens.fromConfig(auth());
    assertEquals(Optional.empty(), tokens.buyerOf(hs.mint("bob", Duration.ofMinutes(5))));
    assertFalse(tokens.canMint());
    assertThrows(IllegalStateException.class, () -> tokens.mint("bob", Duration.ofMinutes(5)));
  }

  @Test
  void aTokenInANonCanonicalSpellingIsRefused() {
    BuyerTokens tokens = BuyerTokens.fromConfig(auth());
    String token = tokens.mint("dave", Duration.ofMinutes(5));
    assertEquals(Optional.empty(), tokens.buyerOf(token + "="), "padded signature");
    assertEquals(Optional.empty(), tokens.buyerOf(SignerTest.trailingBits(token)), "stray trailing bits");
    assertEquals(Optional.of("dave"), tokens.buyerOf(token), "the canonical one still passes");
  }

  @Test
  void onlyTheConfiguredAlgorithmIsAccepted() throws Exception {
    BuyerTokens hs = BuyerTokens.fromConfig(auth());
    String claims = "{\"sub\":\"erin\"," + exp(300) + "}";
    byte[] secret = auth().getString("hs256-secret").getBytes(StandardCharsets.UTF_8);
    assertEquals(Optional.of("erin"), hs.buyerOf(hs256("{\"alg\":\"HS256\"}", claims)), "the same claims, as HS256");
    assertEquals(Optional.empty(), hs.buyerOf(hmac("HmacSHA384", secret, "{\"alg\":\"HS384\"}", claims)), "HS384 under the same secret");
    String unsigned = b64("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "." + b64(claims.getBytes(StandardCharsets.UTF_8)) + ".";
    assertEquals(Optional.empty(), hs.buyerOf(unsigned), "alg none");

    KeyPair keys = rsaKeys();
    String rs256 = rs256(keys, claims);
    assertEquals(Optional.empty(), hs.buyerOf(rs256), "an RS256 token under the HS256 secret");

    BuyerTokens rs = BuyerTokens.fromConfig(auth().withValue("rs256-public-key", ConfigValueFactory.fromAnyRef(pem(keys))));
    assertEquals(Optional.of("erin"), rs.buyerOf(rs256), "the same token under its public key");
    String confused = hmac("HmacSHA256", keys.getPublic().getEncoded(), "{\"alg\":\"HS256\"}", claims);
    assertEquals(Optional.empty(), rs.buyerOf(confused), "HS256 keyed with the RS256 public key");
    String confusedPem = hmac("HmacSHA256", pem(keys).getBytes(StandardCharsets.UTF_8), "{\"alg\":\"HS256\"}", claims);
    assertEquals(Optional.empty(), rs.buyerOf(confusedPem), "HS256 keyed with the public key's PEM");
  }

  @Test
  void claimsAndHeaderMustHaveTheirShape() throws Exception {
    BuyerTokens tokens = BuyerTokens.fromConfig(auth());
    String alg = "{\"alg\":\"HS256\"}";
    assertEquals(Optional.of("frank"), tokens.buyerOf(hs256("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{\"sub\":\"frank\"," + exp(300) + "}")));
    assertEquals(Optional.empty(), tokens.buyerOf(hs256(alg, "{\"sub\":\"frank\"}")), "no exp");
    assertEquals(Optional.empty(), tokens.buyerOf(hs256(alg, "{\"sub\":\"frank\",\"exp\":\"soon\"}")), "exp not a number");
    assertEquals(Optional.empty(), tokens.buyerOf(hs256(alg, "{\"sub\":12345," + exp(300) + "}")), "sub a number");
    assertEquals(Optional.empty(), tokens.buyerOf(hs256(alg, "{" + exp(300) + "}")), "no sub");
    assertEquals(Optional.empty(), tokens.buyerOf(hs256(alg, "{\"sub\":\"frank\",\"nbf\":" + (Instant.now().getEpochSecond() + 60) + "," + exp(300) + "}")), "not before a minute from now");
    assertEquals(Optional.empty(), tokens.buyerOf(hs256("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", "{\"sub\":\"frank\"," + exp(300) + "}")), "another typ");
    assertEquals(Optional.empty(), tokens.buyerOf(hs256("{\"alg\":\"HS256\",\"crit\":[\"x\"],\"x\":1}", "{\"sub\":\"frank\"," + exp(300) + "}")), "a critical header nobody understands");
    String token = tokens.mint("frank", Duration.ofMinutes(5));
    String[] parts = token.split("\\.");
    assertEquals(Optional.empty(), tokens.buyerOf(parts[0] + "." + parts[1] + "=." + parts[2]), "padded payload");
    String changed = b64(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8).replace("frank", "mallory").getBytes(StandardCharsets.UTF_8));
    assertEquals(Optional.empty(), tokens.buyerOf(parts[0] + "." + changed + "." + parts[2]), "payload changed after signing");
  }

  @Test
  void theClockSkewHoldsForFreshAndCachedTokensAlike() throws Exception {
    BuyerTokens tokens = BuyerTokens.fromConfig(auth()); // clock-skew 5 s
    String justExpired = hs256("{\"alg\":\"HS256\"}", "{\"sub\":\"grace\"," + exp(-2) + "}");
    assertEquals(Optional.of("grace"), tokens.buyerOf(justExpired), "2 s past exp, inside the skew");
    assertEquals(Optional.of("grace"), tokens.buyerOf(justExpired), "the same answer from the cache");
    assertEquals(Optional.empty(), tokens.buyerOf(hs256("{\"alg\":\"HS256\"}", "{\"sub\":\"grace\"," + exp(-10) + "}")), "10 s past exp");
  }

  @Test
  void aCachedTokenStillExpires() throws Exception {
    BuyerTokens tokens = BuyerTokens.fromConfig(auth().withValue("clock-skew", ConfigValueFactory.fromAnyRef("0s")));
    String shortLived = tokens.mint("carol", Duration.ofSeconds(1));
    assertTrue(tokens.buyerOf(shortLived).isPresent());
    Thread.sleep(1200); // time itself is the condition: exp counts whole seconds, so 1.2 s must pass
    assertEquals(Optional.empty(), tokens.buyerOf(shortLived), "the cache honours exp");
  }

  @Test
  void tooShortAnHs256SecretIsRefusedAtStart() {
    assertThrows(IllegalArgumentException.class, () -> BuyerTokens.fromConfig(
        auth().withValue("hs256-secret", ConfigValueFactory.fromAnyRef("short"))));
  }
}
