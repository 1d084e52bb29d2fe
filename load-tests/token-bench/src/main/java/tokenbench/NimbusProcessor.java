package tokenbench;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.util.Set;

/** nimbus-jose-jwt as the service used it before: DefaultJWTProcessor with a key selector, sub read from its own parse. */
final class NimbusProcessor implements Candidate {

  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

  NimbusProcessor(Alg alg, Keys keys) {
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(null, null, Set.of("sub", "exp"));
    claims.setMaxClockSkew(keys.skewSeconds());
    processor.setJWTClaimsSetVerifier(claims);
    if (alg == Alg.RS256) {
      RSAKey key = new RSAKey.Builder(keys.rsaPublic()).build();
      processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, new ImmutableJWKSet<>(new JWKSet(key))));
    } else {
      processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.HS256, new ImmutableSecret<>(keys.secret())));
    }
  }

  @Override
  public String buyerOf(String token) {
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      for (var part : jwt.getParsedParts()) if (!Rules.isCanonical(part.toString())) return null;
      if (!(jwt.getPayload().toJSONObject().get("sub") instanceof String sub) || !Rules.isBuyer(sub)) return null;
      processor.process(jwt, null);
      return sub;
    } catch (Exception e) {
      return null;
    }
  }
}
