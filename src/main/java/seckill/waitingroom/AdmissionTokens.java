package seckill.waitingroom;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import seckill.auth.Signer;
import seckill.auth.TokenUses;
import seckill.sale.WaitingRoomPolicy;

/**
 * Admission tokens: signed, so any node reads them, and single use across the cluster: this node
 * refuses a token another request took here ({@link TokenUses}, no round trip), and the sale, which
 * records every admission its reserves used, refuses one taken on another node ({@code admission_used}).
 * A token whose place left the line or was revoked is refused once this node's copy of the line says
 * so. Once a reserve is answered its admission is finished, and the finished ranks go to the line in
 * batches, freeing their places among the active.
 */
final class AdmissionTokens {

  /** The signing domain, so no other token passes for an admission. */
  static final String DOMAIN = "admission.";

  /** The most finished ranks sent to a line in one message. */
  private static final int MAX_FINISHED_PER_MESSAGE = 10_000;

  /** What an admission token says: this buyer of this sale was admitted at {@code rank} until {@code expires}. */
  record Claims(String sale, String buyer, long rank, long expires) {}

  private final Signer signer;
  private final Clock clock;
  private final ClusterSharding sharding;
  private final TokenUses used;
  private final LineCopies copies;
  private final Map<String, ConcurrentLinkedQueue<Long>> finished = new ConcurrentHashMap<>();

  AdmissionTokens(Signer signer, Clock clock, long usedMax, ClusterSharding sharding, LineCopies copies) {
    this.signer = signer;
    this.copies = copies;
    this.clock = clock;
    this.sharding = sharding;
    this.used = new TokenUses(usedMax, WaitingRoomPolicy.MAX_TTL);
  }

  String issue(String saleId, String buyer, long rank, long expiresMillis) {
    return signer.sign(DOMAIN, new Claims(saleId, buyer, rank, expiresMillis));
  }

  /**
   * Whether a reserve of a sale with a room may pass: only with a valid, unexpired admission token
   * of this sale and buyer whose place is still in the line and that no other request used on this
   * node (the first request to present it takes it; that request's retries pass again until the sale
   * refuses it, see {@link TokenUses}). The sale checks the same across nodes.
   */
  RoomVerdict check(String saleId, String buyer, String requestId, Optional<String> token) {
    if (token.isEmpty() || token.get().isBlank()) {
      return new RoomVerdict.Refused("admission_required", "this sale has a waiting room: POST /api/sales/" + saleId
          + "/queue, then reserve with the admission token once admitted");
    }
    Optional<Claims> read = signer.verify(DOMAIN, token.get().trim(), Claims.class);
    if (read.isEmpty() || !saleId.equals(read.get().sale()) || !buyer.equals(read.get().buyer()))
      return new RoomVerdict.Refused("admission_invalid", "the admission token was not issued for this sale and buyer");
    Claims claims = read.get();
    if (clock.millis() >= claims.expires())
      return new RoomVerdict.Refused("admission_expired", "the admission token expired; join the queue again", true);
    if (withdrawn(saleId, claims.rank()))
      return new RoomVerdict.Refused("admission_revoked",
          "the admission was revoked (its buyer left the line, or an operator took it back); join the queue again");
    if (used.claim(saleId + '|' + claims.rank(), requestId) == TokenUses.Claim.SPENT)
      return new RoomVerdict.Refused("admission_used", "the admission token was used by another request; join the queue again");
    return new RoomVerdict.LetIn(saleId, claims.rank(), requestId);
  }

  /** Whether the place let in at {@code rank} is out of the line (the priority lane's ranks never are). */
  private boolean withdrawn(String saleId, long rank) {
    if (rank < 0) return false;
    LineView line = copies.line(saleId).orElse(null);
    return line != null && line.withdrawnAs(line.placeOf(rank)) != null;
  }

  /**
   * After the reserve's answer: an answer from the sale ends the admission and frees its place among
   * the active; a refusal also spends the token for retries. No answer leaves both as they were; an
   * admission another request took lets go of this request's claim here (the other request's answer
   * ends the admission).
   */
  void settle(RoomVerdict.LetIn letIn, RoomVerdict.SaleAnswer answer) {
    if (letIn.saleId() == null || answer == RoomVerdict.SaleAnswer.NONE) return;
    if (answer == RoomVerdict.SaleAnswer.TAKEN) {
      used.release(letIn.saleId() + '|' + letIn.rank(), letIn.requestId());
      return;
    }
    if (answer == RoomVerdict.SaleAnswer.REFUSED) used.refused(letIn.saleId() + '|' + letIn.rank());
    if (letIn.rank() < 0) return; // the priority lane's: never in the line
    finished.computeIfAbsent(letIn.saleId(), id -> new ConcurrentLinkedQueue<>()).add(letIn.rank());
  }

  /** Tells each line the ranks finished since the last flush. */
  void flushFinished() {
    finished.forEach((saleId, queue) -> {
      List<Long> ranks = new ArrayList<>();
      Long rank;
      while (ranks.size() < MAX_FINISHED_PER_MESSAGE && (rank = queue.poll()) != null) ranks.add(rank);
      if (!ranks.isEmpty()) sharding.entityRefFor(WaitingLine.ENTITY_KEY, saleId).tell(new WaitingLine.Finished(ranks));
    });
  }
}
