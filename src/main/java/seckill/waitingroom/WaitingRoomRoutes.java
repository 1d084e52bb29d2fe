package seckill.waitingroom;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import seckill.auth.AuthDirectives;
import seckill.auth.BuyerTokens;
import seckill.challenge.Challenges;
import seckill.http.JsonDirectives;
import seckill.sale.SalePhase;
import seckill.sale.SaleReplies;
import seckill.sale.SaleViews;
import seckill.sale.WaitingRoomPolicy;

/**
 * {@code POST /api/sales/{id}/queue} joins a sale's waiting room (the buyer's token; the ticket
 * already held, if any, in {@value #TICKET}) and answers with a signed ticket and the place;
 * {@code GET} with the ticket tells where it stands, and once admitted hands out the admission
 * token the reserve needs; {@code DELETE} with the ticket leaves the line. A poll reads only this
 * node's copies: no entity is asked. When the sale asks for a challenge, a join that takes a place
 * carries a solved one in {@value Challenges#ACCESS_TOKEN} ({@link Challenges#admitJoin}); a join
 * with a ticket still held, a poll and a leave never do. Operators see the line, let chosen buyers
 * in and revoke places.
 */
public final class WaitingRoomRoutes extends JsonDirectives {

  /** The header carrying a buyer's queue ticket. */
  public static final String TICKET = "X-Queue-Ticket";

  private final SaleViews views;
  private final WaitingRoom room;
  private final Tickets tickets;
  private final Polls polls;
  private final RoomMetrics metrics;
  private final BuyerTokens tokens;
  private final Challenges challenges;
  private final String adminToken;

  public WaitingRoomRoutes(ActorSystem<?> system, SaleViews views, WaitingRoom room, BuyerTokens tokens,
      Challenges challenges) {
    super(system);
    this.views = views;
    this.room = room;
    this.tickets = room.tickets();
    this.polls = room.polls();
    this.metrics = room.metrics();
    this.tokens = tokens;
    this.challenges = challenges;
    this.adminToken = system.settings().config().getString("seckill.auth.admin-token");
  }

  public static Route init(ActorSystem<?> system, BuyerTokens tokens, WaitingRoom room, Challenges challenges) {
    return new WaitingRoomRoutes(system, SaleViews.get(system), room, tokens, challenges).routes();
  }

  /** {@code POST /admin/sales/{id}/queue/bypass}: up to {@value #MAX_NAMED} buyers. */
  public record BypassRequest(List<String> buyers) {}

  /** Admission tokens by buyer, good until {@code expiresAt}. */
  public record Bypass(Map<String, String> admissionTokens, Instant expiresAt) {}

  /** {@code POST /admin/sales/{id}/queue/revoke}: up to {@value #MAX_NAMED} buyers whose places or admissions end. */
  public record RevokeRequest(List<String> buyers) {}

  /** Buyers whose place is out of the line now (revoked, or left before), and those the room knows no place of. */
  public record Revocation(List<String> revoked, List<String> notInLine) {}

  /**
   * {@code GET /admin/sales/{id}/queue}: the line as this node last heard it, the room's pace and cap
   * (switches applied), and the waits this node observed.
   */
  public record LineReport(String saleId, boolean heard, long admittedThrough, long leasedThrough, boolean opened,
      LineView.Counts line, Instant lineAt, String lineNode, long waitsObserved, Double waitMedianSeconds,
      Double waitP90Seconds, int admitPerSecond, int maxActive) {}

  /** {@code GET /admin/queues}: every waiting room this node knows of a sale not over, by sale id. */
  public record LineReports(List<LineReport> rooms) {}

  /** The most buyers one bypass or revocation names. */
  static final int MAX_NAMED = 1000;

  public Route routes() {
    return concat(
        path(PathMatchers.segment("api").slash("sales").slash(PathMatchers.segment()).slash("queue"),
            saleId -> respondWithHeader(CacheControl.create(CacheDirectives.NO_STORE), () -> concat(
                post(() -> join(saleId)),
                get(() -> poll(saleId)),
                delete(() -> leave(saleId))))),
        pathPrefix(PathMatchers.segment("admin").slash("sales").slash(PathMatchers.segment()).slash("queue"),
            saleId -> AuthDirectives.admin(adminToken, () -> respondWithHeader(CacheControl.create(CacheDirectives.NO_STORE),
                () -> concat(
                    pathEnd(() -> get(() -> withRoom(saleId, (view, settings) -> json(StatusCodes.OK, report(saleId, settings))))),
                    path("bypass", () -> post(() -> withRoom(saleId, this::bypass))),
                    path("revoke", () -> post(() -> withRoom(saleId, this::revoke))))))),
        path(PathMatchers.segment("admin").slash("queues"), () -> AuthDirectives.admin(adminToken,
            () -> respondWithHeader(CacheControl.create(CacheDirectives.NO_STORE), () -> get(() -> json(StatusCodes.OK, reports()))))));
  }

