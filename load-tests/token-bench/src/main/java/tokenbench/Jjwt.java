package tokenbench;

import io.jsonwebtoken.Claims;
import io.jsonwebtoken.Jws;
import io.jsonwebtoken.JwtParser;
import io.jsonwebtoken.Jwts;
import javax.crypto.spec.SecretKeySpec;

/** jjwt's JwtParser, built once: HS256 or RS256 alone, exp required, typ JWT when present. */
final class Jjwt implements Candidate {

  private final JwtParser parser;

  Jjwt(Alg alg, Keys keys) {
    var builder = Jwts.parser().clockSkewSeconds(keys.skewSeconds());
    if (alg == Alg.RS256) builder.verifyWith(keys.rsaPublic()).sig().clear().add(Jwts.SIG.RS256).and();
    else builder.verifyWith(new SecretKeySpec(keys.secret(), "HmacSHA256")).sig().clear().add(Jwts.SIG.HS256).and();
    parser = builder.build();
  }

  @Override
  public String buyerOf(String token) {
    try {
      if (!Rules.canonicalParts(token)) return null;
      Jws<Claims> jws = parser.parseSignedClaims(token);
      if (!Rules.isJwtType(jws.getHeader().getType())) return null;
      Claims claims = jws.getPayload();
      // jjwt checks exp only when present
      if (claims.getExpiration() == null) return null;
      Object sub = claims.get("sub");
      return Rules.isBuyer(sub) ? (String) sub : null;
    } catch (Exception e) {
      return null;
    }
  }
}
