package seckill.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.typesafe.config.Config;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;

/** Verifies buyer JWTs (sub = buyer id, exp required) and, for dev mode, mints HS256 ones. */
public final class BuyerTokens {

  private static final Pattern BUYER = Pattern.compile("[A-Za-z0-9_.@:-]{1,128}");

  /** What a buyer id must be, wherever one arrives (a token's sub, a dev token, an operator's bypass). */
  public static final String BUYER_RULE = "1 to 128 of A-Z a-z 0-9 _ . @ : -";

  /** A token already verified: who it names and until when it is good. */
  private record Verified(String buyer, long expiresAtMillis) {}

  private final DefaultJWTProcessor<SecurityContext> processor;
  private final MACSigner signer;
  // a hammering buyer presents the same token again and again: verify it once, until it expires
  private final Cache<String, Verified> verified;

  private BuyerTokens(DefaultJWTProcessor<SecurityContext> processor, MACSigner signer, long cacheSize) {
    this.processor = processor;
    this.signer = signer;
    this.verified = Caffeine.newBuilder().maximumSize(cacheSize).build();
  }

  /** This node's token check; first refuses the shipped secrets outside dev mode ({@link Secrets}). */
  public static BuyerTokens init(ActorSystem<?> system) {
    Secrets.refuseDevSecretsOutsideDevMode(system.settings().config());
    return fromConfig(system.settings().config().getConfig("seckill.auth"));
  }

  /** From {@code seckill.auth}: RS256 when a public key is set, HS256 with the shared secret otherwise. */
  public static BuyerTokens fromConfig(Config auth) {
    DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(null, null, Set.of("sub", "exp"));
    // explicit: the library's own default would silently accept tokens up to 60 s past their exp
    claims.setMaxClockSkew((int) auth.getDuration("clock-skew").toSeconds());
    processor.setJWTClaimsSetVerifier(claims);
    String pem = auth.getString("rs256-public-key").trim();
    try {
      if (!pem.isEmpty()) {
        RSAKey key = new RSAKey.Builder(rsaPublicKey(pem)).build();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, new ImmutableJWKSet<>(new JWKSet(key))));
        return new BuyerTokens(processor, null, auth.getLong("verified-token-cache-size"));
      }
      byte[] secret = auth.getString("hs256-secret").getBytes(StandardCharsets.UTF_8);
      if (secret.length < 32) throw new IllegalArgumentException("seckill.auth.hs256-secret must be at least 32 bytes");
      processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.HS256, new ImmutableSecret<>(secret)));
      return new BuyerTokens(processor, new MACSigner(secret), auth.getLong("verified-token-cache-size"));
    } catch (JOSEException e) {
      throw new IllegalArgumentException("invalid buyer token key: " + e.getMessage(), e);
    }
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
    long now = System.currentTimeMillis();
    Verified known = verified.getIfPresent(token);
    if (known != null) {
      if (known.expiresAtMillis() > now) return Optional.of(known.buyer());
      verified.invalidate(token);
      return Optional.empty();
    }
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      // the library decodes padded and non-canonical base64url too: one token, one spelling
      for (var part : jwt.getParsedParts()) if (!Signer.isCanonicalBase64Url(part.toString())) return Optional.empty();
      // sub must be a JSON string: the library would also take a number and turn it into one
      if (!(jwt.getPayload().toJSONObject().get("sub") instanceof String sub) || !isValidBuyer(sub)) return Optional.empty();
      JWTClaimsSet claims = processor.process(jwt, null);
      verified.put(token, new Verified(sub, claims.getExpirationTime().getTime()));
      return Optional.of(sub);
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  public boolean canMint() {
    return signer != null;
  }

  /** An HS256 token for {@code buyer}, valid for {@code ttl}. */
  public String mint(String buyer, Duration ttl) {
    if (signer == null) throw new IllegalStateException("tokens can only be minted with an HS256 secret");
    Instant now = Instant.now();
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .subject(buyer)
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(ttl)))
        .build();
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
      jwt.sign(signer);
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }
}
