package seckill.challenge;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.typesafe.config.Config;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import org.apache.pekko.actor.typed.ActorSystem;
import seckill.auth.Signer;
import seckill.auth.TokenUses;
import seckill.sale.SaleViews;
import seckill.switches.Switches;

/**
 * The sale access challenge: a proof of work bound to (sale, buyer), traded for an access token
 * bound to (sale, buyer, requestId). Both are HMAC-signed, so any node checks them without shared
 * state; the only state is this node's memory of what was already used (single use).
 *
 * <p>Replay refusal is per node. A token replayed on another node is still harmless: it names one
 * requestId, and the sale answers a repeated (buyer, requestId) with its first reservation, so it
 * can never buy a second unit; it only skips the work for one more try at the same request.
 *
 * <p>A sale with a waiting room asks the challenge at the room's door instead: a join that takes a
 * place needs the access token ({@link #admitJoin}), and the reserve does not ask again
 * ({@link #admit}), since it needs the admission token that only such a place earns. One solve per
 * place, paid before queueing: a bot pays for its place in line, an honest buyer solves once.
 */
public final class Challenges {

  /** The header carrying the access token of a solved challenge, on a reserve or a join. */
  public static final String ACCESS_TOKEN = "X-Access-Token";

  private static final String CHALLENGE = "challenge.";
  private static final String ACCESS = "access.";
  // what a join takes an access token for: no requestId has a space, so no reserve can take it again
  private static final String JOIN = "the join";

  /** What a challenge or a token redemption ends in. */
  public sealed interface Redemption permits Granted, Refusal {}

  /** A challenge as the buyer's page receives it. */
  public record Issued(String challenge, int difficulty, Instant expiresAt) {}

  /** An access token for one reserve request, or for joining a waiting room. */
  public record Granted(String accessToken, Instant expiresAt) implements Redemption {}

  /**
   * Why a challenge or token was refused: the API's error code and a sentence for people; {@code expired}
   * when the access token was good but has expired (a retry of a request that got a reservation
   * with it may still be answered with that reservation).
   */
  public record Refusal(String code, String message, boolean expired) implements Redemption, Access {
    Refusal(String code, String message) {
      this(code, message, false);
    }
  }

  /** What a reserve's access token amounts to: a refusal, or a pass to settle once the reserve is answered. */
  public sealed interface Access permits Refusal, Passed {}

  /** The reserve may go on; {@code used} names the token it used (null: the sale needs none). */
  public record Passed(String used) implements Access {
    static final Passed NOT_ASKED = new Passed(null);
  }

  /** The signed content of a challenge. */
  record ChallengeClaims(String sale, String buyer, String nonce, int difficulty, long expires) {}

  /** The signed content of an access token; its id is the nonce of the challenge that bought it. */
  record AccessClaims(String sale, String buyer, String requestId, String id, long expires) {}

  private final ToIntFunction<String> difficulty;
  private final Predicate<String> hasRoom;
  private final Signer signer;
  private final Duration challengeTtl;
  private final Duration tokenTtl;
  private final int maxSolution;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  // challenges already solved on this node, kept until they expire
  private final Cache<String, Boolean> used;
  // access tokens and the request that used each, kept until they expire
  private final TokenUses accessUses;

  /**
   * This node's challenges: the config's difficulty, under the operator's switches; asked at the
   * waiting room's door of a sale that has one (a room that is on, as the sale's definition says).
   */
  public static Challenges init(ActorSystem<?> system) {
    Config challenge = system.settings().config().getConfig("seckill.challenge");
    SaleViews views = SaleViews.get(system);
    return new Challenges(challenge, Switches.get(system).challengeDifficulty(configuredDifficulty(challenge)),
        saleId -> views.get(saleId).map(view -> view.definition().queued()).orElse(false), Clock.systemUTC());
  }

