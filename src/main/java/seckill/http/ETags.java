package seckill.http;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;

/** Strong ETags from content: the same bytes always give the same tag, on every node. */
public final class ETags {

  private ETags() {}

  public static EntityTag of(byte[] content) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(content);
      return EntityTag.create(Base64.getUrlEncoder().withoutPadding().encodeToString(hash).substring(0, 22), false);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
