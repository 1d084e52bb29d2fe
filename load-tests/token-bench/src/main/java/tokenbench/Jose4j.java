package tokenbench;

import org.jose4j.jwa.AlgorithmConstraints.ConstraintType;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.HmacKey;

/** jose4j's JwtConsumer, built once: alg pinned, exp and sub required, typ JWT when present. */
final class Jose4j implements Candidate {

  private final JwtConsumer consumer;

  Jose4j(Alg alg, Keys keys) {
    consumer = new JwtConsumerBuilder()
        .setRequireExpirationTime()
        .setRequireSubject()
        .setAllowedClockSkewInSeconds(keys.skewSeconds())
        .setSkipDefaultAudienceValidation()
        .setExpectedType(false, "JWT")
        .setVerificationKey(alg == Alg.RS256 ? keys.rsaPublic() : new HmacKey(keys.secret()))
        .setJwsAlgorithmConstraints(ConstraintType.PERMIT,
            alg == Alg.RS256 ? AlgorithmIdentifiers.RSA_USING_SHA256 : AlgorithmIdentifiers.HMAC_SHA256)
        .build();
  }

  @Override
  public String buyerOf(String token) {
    try {
      if (!Rules.canonicalParts(token)) return null;
      JwtClaims claims = consumer.processToClaims(token);
      Object sub = claims.getClaimValue("sub");
      return Rules.isBuyer(sub) ? (String) sub : null;
    } catch (Exception e) {
      return null;
    }
  }
}
