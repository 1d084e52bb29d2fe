import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Prints an HS256 buyer token for a local cluster: java cluster-config/Token.java alice (uses SECKILL_JWT_SECRET). */
public class Token {
  public static void main(String[] args) throws Exception {
    String secret = System.getenv("SECKILL_JWT_SECRET");
    if (secret == null || args.length != 1) {
      System.err.println("usage: SECKILL_JWT_SECRET=... java cluster-config/Token.java <buyer>");
      System.exit(2);
    }
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String header = b64.encodeToString("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8));
    long exp = Instant.now().plusSeconds(24 * 3600).getEpochSecond();
    String payload = b64.encodeToString(("{\"sub\":\"" + args[0] + "\",\"exp\":" + exp + "}").getBytes(StandardCharsets.UTF_8));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    System.out.println(header + "." + payload + "." + b64.encodeToString(mac.doFinal((header + "." + payload).getBytes(StandardCharsets.UTF_8))));
  }
}
