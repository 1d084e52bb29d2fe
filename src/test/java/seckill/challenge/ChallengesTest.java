package seckill.challenge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The proof of work and the signed challenge and token, without a node. */
class ChallengesTest {

  private static final Instant T0 = Instant.parse("2030-01-01T10:00:00Z");
  private static final Config CONFIG = ConfigFactory.parseString("""
      secret = "unit-test-challenge-secret-0123456789abcdef"
      challenge-ttl = 60s
      token-ttl = 30s
      used-max = 1000
      max-solution = 64
      default-difficulty = 8
      per-sale { plain = 0, hard = 12 }
      """);

  private static Challenges at(Instant now) {
    return new Challenges(CONFIG, Challenges.configuredDifficulty(CONFIG), Clock.fixed(now, ZoneOffset.UTC));
  }

  private static String tokenOf(Challenges.Redemption outcome) {
    return assertInstanceOf(Challenges.Granted.class, outcome).accessToken();
  }

  /** The same token with the first character of its signature changed. */
  /** The refusal {@code admit} answers; fails when it let the reserve pass. */
  private static Challenges.Refusal refusal(Challenges challenges, String sale, String buyer, String requestId,
      Optional<String> token) {
    return assertInstanceOf(Challenges.Refusal.class, challenges.admit(sale, buyer, requestId, token));
  }

  static String tamper(String token) {
    int at = token.indexOf('.') + 1;
    return token.substring(0, at) + (token.charAt(at) == 'A' ? 'B' : 'A') + token.substring(at + 1);
  }

  @Test
  void countsLeadingZeroBits() {
    assertEquals(0, Challenges.leadingZeroBits(new byte[] {(byte) 0x80, 0}));
    assertEquals(7, Challenges.leadingZeroBits(new byte[] {1, 0}));
    assertEquals(12, Challenges.leadingZeroBits(new byte[] {0, 0x08}));
    assertEquals(16, Challenges.leadingZeroBits(new byte[] {0, 0}));
  }

  @Test
  void aFoundSolutionMeetsTheDifficultyAndAWrongOneIsRefused() {
    Challenges challenges = at(T0);
    Challenges.Issued issued = challenges.issue("hard", "alice");
    assertEquals(12, issued.difficulty());
    String solution = Challenges.solve(issued.challenge(), 12);
    assertTrue(Challenges.solves(issued.challenge(), solution, 12));
    // the first count that solves it: every smaller count fails, so a lazy guess cannot pass
    long found = Long.parseLong(solution);
    for (long n = Math.max(0, found - 50); n < found; n++) assertFalse(Challenges.solves(issued.challenge(), Long.toString(n), 12));

    long miss = 0;
    while (Challenges.solves(issued.challenge(), Long.toString(miss), 12)) miss++;
    Challenges.Redemption wrong = challenges.redeem("hard", "alice", issued.challenge(), Long.toString(miss), "r1");
    assertEquals("challenge_failed", assertInstanceOf(Challenges.Refusal.class, wrong).code());
    tokenOf(challenges.redeem("hard", "alice", issued.challenge(), solution, "r1"));
  }

  @Test
  void aChallengeIsBoundToItsSaleAndBuyerAndIsSolvedOnce() {
    Challenges challenges = at(T0);
    String challenge = challenges.issue("sale-a", "alice").challenge();
    String solution = Challenges.solve(challenge, 8);
    assertEquals("challenge_invalid", ((Challenges.Refusal) challenges.redeem("sale-b", "alice", challenge, solution, "r")).code());
    assertEquals("challenge_invalid", ((Challenges.Refusal) challenges.redeem("sale-a", "bob", challenge, solution, "r")).code());
    String tampered = tamper(challenge);
    assertEquals("challenge_invalid", ((Challenges.Refusal) challenges.redeem("sale-a", "alice", tampered, solution, "r")).code());
    tokenOf(challenges.redeem("sale-a", "alice", challenge, solution, "r"));
    assertEquals("challenge_replayed", ((Challenges.Refusal) challenges.redeem("sale-a", "alice", challenge, solution, "r2")).code());
  }

  @Test
  void anExpiredChallengeOrTokenIsRefused() {
    String challenge = at(T0).issue("sale-a", "alice").challenge();
    String solution = Challenges.solve(challenge, 8);
    Challenges later = at(T0.plusSeconds(61));
    assertEquals("challenge_expired", ((Challenges.Refusal) later.redeem("sale-a", "alice", challenge, solution, "r")).code());

    String token = tokenOf(at(T0).redeem("sale-a", "alice", challenge, solution, "r"));
    assertEquals("access_token_expired",
        refusal(at(T0.plusSeconds(31)), "sale-a", "alice", "r", Optional.of(token)).code());
  }

