package seckill.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Buyer tokens: HS256 and RS256 verification, required claims, expiry, and the verified-token cache. */
class BuyerTokensTest {

  private static Config auth() {
    return ConfigFactory.parseResources("auth.conf").resolve().getConfig("seckill.auth");
  }

  private static String rs256(KeyPair keys, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims);
    jwt.sign(new RSASSASigner(keys.getPrivate()));
    return jwt.serialize();
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
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair keys = generator.generateKeyPair();
    String pem = "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(keys.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
    BuyerTokens tokens = BuyerTokens.fromConfig(auth().withValue("rs256-public-key", ConfigValueFactory.fromAnyRef(pem)));

    Date exp = Date.from(Instant.now().plusSeconds(300));
    assertEquals(Optional.of("bob"), tokens.buyerOf(rs256(keys, new JWTClaimsSet.Builder().subject("bob").expirationTime(exp).build())));
    assertEquals(Optional.empty(), tokens.buyerOf(rs256(keys, new JWTClaimsSet.Builder().subject("bob").build())), "exp is required");
    assertEquals(Optional.empty(), tokens.buyerOf(rs256(keys, new JWTClaimsSet.Builder().expirationTime(exp).build())), "sub is required");
    assertEquals(Optional.empty(), tokens.buyerOf(rs256(keys, new JWTClaimsSet.Builder().subject("no spaces allowed").expirationTime(exp).build())));

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
  void aCachedTokenStillExpires() throws Exception {
    BuyerTokens tokens = BuyerTokens.fromConfig(auth());
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
