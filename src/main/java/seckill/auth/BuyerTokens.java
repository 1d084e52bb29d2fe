package seckill.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.typesafe.config.Config;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;

/** Verifies buyer JWTs (sub = buyer id, exp required) and, for dev mode, mints HS256 ones. */
public final class BuyerTokens {

  private static final Pattern BUYER = Pattern.compile("[A-Za-z0-9_.@:-]{1,128}");

  /** What a buyer id must be, wherever one arrives (a token's sub, a dev token, an operator's bypass). */
  public static final String BUYER_RULE = "1 to 128 of A-Z a-z 0-9 _ . @ : -";

  /** A token already verified: who it names and until when it is accepted (its exp plus the clock skew). */
  private record Verified(String buyer, long goodUntilMillis) {}

  // built once for the one algorithm accepted, so neither alg none, nor HS384 under the same secret,
  // nor an HS256 token keyed with the RS256 public key passes; exp and sub required, exp and nbf
  // checked with the clock skew; iat is not checked (an issuer's clock a little ahead
  // must not lock buyers out)
  private final JWTVerifier verifier;
  private final long skewMillis;
  private final Algorithm signer;
  // a buyer's retries present the same token: verify it once, until it expires
  private final Cache<String, Verified> verified;

  private BuyerTokens(Algorithm algorithm, boolean canMint, Config auth) {
    long skewSeconds = auth.getDuration("clock-skew").toSeconds();
    this.verifier = JWT.require(algorithm).acceptLeeway(skewSeconds).ignoreIssuedAt()
        .withClaimPresence("exp").withClaimPresence("sub").build();
    this.skewMillis = skewSeconds * 1000;
    this.signer = canMint ? algorithm : null;
    this.verified = Caffeine.newBuilder().maximumSize(auth.getLong("verified-token-cache-size")).build();
  }

  /** This node's token check; first refuses the shipped secrets outside dev mode ({@link Secrets}). */
  public static BuyerTokens init(ActorSystem<?> system) {
    Secrets.refuseDevSecretsOutsideDevMode(system.settings().config());
    return fromConfig(system.settings().config().getConfig("seckill.auth"));
  }

  /** From {@code seckill.auth}: RS256 when a public key is set, HS256 with the shared secret otherwise. */
  public static BuyerTokens fromConfig(Config auth) {
    String pem = auth.getString("rs256-public-key").trim();
    if (!pem.isEmpty()) return new BuyerTokens(Algorithm.RSA256(rsaPublicKey(pem), null), false, auth);
    byte[] secret = auth.getString("hs256-secret").getBytes(StandardCharsets.UTF_8);
    if (secret.length < 32) throw new IllegalArgumentException("seckill.auth.hs256-secret must be at least 32 bytes");
    return new BuyerTokens(Algorithm.HMAC256(secret), true, auth);
  }

  /** An X.509 "PUBLIC KEY" PEM, read with the JDK alone. */
  private static RSAPublicKey rsaPublicKey(String pem) {
    String base64 = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
    try {
      return (RSAPublicKey) KeyFactory.getInstance("RSA")
          .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
    } catch (GeneralSecurityException | IllegalArgumentException | ClassCastException e) {
      throw new IllegalArgumentException("seckill.auth.rs256-public-key is not an RSA public key in PEM", e);
    }
  }

  public static boolean isValidBuyer(String buyer) {
    return buyer != null && BUYER.matcher(buyer).matches();
  }

  /** The buyer id of a valid token, or empty for anything else (bad signature, expired, no sub). */
  public Optional<String> buyerOf(String token) {
    // computed at most once per token even when retries arrive together; a refusal is not kept
    Verified known = verified.get(token, this::verify);
    if (known == null) return Optional.empty();
    if (known.goodUntilMillis() > System.currentTimeMillis()) return Optional.of(known.buyer());
    verified.invalidate(token);
    return Optional.empty();
  }

  /** Every check, each part decoded and parsed once; null when any fails. */
  private Verified verify(String token) {
    if (!canonical(token)) return null;
    try {
      DecodedJWT jwt = verifier.verify(token);
      // the library leaves these to its caller: a typ, when there is one, says JWT; no crit, as none is understood
      if (jwt.getType() != null && !jwt.getType().equals("JWT")) return null;
      if (!jwt.getHeaderClaim("crit").isMissing()) return null;
      String sub = jwt.getClaim("sub").asString(); // null unless a JSON string
      if (!isValidBuyer(sub)) return null;
      return new Verified(sub, jwt.getExpiresAtAsInstant().toEpochMilli() + skewMillis);
    } catch (JWTVerificationException e) {
      return null;
    }
  }

  /** Three parts, each in its one canonical base64url spelling: the library also decodes padded and stray-bit forms. */
  private static boolean canonical(String token) {
    int first = token.indexOf('.');
    int second = token.indexOf('.', first + 1);
    if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) return false;
    return Signer.isCanonicalBase64Url(token.substring(0, first))
        && Signer.isCanonicalBase64Url(token.substring(first + 1, second))
        && Signer.isCanonicalBase64Url(token.substring(second + 1));
  }

  public boolean canMint() {
    return signer != null;
  }

  /** An HS256 token for {@code buyer}, valid for {@code ttl}. */
  public String mint(String buyer, Duration ttl) {
    if (signer == null) throw new IllegalStateException("tokens can only be minted with an HS256 secret");
    Instant now = Instant.now();
    return JWT.create().withSubject(buyer).withIssuedAt(now).withExpiresAt(now.plus(ttl)).sign(signer);
  }
}
