package tokenbench;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.interfaces.DecodedJWT;

/** auth0 java-jwt's JWTVerifier, built once (it pins the alg); exp and sub required, iat ignored as nimbus does, no crit, typ JWT when present. */
final class JavaJwt implements Candidate {

  private final JWTVerifier verifier;

  JavaJwt(Alg alg, Keys keys) {
    Algorithm algorithm = alg == Alg.RS256 ? Algorithm.RSA256(keys.rsaPublic(), null) : Algorithm.HMAC256(keys.secret());
    verifier = JWT.require(algorithm).acceptLeeway(keys.skewSeconds()).ignoreIssuedAt()
        .withClaimPresence("exp").withClaimPresence("sub").build();
  }

  @Override
  public String buyerOf(String token) {
    try {
      if (!Rules.canonicalParts(token)) return null;
      DecodedJWT jwt = verifier.verify(token);
      // java-jwt leaves crit and typ to the caller
      if (!jwt.getHeaderClaim("crit").isMissing() || !Rules.isJwtType(jwt.getType())) return null;
      String sub = jwt.getClaim("sub").asString();
      return Rules.isBuyer(sub) ? sub : null;
    } catch (Exception e) {
      return null;
    }
  }
}