  /** The report of every sale this node knows with a room that is on, ended and closed sales left out. */
  private LineReports reports() {
    Instant now = Instant.now();
    return new LineReports(views.summaries(now).stream()
        .flatMap(summary -> views.get(summary.saleId()).stream())
        .filter(view -> !WaitingRoom.over(view.phase(now)))
        .flatMap(view -> room.roomOf(view.definition(), view.saleId()).map(r -> report(view.saleId(), r)).stream())
        .toList());
  }

  private Route bypass(SaleViews.LocalCopy view, WaitingRoomPolicy settings) {
    return whileOn(view, () -> jsonBody(BypassRequest.class, body -> namedBuyers(body.buyers(), () -> {
      Instant expires = Instant.now().plus(settings.admissionTtl());
      return json(StatusCodes.OK, new Bypass(room.priorityLane().admit(view.saleId(), body.buyers(), expires), expires));
    })));
  }

  /** Takes the named buyers' places out of the line; every node refuses their admission tokens once it hears. */
  private Route revoke(SaleViews.LocalCopy view, WaitingRoomPolicy settings) {
    return whileOn(view, () -> jsonBody(RevokeRequest.class, body -> namedBuyers(body.buyers(), () ->
        onComplete(room.revoke(view.saleId(), body.buyers()), done -> {
          if (done.isFailure()) return unavailable("the waiting room could not be reached just now; revoke again shortly");
          Set<String> out = done.get();
          List<String> named = body.buyers().stream().distinct().toList();
          return json(StatusCodes.OK, new Revocation(named.stream().filter(out::contains).toList(),
              named.stream().filter(buyer -> !out.contains(buyer)).toList()));
        }))));
  }

  /** The answer for a sale that is over (ended or closed), else {@code inner}. */
  private static Route whileOn(SaleViews.LocalCopy view, Supplier<Route> inner) {
    SalePhase phase = view.phase(Instant.now());
    return phase == SalePhase.ENDED || phase == SalePhase.CLOSED ? SaleReplies.rejected(phase.refusal()) : inner.get();
  }

  /** 1 to {@value #MAX_NAMED} valid buyer ids, else a 400 naming what is wrong. */
  private Route namedBuyers(List<String> buyers, Supplier<Route> inner) {
    if (buyers == null || buyers.isEmpty() || buyers.size() > MAX_NAMED) {
      return error(StatusCodes.BAD_REQUEST, "invalid_body", "buyers must name 1 to " + MAX_NAMED + " buyers");
    }
    for (String buyer : buyers) {
      if (!BuyerTokens.isValidBuyer(buyer)) {
        return error(StatusCodes.BAD_REQUEST, "invalid_buyer", "each of buyers must be a buyer id: " + BuyerTokens.BUYER_RULE);
      }
    }
    return inner.get();
  }

  /** The sale's view and room, or the answer that it has none. */
  private Route withRoom(String saleId, BiFunction<SaleViews.LocalCopy, WaitingRoomPolicy, Route> inner) {
    Optional<SaleViews.LocalCopy> found = views.get(saleId);
    if (found.isEmpty()) return SaleReplies.saleNotFound(saleId);
    Optional<WaitingRoomPolicy> settings = room.roomOf(found.get().definition(), saleId);
    if (settings.isEmpty()) {
      return error(StatusCodes.NOT_FOUND, "waiting_room_off", "sale " + saleId + " has no waiting room: reserve directly");
    }
    return inner.apply(found.get(), settings.get());
  }

  private Route join(String saleId) {
    return withRoom(saleId, (view, settings) -> {
      Instant now = Instant.now();
      SalePhase phase = view.phase(now);
      if (phase == SalePhase.ENDED || phase == SalePhase.CLOSED) return SaleReplies.rejected(phase.refusal());
      Instant joinsFrom = settings.joinsFrom(view.definition().startsAt());
      if (phase == SalePhase.UPCOMING && now.isBefore(joinsFrom)) { // an operator may open a sale early
        return error(StatusCodes.CONFLICT, "not_open", "the line for sale " + saleId + " opens at " + joinsFrom);
      }
      if (phase != SalePhase.UPCOMING && view.available() == 0) {
        metrics.soldOutNotice(saleId);
        return error(StatusCodes.GONE, "sold_out", "sold out");
      }
      return AuthDirectives.buyer(tokens, buyer -> optionalHeaderValueByName(TICKET, presented -> {
        Optional<Tickets.Ticket> held = presented.flatMap(t -> tickets.read(saleId, buyer, t));
        if (held.isPresent()) {
          Polls.QueueAnswer answer = polls.answer(view, settings, held.get());
          if (!placeOver(answer)) {
            metrics.joined(saleId, true);
            return json(StatusCodes.OK, answer.withTicket(presented.get().trim()));
          }
          return atTheDoor(saleId, buyer, () -> placed(view, settings, buyer, held.get().place(), true));
        }
        return atTheDoor(saleId, buyer, () -> placed(view, settings, buyer, -1, true));
      }));
    });
  }