  /** From {@code seckill.challenge}, with the difficulty per sale decided by {@code difficulty} (0 = off); no rooms. */
  public Challenges(Config challenge, ToIntFunction<String> difficulty, Clock clock) {
    this(challenge, difficulty, saleId -> false, clock);
  }

  /** As above; {@code hasRoom} tells the sales with a waiting room, whose joins the challenge is asked of. */
  public Challenges(Config challenge, ToIntFunction<String> difficulty, Predicate<String> hasRoom, Clock clock) {
    this.signer = new Signer(challenge.getString("secret"), "seckill.challenge.secret");
    this.difficulty = difficulty;
    this.hasRoom = hasRoom;
    this.challengeTtl = challenge.getDuration("challenge-ttl");
    this.tokenTtl = challenge.getDuration("token-ttl");
    this.maxSolution = challenge.getInt("max-solution");
    this.clock = clock;
    this.used = Caffeine.newBuilder().maximumSize(challenge.getLong("used-max")).expireAfterWrite(challengeTtl).build();
    this.accessUses = new TokenUses(challenge.getLong("used-max"), tokenTtl);
  }

  /** The difficulty from config: {@code per-sale.<id>} when set, else {@code default-difficulty}. */
  public static ToIntFunction<String> configuredDifficulty(Config challenge) {
    int bits = challenge.getInt("default-difficulty");
    Map<String, Integer> perSale = new HashMap<>();
    challenge.getObject("per-sale").keySet().forEach(id -> perSale.put(id, challenge.getConfig("per-sale").getInt(id)));
    return saleId -> perSale.getOrDefault(saleId, bits);
  }

  /** Leading zero bits the sale's challenge asks for; 0 when the sale needs no challenge. */
  public int difficultyFor(String saleId) {
    return Math.max(0, difficulty.applyAsInt(saleId));
  }

  /** A fresh challenge for this buyer and sale at the sale's current difficulty. */
  public Issued issue(String saleId, String buyer) {
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    int bits = difficultyFor(saleId);
    Instant expires = clock.instant().plus(challengeTtl);
    String challenge = signer.sign(CHALLENGE, new ChallengeClaims(saleId, buyer, Base64.getUrlEncoder().withoutPadding().encodeToString(nonce), bits,
        expires.toEpochMilli()));
    return new Issued(challenge, bits, expires);
  }

  /** Checks a solved challenge and, once per challenge on this node, grants an access token for {@code requestId}. */
  public Redemption redeem(String saleId, String buyer, String challenge, String solution, String requestId) {
    Optional<ChallengeClaims> read = signer.verify(CHALLENGE, challenge, ChallengeClaims.class);
    if (read.isEmpty() || !read.get().sale().equals(saleId) || !read.get().buyer().equals(buyer))
      return new Refusal("challenge_invalid", "this challenge was not issued for this sale and buyer");
    ChallengeClaims claims = read.get();
    Instant now = clock.instant();
    if (!now.isBefore(Instant.ofEpochMilli(claims.expires())))
      return new Refusal("challenge_expired", "the challenge expired; fetch a new one");
    if (solution.length() > maxSolution || !solves(challenge, solution, claims.difficulty()))
      return new Refusal("challenge_failed", "the solution does not solve the challenge");
    if (used.asMap().putIfAbsent("c" + claims.nonce(), Boolean.TRUE) != null)
      return new Refusal("challenge_replayed", "this challenge was already solved; fetch a new one");
    Instant expires = now.plus(tokenTtl);
    return new Granted(signer.sign(ACCESS, new AccessClaims(saleId, buyer, requestId, claims.nonce(), expires.toEpochMilli())),
        expires);
  }

  /**
   * Whether the reserve may pass: yes when the sale needs no challenge or asks it at its waiting
   * room's door, or with a valid, unexpired access token for exactly this sale, buyer and request. A
   * token names one request: the first reserve with it takes it, and retries of that request pass
   * again until the sale refuses it ({@link TokenUses}).
   */
  public Access admit(String saleId, String buyer, String requestId, Optional<String> token) {
    if (difficultyFor(saleId) == 0 || hasRoom.test(saleId)) return Passed.NOT_ASKED;
    if (token.isEmpty() || token.get().isBlank())
      return new Refusal("challenge_required", "this sale needs a solved challenge: GET /api/sales/" + saleId + "/challenge");
    return take(saleId, buyer, requestId, token.get());
  }

