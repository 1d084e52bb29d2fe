package seckill.admin;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static seckill.http.JsonAnswers.error;
import static seckill.http.JsonAnswers.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import seckill.http.JsonBodies;
import seckill.sale.SaleIds;
import seckill.sale.WaitingRoomPolicy;
import seckill.switches.SwitchPatch;
import seckill.switches.SwitchValues;
import seckill.switches.Switchboard;
import seckill.switches.Switches;

/**
 * {@code /admin/switches}: read this node's copy of the operator switches, change them through the
 * switchboard. Mounted by {@link AdminRoutes}, behind the admin token.
 */
public final class SwitchRoutes {

  private static final int MAX_BY = 100;

  /** What this node enforces where a switch is not set: the switch's value or the startup config. */
  public record Effective(int nodeRatePerSecond, int queueSize, long waitBudgetMillis) {}

  /** {@code GET /admin/switches}; absent numbers in {@code values} mean "the startup config". */
  public record SwitchesView(long version, SwitchValues values, Effective effective,
      Map<String, Switchboard.Stamp> changed, List<Switchboard.ChangeRecord> history, Set<String> features) {}

  private final Switches switches;
  private final ClusterSharding sharding;
  private final SwitchPatch.Limits limits;
  private final int configuredRate;
  private final long configuredBudget;
  private final Duration askTimeout;
  private final JsonBodies bodies;

  public SwitchRoutes(ActorSystem<?> system) {
    Config config = system.settings().config();
    this.askTimeout = config.getDuration("seckill.http.ask-timeout");
    this.bodies = new JsonBodies(system);
    this.switches = Switches.get(system);
    this.sharding = ClusterSharding.get(system);
    this.limits = SwitchPatch.Limits.fromConfig(config, SaleIds::isValidSaleId,
        WaitingRoomPolicy.MAX_ADMIT_PER_SECOND, WaitingRoomPolicy.MAX_ACTIVE);
    this.configuredRate = config.getInt("seckill.admission.rate-limit.per-second");
    this.configuredBudget = config.getDuration("seckill.admission.wait-budget").toMillis();
  }

  /** The routes under {@code /admin/switches}, to be placed inside the admin token check. */
  public Route routes() {
    return pathPrefix("switches", () -> concat(
        pathEnd(() -> concat(
            get(() -> extractRequestContext(ctx -> json(StatusCodes.OK, view(switches.state())))),
            patch(() -> bodies.parse(JsonNode.class, this::change)))),
        path(PathMatchers.segment("paused-sales").slash(PathMatchers.segment()), saleId -> concat(
            put(() -> pauseOne(saleId, true)),
            delete(() -> pauseOne(saleId, false))))));
  }

  private Route change(JsonNode body) {
    if (!body.isObject()) return invalid("body must be a JSON object");
    Optional<String> by = operator(body.get("by") == null || !body.get("by").isTextual() ? null : body.get("by").textValue());
    if (by.isEmpty()) return invalid("\"by\" must name the operator (1 to " + MAX_BY + " characters)");
    SwitchPatch patch;
    try {
      patch = SwitchPatch.parse(body, limits);
    } catch (IllegalArgumentException e) {
      return invalid(e.getMessage());
    }
    return apply(patch, by.get());
  }

  private Route pauseOne(String saleId, boolean paused) {
    return parameterOptional("by", by -> {
      if (operator(by.orElse(null)).isEmpty())
        return invalid("the query parameter \"by\" must name the operator (1 to " + MAX_BY + " characters)");
      if (!SaleIds.isValidSaleId(saleId)) return invalid("\"" + saleId + "\" is not a sale id");
      return apply(SwitchPatch.pausing(saleId, paused), by.get().trim());
    });
  }

  private Route apply(SwitchPatch patch, String by) {
    return onSuccess(sharding.entityRefFor(Switchboard.ENTITY_KEY, Switchboard.ID)
            .<Switchboard.ChangeReply>ask(replyTo -> new Switchboard.Change(patch, by, replyTo), askTimeout),
        reply -> {
          if (!(reply instanceof Switchboard.Changed changed)) return invalid(((Switchboard.Refused) reply).message());
          // the operator's next GET on this node shows the change, wherever the switchboard runs
          switches.offer(changed.state());
          return json(StatusCodes.OK, view(changed.state()));
        });
  }

  private static Optional<String> operator(String by) {
    if (by == null || by.isBlank() || by.trim().length() > MAX_BY) return Optional.empty();
    return Optional.of(by.trim());
  }

  private Route invalid(String message) {
    return error(StatusCodes.BAD_REQUEST, "invalid_switch", message);
  }

  private SwitchesView view(Switchboard.State state) {
    SwitchValues v = state.values();
    Effective effective = new Effective(
        v.nodeRatePerSecond() != null ? v.nodeRatePerSecond() : configuredRate,
        v.queueSize() != null ? v.queueSize() : limits.maxQueueSize(),
        v.waitBudgetMillis() != null ? v.waitBudgetMillis() : configuredBudget);
    return new SwitchesView(state.version(), v, effective, state.stamps(), state.history(), SwitchValues.FEATURES);
  }
}
