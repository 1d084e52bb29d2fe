package seckill.admission;

import com.typesafe.config.Config;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The cheap, local checks in front of the queue: node rate limit, in-flight join, hidden reserve path. */
public final class EdgeGuards {

  private final Bucket bucket;
  private final byte[] keySecret;
  private final Map<String, CompletableFuture<Admission.Outcome>> inFlight = new ConcurrentHashMap<>();
  private final Map<String, String> saleKeys = new ConcurrentHashMap<>();

  public EdgeGuards(Config admission) {
    this.bucket = Bucket.builder()
        .addLimit(Bandwidth.builder()
            .capacity(admission.getLong("rate-limit.burst"))
            .refillGreedy(admission.getLong("rate-limit.per-second"), Duration.ofSeconds(1))
            .build())
        .build();
    this.keySecret = admission.getString("sale-key-secret").getBytes(StandardCharsets.UTF_8);
  }

  /** Empty when the request may pass; otherwise the seconds to wait (atomic: one token per request). */
  public OptionalLong rateLimited() {
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
    if (probe.isConsumed()) return OptionalLong.empty();
    return OptionalLong.of(Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L));
  }

  /**
   * Runs {@code send} unless the same buyer already has a request in flight for this sale; then the
   * second request joins the first one's answer instead of reaching the queue.
   */
  public CompletionStage<Admission.Outcome> joinInFlight(String saleId, String buyer,
      Supplier<CompletionStage<Admission.Outcome>> send) {
    String key = saleId + '\n' + buyer;
    CompletableFuture<Admission.Outcome> mine = new CompletableFuture<>();
    CompletableFuture<Admission.Outcome> first = inFlight.putIfAbsent(key, mine);
    if (first != null) return first;
    send.get().whenComplete((outcome, failure) -> {
      inFlight.remove(key, mine);
      if (failure != null) mine.completeExceptionally(failure);
      else mine.complete(outcome);
    });
    return mine;
  }

  /**
   * The secret part of a sale's reserve path: an HMAC of the sale id and its start, published in the
   * status only once the sale is open, so scripts that fire early have nothing to fire at.
   */
  public String saleKey(String saleId, Instant startsAt) {
    return saleKeys.computeIfAbsent(saleId + '|' + startsAt, k -> {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(keySecret, "HmacSHA256"));
        byte[] sig = mac.doFinal(k.getBytes(StandardCharsets.UTF_8));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(sig).substring(0, 22);
      } catch (NoSuchAlgorithmException | InvalidKeyException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  public boolean isSaleKey(String saleId, Instant startsAt, String candidate) {
    return MessageDigest.isEqual(saleKey(saleId, startsAt).getBytes(StandardCharsets.UTF_8),
        candidate.getBytes(StandardCharsets.UTF_8));
  }
}
