package seckill.admission;

import seckill.http.RetryAdvice;

import com.typesafe.config.Config;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TokensInheritanceStrategy;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import seckill.switches.SwitchValues;

/** The cheap, local checks in front of the queue: sale and node rate limits, in-flight join, hidden reserve path. */
public final class EdgeGuards {

  /** A per-sale bucket and the rate it was built for, so a changed rate builds a new one. */
  private record SaleBucket(int rate, Bucket bucket) {}

  private record SaleKey(Instant startsAt, String key) {}

  private final Bucket bucket;
  private final long configuredRate;
  private final long configuredBurst;
  // the operator's node rate the bucket was last built for; null: the configured rate and burst
  private volatile Integer appliedSwitch;
  private final Map<String, SaleBucket> saleBuckets = new ConcurrentHashMap<>();
  private final byte[] keySecret;
  private final Map<String, CompletionStage<ReserveQueue.Outcome>> inFlight = new ConcurrentHashMap<>();
  /** Each sale's hidden path key, for the start it was made for (a sale's start may change before it opens). */
  private final Map<String, SaleKey> saleKeys = new ConcurrentHashMap<>();

  public EdgeGuards(Config admission) {
    this.configuredRate = admission.getLong("rate-limit.per-second");
    this.configuredBurst = admission.getLong("rate-limit.burst");
    this.bucket = Bucket.builder().addLimit(limit(configuredRate, configuredBurst)).build();
    this.keySecret = admission.getString("sale-key-secret").getBytes(StandardCharsets.UTF_8);
  }

  private static Bandwidth limit(long perSecond, long burst) {
    return Bandwidth.builder().capacity(burst).refillGreedy(perSecond, Duration.ofSeconds(1)).build();
  }

  /**
   * Empty when a reserve for {@code saleId} may pass; otherwise the seconds to wait. Atomic: one token
   * per request from the sale's bucket (when the operator set a rate for it), then from the node's.
   * An operator's node rate replaces the configured one (with a burst of one second of it).
   */
  public OptionalLong rateLimited(String saleId, SwitchValues switches) {
    Integer saleRate = switches.saleRatePerSecond().get(saleId);
    if (saleRate == null) {
      saleBuckets.remove(saleId);
    } else {
      Bucket forSale = saleBuckets.compute(saleId, (id, b) -> b != null && b.rate() == saleRate ? b
          : new SaleBucket(saleRate, Bucket.builder().addLimit(limit(saleRate, saleRate)).build())).bucket();
      OptionalLong wait = take(forSale);
      if (wait.isPresent()) return wait;
    }
    Integer nodeRate = switches.nodeRatePerSecond();
    if (!Objects.equals(nodeRate, appliedSwitch)) rebuild(nodeRate);
    return take(bucket);
  }

  private synchronized void rebuild(Integer nodeRate) {
    if (Objects.equals(nodeRate, appliedSwitch)) return;
    long rate = nodeRate == null ? configuredRate : nodeRate;
    long burst = nodeRate == null ? configuredBurst : nodeRate;
    // tokens are kept, cut to the new capacity: a lower rate bites at once, a higher one does not refill
    bucket.replaceConfiguration(BucketConfiguration.builder().addLimit(limit(rate, burst)).build(),
        TokensInheritanceStrategy.AS_IS);
    appliedSwitch = nodeRate;
  }

  private static OptionalLong take(Bucket bucket) {
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
    if (probe.isConsumed()) return OptionalLong.empty();
    return OptionalLong.of(RetryAdvice.wholeSeconds(probe.getNanosToWaitForRefill()));
  }

  /**
   * The key of one request (sale, buyer, requestId) among those in flight on this node; none of the
   * three may hold a newline (sale ids, buyer ids and request ids are printable ASCII).
   */
  public static String requestKey(String saleId, String buyer, String requestId) {
    return saleId + '\n' + buyer + '\n' + requestId;
  }

  /**
   * Runs {@code send} unless the request {@code key} ({@link #requestKey}) is already in flight on
   * this node; then the second one joins the first one's answer instead of reaching the queue.
   * Requests with other requestIds are other requests, each answered for itself: an answer is only
   * ever shared by the request it was given for.
   */
  public CompletionStage<ReserveQueue.Outcome> joinInFlight(String key, Supplier<CompletionStage<ReserveQueue.Outcome>> send) {
    List<CompletionStage<ReserveQueue.Outcome>> sent = new ArrayList<>(1);
    CompletionStage<ReserveQueue.Outcome> answer = inFlight.computeIfAbsent(key, k -> {
      sent.add(send.get());
      return sent.get(0);
    });
    // the request that sent it takes it out once answered (a failed send stored nothing)
    if (!sent.isEmpty()) answer.whenComplete((outcome, failure) -> inFlight.remove(key, answer));
    return answer;
  }

  /** The answer to come of the request {@code key} ({@link #requestKey}) when it is in flight on this node. */
  public Optional<CompletionStage<ReserveQueue.Outcome>> inFlight(String key) {
    return Optional.ofNullable(inFlight.get(key));
  }

  /**
   * The secret part of a sale's reserve path: an HMAC of the sale id and its start, published in the
   * status only once the sale is open, so scripts that fire early have nothing to fire at.
   */
  public String saleKey(String saleId, Instant startsAt) {
    SaleKey known = saleKeys.get(saleId);
    if (known != null && known.startsAt().equals(startsAt)) return known.key();
    SaleKey made = new SaleKey(startsAt, hmac(saleId + '|' + startsAt));
    saleKeys.put(saleId, made);
    return made.key();
  }

  private String hmac(String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(keySecret, "HmacSHA256"));
      byte[] sig = mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(sig).substring(0, 22);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
  }

  public boolean isSaleKey(String saleId, Instant startsAt, String candidate) {
    return MessageDigest.isEqual(saleKey(saleId, startsAt).getBytes(StandardCharsets.UTF_8),
        candidate.getBytes(StandardCharsets.UTF_8));
  }
}