  @Test
  void anAccessTokenPassesForItsSaleBuyerAndRequestOnlyUntilTheSaleRefusesIt() {
    Challenges challenges = at(T0);
    String challenge = challenges.issue("sale-a", "alice").challenge();
    String token = tokenOf(challenges.redeem("sale-a", "alice", challenge, Challenges.solve(challenge, 8), "r1"));

    assertEquals("challenge_required", refusal(challenges, "sale-a", "alice", "r1", Optional.empty()).code());
    assertEquals("access_token_invalid", refusal(challenges, "sale-b", "alice", "r1", Optional.of(token)).code());
    assertEquals("access_token_invalid", refusal(challenges, "sale-a", "bob", "r1", Optional.of(token)).code());
    assertEquals("access_token_invalid", refusal(challenges, "sale-a", "alice", "r2", Optional.of(token)).code());
    assertEquals("access_token_invalid", refusal(challenges, "sale-a", "alice", "r1", Optional.of("not.a-token")).code());
    assertEquals("access_token_invalid", refusal(challenges, "sale-a", "alice", "r1", Optional.of(challenge)).code(),
        "a challenge is not an access token");
    Challenges.Access first = challenges.admit("sale-a", "alice", "r1", Optional.of(token));
    assertInstanceOf(Challenges.Passed.class, first);
    assertInstanceOf(Challenges.Passed.class, challenges.admit("sale-a", "alice", "r1", Optional.of(token)),
        "a retry of its request passes again: the sale answers it with its first answer");
    challenges.refused((Challenges.Passed) first);
    assertEquals("access_token_replayed", refusal(challenges, "sale-a", "alice", "r1", Optional.of(token)).code(),
        "once the sale refused its request, the token is spent");
  }

  /** The code of the refusal {@code admitJoin} answers; fails when it let the join pass. */
  private static String joinRefusal(Challenges challenges, String sale, String buyer, Optional<String> token) {
    return assertInstanceOf(Challenges.Refusal.class, challenges.admitJoin(sale, buyer, token)).code();
  }

  @Test
  void aRoomedSaleAsksAtTheJoinForAnyRequestIdAndNotAgainAtTheReserve() {
    Challenges challenges = new Challenges(CONFIG, Challenges.configuredDifficulty(CONFIG), "roomed"::equals,
        Clock.fixed(T0, ZoneOffset.UTC));
    assertSame(Challenges.Passed.NOT_ASKED, challenges.admit("roomed", "alice", "r1", Optional.empty()),
        "the admission token the join's place earned stands in at the reserve");
    assertSame(Challenges.Passed.NOT_ASKED, challenges.admitJoin("plain", "alice", Optional.empty()), "challenge off");
    Challenges.Refusal required = assertInstanceOf(Challenges.Refusal.class,
        challenges.admitJoin("roomed", "alice", Optional.empty()));
    assertEquals("challenge_required", required.code());
    assertTrue(required.message().contains("GET /api/sales/roomed/challenge"), required.message());

    String challenge = challenges.issue("roomed", "alice").challenge();
    String token = tokenOf(challenges.redeem("roomed", "alice", challenge, Challenges.solve(challenge, 8), "any-id"));
    assertEquals("access_token_invalid", joinRefusal(challenges, "roomed", "bob", Optional.of(token)));
    assertEquals("access_token_invalid", joinRefusal(challenges, "sale-a", "alice", Optional.of(token)));
    assertEquals("access_token_expired", joinRefusal(at(T0.plusSeconds(31)), "roomed", "alice", Optional.of(token)));
    assertInstanceOf(Challenges.Passed.class, challenges.admitJoin("roomed", "alice", Optional.of(token)));
    assertInstanceOf(Challenges.Passed.class, challenges.admitJoin("roomed", "alice", Optional.of(token)),
        "the same join sent again passes with the same token");
  }

  @Test
  void aTokenAJoinTookBuysNoReserveAndOneAReserveTookNoJoin() {
    Challenges challenges = at(T0);
    String first = challenges.issue("sale-a", "alice").challenge();
    String joined = tokenOf(challenges.redeem("sale-a", "alice", first, Challenges.solve(first, 8), "r1"));
    assertInstanceOf(Challenges.Passed.class, challenges.admitJoin("sale-a", "alice", Optional.of(joined)));
    assertEquals("access_token_replayed", refusal(challenges, "sale-a", "alice", "r1", Optional.of(joined)).code());

    String second = challenges.issue("sale-a", "alice").challenge();
    String reserved = tokenOf(challenges.redeem("sale-a", "alice", second, Challenges.solve(second, 8), "r2"));
    assertInstanceOf(Challenges.Passed.class, challenges.admit("sale-a", "alice", "r2", Optional.of(reserved)));
    assertEquals("access_token_replayed", joinRefusal(challenges, "sale-a", "alice", Optional.of(reserved)));
  }

  @Test
  void aTokenSignedWithAnotherSecretIsInvalid() {
    Config other = ConfigFactory.parseString("secret = \"another-challenge-secret-0123456789abcdef\"").withFallback(CONFIG);
    Challenges foreign = new Challenges(other, Challenges.configuredDifficulty(other), Clock.fixed(T0, ZoneOffset.UTC));
    String challenge = foreign.issue("sale-a", "alice").challenge();
    String token = tokenOf(foreign.redeem("sale-a", "alice", challenge, Challenges.solve(challenge, 8), "r1"));
    assertEquals("access_token_invalid", refusal(at(T0), "sale-a", "alice", "r1", Optional.of(token)).code());
  }

  @Test
  void aSaleWithoutDifficultyNeedsNoToken() {
    assertEquals(0, at(T0).difficultyFor("plain"));
    assertInstanceOf(Challenges.Passed.class, at(T0).admit("plain", "alice", "r1", Optional.empty()));
  }

  @Test
  void aShortSecretIsRefused() {
    Config weak = ConfigFactory.parseString("secret = \"short\"").withFallback(CONFIG);
    assertThrows(IllegalArgumentException.class,
        () -> new Challenges(weak, Challenges.configuredDifficulty(weak), Clock.systemUTC()));
  }
}
