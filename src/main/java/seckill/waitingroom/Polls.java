package seckill.waitingroom;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import seckill.sale.SalePhase;
import seckill.sale.SaleViews;
import seckill.sale.WaitingRoomPolicy;
import seckill.switches.Switches;

/**
 * Answers a buyer's poll from this node's copies of the sale and its line, with no ask; an admitted
 * buyer gets an admission token. Polls never reach a line otherwise, so a poll also wakes a line that
 * has gone quiet while its sale is on (its node restarted, its shard moved).
 */
final class Polls {

  /**
   * The buyer's state in the line. States: WAITING, ADMITTED, SOLD_OUT, CLOSED, EXPIRED (admitted,
   * unused, past its time), LEFT (the buyer left the line), REVOKED (an operator took the place back).
   */
  public record QueueAnswer(String ticket, String state, Long ahead, Long etaSeconds, Integer pollAfterSeconds,
      String admissionToken, Instant admissionExpiresAt) {

    static QueueAnswer of(String state) {
      return new QueueAnswer(null, state, null, null, null, null, null);
    }

    QueueAnswer withTicket(String signed) {
      return new QueueAnswer(signed, state, ahead, etaSeconds, pollAfterSeconds, admissionToken, admissionExpiresAt);
    }
  }

  private final WaitingRoom.Settings settings;
  private final Clock clock;
  private final Switches switches;
  private final ClusterSharding sharding;
  private final LineCopies copies;
  private final AdmissionTokens tokens;
  private final RoomMetrics metrics;
  private final Map<String, Long> wokenAt = new ConcurrentHashMap<>();

  Polls(WaitingRoom.Settings settings, Clock clock, Switches switches, ClusterSharding sharding, LineCopies copies,
      AdmissionTokens tokens, RoomMetrics metrics) {
    this.settings = settings;
    this.clock = clock;
    this.switches = switches;
    this.sharding = sharding;
    this.copies = copies;
    this.tokens = tokens;
    this.metrics = metrics;
  }

  /** Where the ticket's holder stands now. */
  QueueAnswer answer(SaleViews.LocalCopy view, WaitingRoomPolicy room, Tickets.Ticket ticket) {
    Instant now = clock.instant();
    SalePhase phase = view.phase(now);
    if (WaitingRoom.over(phase)) return QueueAnswer.of("CLOSED");
    if (phase != SalePhase.UPCOMING && view.available() == 0) {
      metrics.soldOutNotice(view.saleId());
      return QueueAnswer.of("SOLD_OUT");
    }
    LineView line = copies.line(view.saleId()).orElse(null);
    wakeIfQuiet(view.saleId(), line, now);
    String out = line == null ? null : line.withdrawnAs(ticket.place());
    if (out != null) return QueueAnswer.of(out);
    if (line == null || !line.opened()) {
      long untilOpen = Math.max(0, Duration.between(now, view.definition().startsAt()).toSeconds());
      return waiting(null, phase == SalePhase.UPCOMING ? untilOpen : null, untilOpen);
    }
    long rank = line.rankOf(ticket.place());
    if (rank >= line.admittedThrough()) {
      long ahead = line.ahead(rank);
      double rate = line.counts().admittedPerSecond();
      if (rate <= 0) rate = room.admitPerSecond();
      boolean moving = phase == SalePhase.OPEN && !switches.paused(view.saleId());
      // the wait shown is at the recent pace; polls follow the soonest the buyer can be let in (the
      // room's full pace), so a buyer let in learns it soon and does not hold an active slot unaware
      return waiting(ahead, moving ? (long) Math.ceil(ahead / rate) : null, (long) Math.ceil(ahead / (double) room.admitPerSecond()));
    }
    OptionalLong at = line.admittedAt(rank);
    long expires = at.isPresent() ? at.getAsLong() + room.admissionTtl().toMillis() : 0;
    // the sale stopped (paused, sold out) after letting this buyer in: the admission does not run
    // out meanwhile, and the line moves it on by the stop once the sale sells again
    if (at.isPresent() && line.stoppedSinceMillis() > 0) expires += Math.max(0, now.toEpochMilli() - line.stoppedSinceMillis());
    if (expires <= now.toEpochMilli()) return QueueAnswer.of("EXPIRED");
    metrics.admitted(view.saleId(), rank, Math.max(0, at.getAsLong() - ticket.joinedAt()));
    String token = tokens.issue(view.saleId(), ticket.buyer(), rank, expires);
    return new QueueAnswer(null, "ADMITTED", 0L, 0L, null, token, Instant.ofEpochMilli(expires));
  }

  /** Waiting, with a poll after a quarter of {@code soonestSeconds} (within the configured bounds) plus jitter. */
  private QueueAnswer waiting(Long ahead, Long etaSeconds, long soonestSeconds) {
    long quarter = soonestSeconds / 4;
    long base = Math.max(settings.pollMin().toSeconds(), Math.min(settings.pollMax().toSeconds(), quarter));
    long jitter = Math.round(base * settings.pollJitter() * ThreadLocalRandom.current().nextDouble());
    return new QueueAnswer(null, "WAITING", ahead, etaSeconds, (int) (base + jitter), null, null);
  }

  /** Wakes a line not heard from for three publish intervals, at most once in that time per node. */
  private void wakeIfQuiet(String saleId, LineView line, Instant now) {
    long nowMillis = now.toEpochMilli();
    long quiet = 3 * settings.publishInterval().toMillis();
    if (line != null && nowMillis - line.publishedAtMillis() < quiet) return;
    Long last = wokenAt.get(saleId);
    if (last != null && nowMillis - last < quiet) return;
    wokenAt.put(saleId, nowMillis);
    sharding.entityRefFor(WaitingLine.ENTITY_KEY, saleId).tell(new WaitingLine.Wake(nowMillis));
  }
}
