package tokenbench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The reference: javax.crypto.Mac / java.security.Signature per thread and a Jackson streaming read of the two JSON parts. */
final class PlainJdk implements Candidate {

  private static final JsonFactory JSON = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  private final String alg;
  private final int skewSeconds;
  private final ThreadLocal<Mac> macs;
  private final ThreadLocal<Signature> signatures;
  private final RSAPublicKey rsaPublic;

  PlainJdk(Alg alg, Keys keys) {
    this.alg = alg.name();
    this.skewSeconds = keys.skewSeconds();
    this.rsaPublic = keys.rsaPublic();
    SecretKeySpec key = new SecretKeySpec(keys.secret(), "HmacSHA256");
    this.macs = ThreadLocal.withInitial(() -> {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(key);
        return mac;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    });
    this.signatures = ThreadLocal.withInitial(() -> {
      try {
        return Signature.getInstance("SHA256withRSA");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Override
  public String buyerOf(String token) {
    try {
      if (!Rules.canonicalParts(token)) return null;
      int first = token.indexOf('.');
      int second = token.indexOf('.', first + 1);
      if (!headerPasses(B64D.decode(token.substring(0, first)))) return null;
      byte[] input = token.substring(0, second).getBytes(StandardCharsets.US_ASCII);
      byte[] signature = B64D.decode(token.substring(second + 1));
      if (!signed(input, signature)) return null;
      return buyerOfPayload(B64D.decode(token.substring(first + 1, second)));
    } catch (Exception e) {
      return null;
    }
  }

  private boolean signed(byte[] input, byte[] signature) throws GeneralSecurityException {
    if (alg.equals("HS256")) return MessageDigest.isEqual(macs.get().doFinal(input), signature);
    Signature verifier = signatures.get();
    verifier.initVerify(rsaPublic);
    verifier.update(input);
    return verifier.verify(signature);
  }

  /** alg exactly the configured one, typ JWT when present, no crit. */
  private boolean headerPasses(byte[] json) throws Exception {
    String seenAlg = null;
    try (JsonParser p = JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) return false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "alg" -> seenAlg = value == JsonToken.VALUE_STRING ? p.getText() : null;
          case "typ" -> {
            if (value != JsonToken.VALUE_STRING || !Rules.isJwtType(p.getText())) return false;
          }
          case "crit" -> {
            return false;
          }
          default -> p.skipChildren();
        }
      }
      return alg.equals(seenAlg) && p.nextToken() == null;
    }
  }

  /** sub a valid buyer string, exp present and not past (with the skew), nbf if present not ahead. */
  private String buyerOfPayload(byte[] json) throws Exception {
    String sub = null;
    long exp = Long.MIN_VALUE;
    long nbf = Long.MIN_VALUE;
    try (JsonParser p = JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) return null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "sub" -> {
            if (value != JsonToken.VALUE_STRING) return null;
            sub = p.getText();
          }
          case "exp" -> {
            if (!value.isNumeric()) return null;
            exp = p.getLongValue();
          }
          case "nbf" -> {
            if (!value.isNumeric()) return null;
            nbf = p.getLongValue();
          }
          default -> p.skipChildren();
        }
      }
      if (p.nextToken() != null) return null;
    }
    long nowMillis = System.currentTimeMillis();
    if (exp == Long.MIN_VALUE || (exp + skewSeconds) * 1000 <= nowMillis) return null;
    if (nbf != Long.MIN_VALUE && (nbf - skewSeconds) * 1000 >= nowMillis) return null;
    return Rules.isBuyer(sub) ? sub : null;
  }
}