  /**
   * A join that takes a place from the desk (none held, or the held place is over): with
   * the sale's challenge on, only with a solved one for this sale and buyer, else 403 saying where
   * to get one.
   */
  private Route atTheDoor(String saleId, String buyer, Supplier<Route> inner) {
    return optionalHeaderValueByName(Challenges.ACCESS_TOKEN, access -> {
      if (challenges.admitJoin(saleId, buyer, access) instanceof Challenges.Refusal refused) {
        return error(StatusCodes.FORBIDDEN, refused.code(), refused.message());
      }
      return inner.get();
    });
  }

  /** Whether the answer's place is over (expired, left, revoked): a buyer joining again goes to the back. */
  private static boolean placeOver(Polls.QueueAnswer answer) {
    return OVER.contains(answer.state());
  }

  private static final Set<String> OVER = Set.of("EXPIRED", "LEFT", "REVOKED");

  /** The buyer's place from the desk; once more when that place was over (see {@link #placeOver}). */
  private Route placed(SaleViews.LocalCopy view, WaitingRoomPolicy settings, String buyer, long expiredPlace, boolean again) {
    Instant now = Instant.now();
    Instant startsAt = view.definition().startsAt();
    // pre-queue places end at the opening, also when an operator opened the sale early
    Instant opensAt = view.phase(now) == SalePhase.UPCOMING || now.isAfter(startsAt) ? startsAt : now;
    CompletionStage<JoinDesk.Answer> asked = room.join(view.saleId(), buyer, opensAt, expiredPlace);
    return onComplete(asked, done -> {
      if (done.isFailure() || done.get() instanceof JoinDesk.NotPlaced) {
        return unavailable("the waiting room could not give a place just now; join again shortly");
      }
      JoinDesk.Placed placed = (JoinDesk.Placed) done.get();
      Tickets.Ticket ticket = new Tickets.Ticket(view.saleId(), buyer, placed.place(), placed.joinedAtMillis());
      Polls.QueueAnswer answer = polls.answer(view, settings, ticket);
      if (placeOver(answer) && again) return placed(view, settings, buyer, placed.place(), false);
      metrics.joined(view.saleId(), placed.again());
      return json(StatusCodes.OK, answer.withTicket(tickets.sign(ticket)));
    });
  }

  /** What a route does with a ticket it read. */
  private interface WithTicket {
    Route apply(SaleViews.LocalCopy view, WaitingRoomPolicy settings, Tickets.Ticket ticket);
  }

  /** The ticket in {@value #TICKET} when it was issued for this sale, else a 400 or 403. */
  private Route withTicket(String saleId, WithTicket inner) {
    return withRoom(saleId, (view, settings) -> optionalHeaderValueByName(TICKET, presented -> {
      if (presented.isEmpty() || presented.get().isBlank()) {
        return error(StatusCodes.BAD_REQUEST, "queue_ticket_required",
            "send the ticket from POST /api/sales/" + saleId + "/queue in the " + TICKET + " header");
      }
      Optional<Tickets.Ticket> ticket = tickets.read(saleId, null, presented.get().trim());
      if (ticket.isEmpty()) {
        return error(StatusCodes.FORBIDDEN, "queue_ticket_invalid", "the ticket was not issued for this sale");
      }
      return inner.apply(view, settings, ticket.get());
    }));
  }

  private Route poll(String saleId) {
    return withTicket(saleId, (view, settings, ticket) -> json(StatusCodes.OK, polls.answer(view, settings, ticket)));
  }

  /**
   * The ticket's holder leaves the line: a place not let in is skipped, an admission frees its slot
   * at once and its token is refused. Leaving again answers the same; a revoked place stays REVOKED.
   */
  private Route leave(String saleId) {
    return withTicket(saleId, (view, settings, ticket) -> whileOn(view, () -> onComplete(
        room.withdraw(saleId, List.of(new WaitingLine.Withdrawal(ticket.place(), ticket.buyer(), false))), done -> {
          if (done.isFailure()) return unavailable("the waiting room could not be reached just now; leave again shortly");
          boolean revoked = done.get().out().stream().anyMatch(WaitingLine.Withdrawal::revoked);
          return json(StatusCodes.OK, Polls.QueueAnswer.of(revoked ? "REVOKED" : "LEFT"));
        })));
  }

  private LineReport report(String saleId, WaitingRoomPolicy settings) {
    RoomMetrics.Waits waits = metrics.waits(saleId);
    return room.copies().line(saleId)
        .map(line -> new LineReport(saleId, true, line.admittedThrough(), line.leasedThrough(), line.opened(),
            line.counts(), Instant.ofEpochMilli(line.publishedAtMillis()), line.node(), waits.observed(),
            waits.medianSeconds(), waits.p90Seconds(), settings.admitPerSecond(), settings.maxActive()))
        .orElseGet(() -> new LineReport(saleId, false, 0, 0, false, null, null, null, waits.observed(),
            waits.medianSeconds(), waits.p90Seconds(), settings.admitPerSecond(), settings.maxActive()));
  }
}
