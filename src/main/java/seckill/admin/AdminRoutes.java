package seckill.admin;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static seckill.http.JsonAnswers.error;
import static seckill.http.JsonAnswers.json;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.cluster.typed.Leave;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import seckill.admission.HotKeys;
import seckill.admission.ReserveQueue;
import seckill.auth.AuthDirectives;
import seckill.http.JsonBodies;
import seckill.sale.Sale;
import seckill.sale.SaleDefinition;
import seckill.sale.SaleIds;
import seckill.sale.SaleJson.AdminSaleView;
import seckill.sale.SaleJson.PaymentRequest;
import seckill.sale.SaleJson.SaleRequest;
import seckill.sale.SaleJson.StockRequest;
import seckill.sale.SaleReplies;
import seckill.sale.SaleViews;
import seckill.sale.Sales;
import seckill.switches.SwitchDirectives;

/**
 * The operator API under {@code /admin}, behind the admin bearer token; works from any node for any sale.
 * In read-only mode its changes to sales and reservations answer 503; the switches stay writable.
 */
public final class AdminRoutes {

  private static final int MAX_PAYMENT_ID = 100;

  private final ActorSystem<?> system;
  private final Sales sales;
  private final ReserveQueue queue;
  private final HotKeys hotKeys;
  private final SaleViews views;
  private final String adminToken;
  private final SwitchRoutes switchRoutes;
  private final SwitchDirectives brakes;
  private final JsonBodies bodies;

  public static Route init(ActorSystem<?> system) {
    return new AdminRoutes(system).routes();
  }

  public AdminRoutes(ActorSystem<?> system) {
    this.system = system;
    this.switchRoutes = new SwitchRoutes(system);
    this.brakes = new SwitchDirectives(system);
    this.bodies = new JsonBodies(system);
    this.sales = new Sales(system);
    this.queue = ReserveQueue.get(system);
    this.hotKeys = HotKeys.get(system);
    this.views = SaleViews.get(system);
    this.adminToken = system.settings().config().getString("seckill.auth.admin-token");
  }

  public Route routes() {
    return pathPrefix("admin", () -> AuthDirectives.admin(adminToken, () -> concat(
        path("admission", () -> get(() -> json(StatusCodes.OK, queue.stats()))),
        path("outcomes", () -> get(() -> json(StatusCodes.OK, new Outcomes(Instant.now(), queue.outcomes())))),
        path("sales", () -> get(() -> json(StatusCodes.OK, new SaleList(views.summaries(Instant.now()))))),
        path("cluster", () -> get(() -> json(StatusCodes.OK, members()))),
        path("hotspots", () -> get(() -> json(StatusCodes.OK, hotKeys.hotspots()))),
        path(PathMatchers.segment("cluster").slash(PathMatchers.segment()), operation ->
            post(() -> bodies.parse(MemberRequest.class, body -> member(operation, body.address())))),
        switchRoutes.routes(),
        pathPrefix(PathMatchers.segment("sales").slash(PathMatchers.segment()), saleId -> concat(
            pathEndOrSingleSlash(() -> concat(
                put(() -> brakes.writable(() -> define(saleId))),
                get(() -> counters(saleId)))),
            path("placement", () -> get(() -> placement(saleId))),
            path("open", () -> post(() -> brakes.writable(() -> confirm(saleId, Sale.Open::new)))),
            path("pause", () -> post(() -> brakes.writable(() -> confirm(saleId, Sale.Pause::new)))),
            path("close", () -> post(() -> brakes.writable(() -> confirm(saleId, Sale.Close::new)))),
            path("stock", () -> post(() -> brakes.writable(() -> addStock(saleId)))))),
        pathPrefix(PathMatchers.segment("reservations").slash(PathMatchers.segment()), rid -> concat(
            pathEnd(() -> concat(
                get(() -> reservation(rid, r -> new Sale.GetReservation(rid, null, r))),
                delete(() -> brakes.writable(() -> reservation(rid, r -> new Sale.Cancel(rid, null, r)))))),
            path("payment", () -> post(() -> brakes.writable(() -> payment(rid)))))))));
  }

  /** {@code POST /admin/cluster/leave} and {@code /down}: which member. */
  public record MemberRequest(String address) {}

  /** {@code GET /admin/outcomes}: this node's reserve answers since it started, by outcome. */
  public record Outcomes(Instant at, SortedMap<String, Long> counts) {}

  /** {@code GET /admin/sales}: every sale this node's views know. */
  public record SaleList(List<SaleViews.Summary> sales) {}

  /** {@code GET /admin/cluster}: the members as this node sees them. */
  public record Members(String self, String leader, List<MemberView> members, List<String> unreachable) {}

  public record MemberView(String address, String status, List<String> roles) {}

