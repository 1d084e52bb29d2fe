package seckill.waitingroom;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * The operators' priority lane: admission tokens for chosen buyers outside the line, single use,
 * good until a given time and not counted against {@code maxActive}. Their ranks are random below
 * every place and never -1 (a sale without a room), so settling them never reaches the line.
 */
final class PriorityLane {

  private final AdmissionTokens tokens;
  private final SecureRandom random = new SecureRandom();

  PriorityLane(AdmissionTokens tokens) {
    this.tokens = tokens;
  }

  /** An admission token for each of {@code buyers}, by buyer. */
  Map<String, String> admit(String saleId, Collection<String> buyers, Instant expiresAt) {
    long expires = expiresAt.toEpochMilli();
    Map<String, String> admitted = new TreeMap<>();
    for (String buyer : buyers) {
      long rank = -2 - (random.nextLong() & Long.MAX_VALUE) % (Long.MAX_VALUE - 2);
      admitted.put(buyer, tokens.issue(saleId, buyer, rank, expires));
    }
    return admitted;
  }
}
