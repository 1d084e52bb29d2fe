package tokenbench;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import java.util.Map;
import java.util.Set;

/** nimbus-jose-jwt used directly: one verifier built once, alg pinned, the payload parsed once after the signature. */
final class NimbusDirect implements Candidate {

  private final JWSAlgorithm alg;
  private final JWSVerifier verifier;
  private final DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(null, null, Set.of("sub", "exp"));

  NimbusDirect(Alg alg, Keys keys) throws Exception {
    this.alg = alg == Alg.RS256 ? JWSAlgorithm.RS256 : JWSAlgorithm.HS256;
    this.verifier = alg == Alg.RS256 ? new RSASSAVerifier(keys.rsaPublic()) : new MACVerifier(keys.secret());
    claims.setMaxClockSkew(keys.skewSeconds());
  }

  @Override
  public String buyerOf(String token) {
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      for (var part : jwt.getParsedParts()) if (!Rules.isCanonical(part.toString())) return null;
      JWSHeader header = jwt.getHeader();
      if (!alg.equals(header.getAlgorithm())) return null;
      JOSEObjectType typ = header.getType();
      if (typ != null && !typ.equals(JOSEObjectType.JWT)) return null;
      if (!jwt.verify(verifier)) return null;
      Map<String, Object> json = jwt.getPayload().toJSONObject();
      if (!(json.get("sub") instanceof String sub) || !Rules.isBuyer(sub)) return null;
      claims.verify(JWTClaimsSet.parse(json), null);
      return sub;
    } catch (Exception e) {
      return null;
    }
  }
}
