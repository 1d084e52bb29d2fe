package seckill.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;

/**
 * This node's memory of single-use tokens (waiting-room admissions, challenge access tokens): which
 * request used each one, and whether the sale refused that request. A token is used by one request:
 * sent again with that request it is the request's retry (joined while in flight, answered by the
 * sale with its first reservation, tried again after a 503); with any other request, or once the
 * sale refused its request, it is spent.
 */
public final class TokenUses {

  /** What presenting a token for a request amounts to. */
  public enum Claim {
    /** The token's first use, now taken by this request. */
    FIRST,
    /** The same request again: its retry. */
    RETRY,
    /** Used by another request, or its request was refused by the sale. */
    SPENT
  }

  private static final class Use {
    final String requestId;
    volatile boolean refused;

    Use(String requestId) {
      this.requestId = requestId;
    }
  }

  private final Cache<String, Use> uses;

  /** Remembers at most {@code max} tokens, each for {@code keep} (longer than a token lives). */
  public TokenUses(long max, Duration keep) {
    this.uses = Caffeine.newBuilder().maximumSize(max).expireAfterWrite(keep).build();
  }

  /** Takes the token {@code key} for {@code requestId}, or tells whether it is a retry or spent. */
  public Claim claim(String key, String requestId) {
    Use first = uses.asMap().putIfAbsent(key, new Use(requestId));
    if (first == null) return Claim.FIRST;
    return first.requestId.equals(requestId) && !first.refused ? Claim.RETRY : Claim.SPENT;
  }

  /** Forgets that {@code requestId} took the token {@code key}: another request took it elsewhere first. */
  public void release(String key, String requestId) {
    uses.asMap().computeIfPresent(key, (k, use) -> use.requestId.equals(requestId) ? null : use);
  }

  /** The sale refused the request that used the token (sold out, limit): no retry on it gets another try. */
  public void refused(String key) {
    Use use = uses.getIfPresent(key);
    if (use != null) use.refused = true;
  }
}