  /**
   * Whether a join of the sale's waiting room may take a place: yes when the sale needs no challenge,
   * or with a valid, unexpired access token of this sale and buyer (for any requestId). The first
   * join with it takes it for joins only: the same buyer's join sent again with it (its answer was
   * lost) passes while it lives; no reserve can use it.
   */
  public Access admitJoin(String saleId, String buyer, Optional<String> token) {
    if (difficultyFor(saleId) == 0) return Passed.NOT_ASKED;
    String how = "GET /api/sales/" + saleId + "/challenge, POST the solution there, and join with the access token in "
        + ACCESS_TOKEN;
    if (token.isEmpty() || token.get().isBlank()) {
      return new Refusal("challenge_required", "joining the line of sale " + saleId + " needs a solved challenge: " + how);
    }
    Access taken = take(saleId, buyer, null, token.get());
    return taken instanceof Refusal refused
        ? new Refusal(refused.code(), refused.message() + ". To join: " + how, refused.expired()) : taken;
  }

  /** Checks the token for this sale and buyer (and {@code requestId}, unless null: a join) and takes it for that use. */
  private Access take(String saleId, String buyer, String requestId, String token) {
    Optional<AccessClaims> read = signer.verify(ACCESS, token.trim(), AccessClaims.class);
    if (read.isEmpty() || !read.get().sale().equals(saleId) || !read.get().buyer().equals(buyer))
      return new Refusal("access_token_invalid", "the access token was not issued for this sale and buyer");
    AccessClaims claims = read.get();
    if (requestId != null && !claims.requestId().equals(requestId))
      return new Refusal("access_token_invalid", "the access token was issued for another requestId");
    if (!clock.instant().isBefore(Instant.ofEpochMilli(claims.expires())))
      return new Refusal("access_token_expired", "the access token expired; solve a new challenge", true);
    String key = "a" + claims.id();
    if (accessUses.claim(key, requestId == null ? JOIN : requestId) == TokenUses.Claim.SPENT) {
      return new Refusal("access_token_replayed", requestId == null ? "a reserve used this access token; solve a new challenge"
          : "the sale already refused this request; solve a new challenge");
    }
    return new Passed(key);
  }

  /** The sale refused the request that used this pass: the token gets no more tries. */
  public void refused(Passed passed) {
    if (passed.used() != null) accessUses.refused(passed.used());
  }

  /** True when SHA-256(challenge + ":" + solution) starts with at least {@code difficulty} zero bits. */
  public static boolean solves(String challenge, String solution, int difficulty) {
    return leadingZeroBits(sha256().digest((challenge + ":" + solution).getBytes(StandardCharsets.UTF_8))) >= difficulty;
  }

  /** What the sale page does: counts 0, 1, 2, ... until a count solves the challenge. */
  public static String solve(String challenge, int difficulty) {
    MessageDigest prefix = sha256();
    prefix.update((challenge + ":").getBytes(StandardCharsets.UTF_8));
    try {
      for (long n = 0; ; n++) {
        MessageDigest attempt = (MessageDigest) prefix.clone();
        String candidate = Long.toString(n);
        if (leadingZeroBits(attempt.digest(candidate.getBytes(StandardCharsets.US_ASCII))) >= difficulty) return candidate;
      }
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException(e);
    }
  }

  static int leadingZeroBits(byte[] hash) {
    int bits = 0;
    for (byte b : hash) {
      if (b == 0) {
        bits += 8;
      } else {
        return bits + Integer.numberOfLeadingZeros(b & 0xff) - 24;
      }
    }
    return bits;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
