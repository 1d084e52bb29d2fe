package tokenbench;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;

/** What a verifier is configured with: the HS256 secret, the RS256 key pair and the clock skew, as the service's. */
record Keys(byte[] secret, RSAPublicKey rsaPublic, RSAPrivateKey rsaPrivate, int skewSeconds) {

  static Keys generate() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      KeyPair pair = generator.generateKeyPair();
      byte[] secret = "token-bench-secret-at-least-32-bytes-long-0123456789".getBytes(StandardCharsets.UTF_8);
      return new Keys(secret, (RSAPublicKey) pair.getPublic(), (RSAPrivateKey) pair.getPrivate(), 5);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
