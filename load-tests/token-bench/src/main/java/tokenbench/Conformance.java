package tokenbench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The checks the service needs, as tokens with the answer each must get: a candidate that accepts a
 * bad one (or refuses a good one) is not measured.
 */
final class Conformance {

  /** One token and the buyer it must yield (null: it must be refused). */
  record Case(String name, String token, String expected) {}

  private Conformance() {}

  static List<Case> cases(Alg alg, Keys keys) {
    Keys other = Keys.generate(); // first: it can take seconds on a busy machine, and the cases below count on the clock
    long now = System.currentTimeMillis() / 1000;
    String exp = ",\"exp\":" + (now + 300);
    String good = "{\"sub\":\"alice\"" + exp + "}";
    String goodToken = Mint.good(alg, keys, good);
    String header = alg == Alg.HS256 ? "{\"alg\":\"HS256\"" : "{\"alg\":\"RS256\"";
    List<Case> cases = new ArrayList<>();
    cases.add(new Case("valid", goodToken, "alice"));
    cases.add(new Case("exp 2 s ago, inside the 5 s skew", Mint.good(alg, keys, "{\"sub\":\"alice\",\"exp\":" + (now - 2) + "}"), "alice"));
    cases.add(new Case("typ JWT", signed(alg, keys, header + ",\"typ\":\"JWT\"}", good), "alice"));
    cases.add(new Case("exp 60 s ago", Mint.good(alg, keys, "{\"sub\":\"alice\",\"exp\":" + (now - 60) + "}"), null));
    cases.add(new Case("no exp", Mint.good(alg, keys, "{\"sub\":\"alice\"}"), null));
    cases.add(new Case("no sub", Mint.good(alg, keys, "{\"exp\":" + (now + 300) + "}"), null));
    cases.add(new Case("sub a number", Mint.good(alg, keys, "{\"sub\":12345" + exp + "}"), null));
    cases.add(new Case("sub not a buyer id", Mint.good(alg, keys, "{\"sub\":\"no spaces\"" + exp + "}"), null));
    cases.add(new Case("nbf 60 s ahead", Mint.good(alg, keys, "{\"sub\":\"alice\",\"nbf\":" + (now + 60) + exp + "}"), null));
    cases.add(new Case("typ other", signed(alg, keys, header + ",\"typ\":\"at+jwt\"}", good), null));
    cases.add(new Case("crit unknown", signed(alg, keys, header + ",\"crit\":[\"x\"],\"x\":1}", good), null));
    cases.add(new Case("alg none", Mint.b64("{\"alg\":\"none\"}") + "." + Mint.b64(good) + ".", null));
    cases.add(new Case("padded signature", goodToken + "=", null));
    cases.add(new Case("stray trailing bits", trailingBits(goodToken), null));
    cases.add(new Case("padded payload", padPayload(goodToken), null));
    cases.add(new Case("payload changed", goodToken.replace(Mint.b64(good), Mint.b64(good.replace("alice", "mallory"))), null));
    cases.add(new Case("garbage", "not.a.token", null));
    cases.add(new Case("two parts", goodToken.substring(0, goodToken.lastIndexOf('.')), null));
    if (alg == Alg.HS256) {
      cases.add(new Case("another secret", Mint.hmac("HmacSHA256", "another-secret-that-is-long-enough-0123456789".getBytes(StandardCharsets.UTF_8), "{\"alg\":\"HS256\"}", good), null));
      cases.add(new Case("HS384 under the same secret", Mint.hmac("HmacSHA384", keys.secret(), "{\"alg\":\"HS384\"}", good), null));
      cases.add(new Case("RS256 (any key)", Mint.rsa("SHA256withRSA", other.rsaPrivate(), "{\"alg\":\"RS256\"}", good), null));
    } else {
      cases.add(new Case("another key", Mint.rsa("SHA256withRSA", other.rsaPrivate(), "{\"alg\":\"RS256\"}", good), null));
      cases.add(new Case("RS512 under the same key", Mint.rsa("SHA512withRSA", keys.rsaPrivate(), "{\"alg\":\"RS512\"}", good), null));
      cases.add(new Case("HS256 keyed with the public key (alg confusion)", Mint.hmac("HmacSHA256", keys.rsaPublic().getEncoded(), "{\"alg\":\"HS256\"}", good), null));
    }
    return cases;
  }

  /** The cases a candidate answers wrongly, by name; empty when it holds every check. */
  static List<String> failures(Candidate candidate, Alg alg, Keys keys) {
    List<String> failed = new ArrayList<>();
    for (Case c : cases(alg, keys)) {
      if (!Objects.equals(c.expected(), candidate.buyerOf(c.token()))) failed.add(c.name());
    }
    return failed;
  }

  private static String signed(Alg alg, Keys keys, String headerJson, String payloadJson) {
    return alg == Alg.HS256
        ? Mint.hmac("HmacSHA256", keys.secret(), headerJson, payloadJson)
        : Mint.rsa("SHA256withRSA", keys.rsaPrivate(), headerJson, payloadJson);
  }

  /** The last character one step along the alphabet: the same bytes, a bit set past their end. */
  private static String trailingBits(String token) {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char last = token.charAt(token.length() - 1);
    return token.substring(0, token.length() - 1) + alphabet.charAt(alphabet.indexOf(last) ^ 1);
  }

  private static String padPayload(String token) {
    String[] parts = token.split("\\.");
    if (parts[1].length() % 4 == 0) throw new IllegalStateException("this payload needs no padding: lengthen it");
    String payload = parts[1] + "=".repeat((4 - parts[1].length() % 4) % 4);
    return parts[0] + "." + payload + "." + parts[2];
  }
}