  private Members members() {
    var state = Cluster.get(system).state();
    List<MemberView> members = new ArrayList<>();
    state.getMembers().forEach(m -> members.add(new MemberView(m.address().toString(), m.status().toString(),
        List.copyOf(new TreeSet<>(m.getRoles())))));
    List<String> unreachable = new ArrayList<>();
    state.getUnreachable().forEach(m -> unreachable.add(m.address().toString()));
    return new Members(Cluster.get(system).selfMember().address().toString(),
        state.getLeader() == null ? null : state.getLeader().toString(), members, unreachable);
  }

  /** The answer: the operation was handed to the cluster, which carries it out within seconds. */
  public record MemberOperation(String address, String operation) {}

  /**
   * Leave (graceful: hands its shards off, then exits) or down (for a member that is gone) through
   * the admin token, since the management port is read-only.
   */
  private Route member(String operation, String address) {
    if (!operation.equals("leave") && !operation.equals("down")) return reject();
    Address target;
    try {
      target = AddressFromURIString.parse(address == null ? "" : address);
    } catch (Exception malformed) { // a MalformedURLException, thrown undeclared from Scala
      return error(StatusCodes.BAD_REQUEST, "invalid_address", "address must be a member address such as pekko://seckill@10.0.0.1:25520");
    }
    Cluster cluster = Cluster.get(system);
    boolean member = StreamSupport.stream(cluster.state().getMembers().spliterator(), false)
        .anyMatch(m -> m.address().equals(target));
    if (!member) return error(StatusCodes.NOT_FOUND, "member_not_found", "no member " + address);
    cluster.manager().tell(operation.equals("leave") ? Leave.create(target) : new Down(target));
    return json(StatusCodes.ACCEPTED, new MemberOperation(target.toString(), operation));
  }

  private Route define(String saleId) {
    return bodies.parse(SaleRequest.class, body -> {
      if (!SaleIds.isValidSaleId(saleId))
        return error(StatusCodes.BAD_REQUEST, "invalid_sale_id", "sale id must be 1 to 64 of A-Z a-z 0-9 _ -");
      String missing = body.missingField();
      if (missing != null) return error(StatusCodes.BAD_REQUEST, "invalid_definition", missing + " is required");
      SaleDefinition definition = body.toDefinition();
      // refused here, so a bad definition for a new id never starts (and remembers) an entity
      var problem = definition.problem(Instant.now());
      if (problem.isPresent()) return error(StatusCodes.BAD_REQUEST, "invalid_definition", problem.get());
      return confirm(saleId, r -> new Sale.Define(definition, r));
    });
  }

  private Route addStock(String saleId) {
    return bodies.parse(StockRequest.class, body -> body.units() == null
        ? error(StatusCodes.BAD_REQUEST, "invalid_stock", "units is required")
        : confirm(saleId, r -> new Sale.AddStock(body.units(), r)));
  }

  private Route confirm(String saleId, Function<ActorRef<Sale.Confirmation>, Sale.Command> command) {
    if (!SaleIds.isValidSaleId(saleId)) return SaleReplies.saleNotFound(saleId);
    return onSuccess(sales.ask(saleId, command), reply -> reply instanceof Sale.Accepted accepted
        ? json(StatusCodes.OK, AdminSaleView.of(accepted.status()))
        : SaleReplies.rejected((Sale.Rejected) reply));
  }

  private Route counters(String saleId) {
    if (!SaleIds.isValidSaleId(saleId)) return SaleReplies.saleNotFound(saleId);
    return onSuccess(sales.status(saleId), status -> status.definition() == null
        ? SaleReplies.saleNotFound(saleId)
        : json(StatusCodes.OK, AdminSaleView.of(status)));
  }

  private Route placement(String saleId) {
    if (!SaleIds.isValidSaleId(saleId)) return SaleReplies.saleNotFound(saleId);
    return onSuccess(sales.placement(saleId), placement -> json(StatusCodes.OK, placement));
  }

  private Route payment(String reservationId) {
    return bodies.parse(PaymentRequest.class, body -> {
      String paymentId = body.paymentId();
      if (paymentId == null || paymentId.isBlank() || paymentId.length() > MAX_PAYMENT_ID)
        return error(StatusCodes.BAD_REQUEST, "invalid_payment_id", "paymentId must be 1 to " + MAX_PAYMENT_ID + " characters");
      return reservation(reservationId, r -> new Sale.ConfirmPayment(reservationId, paymentId, r));
    });
  }

  private Route reservation(String reservationId, Function<ActorRef<Sale.ReservationReply>, Sale.Command> command) {
    var saleId = SaleIds.saleIdOf(reservationId);
    if (saleId.isEmpty())
      return error(StatusCodes.NOT_FOUND, "reservation_not_found", "no reservation " + reservationId);
    return SaleReplies.reservationAnswer(sales.ask(saleId.get(), command));
  }
}
