package seckill.switches;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import seckill.serialization.CborSerializable;

/**
 * One operator change, applied by the switchboard to the values it holds (so two operators changing
 * different switches at once both win). A null field is left as it is; {@code reset} names the fields
 * that go back to the startup config; a null value in a map removes that sale's entry.
 */
public record SwitchPatch(
    Boolean pauseAll,
    Set<String> pausedSales,
    Set<String> pause,
    Set<String> resume,
    Boolean readOnly,
    Integer nodeRatePerSecond,
    Map<String, Integer> saleRatePerSecond,
    Integer queueSize,
    Long waitBudgetMillis,
    Integer challengeDifficulty,
    Map<String, Integer> saleChallengeDifficulty,
    Set<String> disabledFeatures,
    Set<String> reset,
    Map<String, Integer> saleAdmitPerSecond,
    Map<String, Integer> saleMaxActive)
    implements CborSerializable {

  public SwitchPatch {
    reset = reset == null ? Set.of() : Set.copyOf(reset);
  }

  /** A change of no waiting-room switch (as written before the room existed). */
  public SwitchPatch(Boolean pauseAll, Set<String> pausedSales, Set<String> pause, Set<String> resume, Boolean readOnly,
      Integer nodeRatePerSecond, Map<String, Integer> saleRatePerSecond, Integer queueSize, Long waitBudgetMillis,
      Integer challengeDifficulty, Map<String, Integer> saleChallengeDifficulty, Set<String> disabledFeatures,
      Set<String> reset) {
    this(pauseAll, pausedSales, pause, resume, readOnly, nodeRatePerSecond, saleRatePerSecond, queueSize,
        waitBudgetMillis, challengeDifficulty, saleChallengeDifficulty, disabledFeatures, reset, null, null);
  }

  /**
   * The bounds a value must keep, from the node's config, and what a sale id looks like (the sale's
   * rule, handed in: the switches know sale ids only as names).
   */
  public record Limits(int maxQueueSize, long maxWaitBudgetMillis, int maxRatePerSecond, int maxDifficulty,
      int maxSales, Predicate<String> isSaleId, int maxAdmitPerSecond, int maxActive) {
    /** {@code maxAdmitPerSecond} and {@code maxActive}: the bounds of a sale's waiting room, handed in like the sale id's rule. */
    public static Limits fromConfig(Config config, Predicate<String> isSaleId, int maxAdmitPerSecond,
        int maxActive) {
      return new Limits(
          config.getInt("seckill.admission.queue-size"),
          config.getDuration("seckill.admission.answer-timeout").toMillis(),
          config.getInt("seckill.switches.max-rate-per-second"),
          config.getInt("seckill.switches.max-challenge-difficulty"),
          config.getInt("seckill.switches.max-sales"),
          isSaleId, maxAdmitPerSecond, maxActive);
    }
  }

  /** Pauses or resumes one sale, leaving the other paused sales as they are. */
  public static SwitchPatch pausing(String saleId, boolean paused) {
    Set<String> one = Set.of(saleId);
    return new SwitchPatch(null, null, paused ? one : null, paused ? null : one,
        null, null, null, null, null, null, null, null, null);
  }

  /**
   * Reads a PATCH body (JSON merge-patch style: a field set to null goes back to its default).
   * Every problem is an {@link IllegalArgumentException} whose message is meant for the operator.
   */
  public static SwitchPatch parse(JsonNode body, Limits limits) {
    Set<String> reset = new HashSet<>();
    Boolean pauseAll = null;
    Boolean readOnly = null;
    Set<String> pausedSales = null;
    Set<String> disabled = null;
    Integer nodeRate = null;
    Integer queueSize = null;
    Long waitBudget = null;
    Integer difficulty = null;
    Map<String, Integer> saleRates = null;
    Map<String, Integer> saleDifficulty = null;
    Map<String, Integer> admitRates = null;
    Map<String, Integer> maxActive = null;
    boolean any = false;
    for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String name = field.getKey();
      JsonNode v = field.getValue();
      if (name.equals("by")) continue;
      any = true;
      if (!KNOWN.contains(name)) throw unknown(name);
      if (v.isNull()) {
        reset.add(name);
        continue;
      }
      switch (name) {
        case "pauseAll" -> pauseAll = bool(name, v);
        case "readOnly" -> readOnly = bool(name, v);
        case "pausedSales" -> pausedSales = names(name, v, limits.maxSales(), id -> saleId(id, limits));
        case "disabledFeatures" -> disabled = names(name, v, SwitchValues.FEATURES.size(), SwitchPatch::feature);
        case "nodeRatePerSecond" -> nodeRate = (int) number(name, v, 1, limits.maxRatePerSecond());
        case "queueSize" -> queueSize = (int) number(name, v, 1, limits.maxQueueSize());
        case "waitBudgetMillis" -> waitBudget = number(name, v, 1, limits.maxWaitBudgetMillis());
        case "challengeDifficulty" -> difficulty = (int) number(name, v, 0, limits.maxDifficulty());
        case "saleRatePerSecond" -> saleRates = perSale(name, v, limits, 1, limits.maxRatePerSecond());
        case "saleChallengeDifficulty" -> saleDifficulty = perSale(name, v, limits, 0, limits.maxDifficulty());
        case "saleAdmitPerSecond" -> admitRates = perSale(name, v, limits, 1, limits.maxAdmitPerSecond());
        case "saleMaxActive" -> maxActive = perSale(name, v, limits, 1, limits.maxActive());
        default -> throw unknown(name);
      }
    }
    if (!any) throw new IllegalArgumentException("name at least one switch to change besides \"by\"");
    return new SwitchPatch(pauseAll, pausedSales, null, null, readOnly, nodeRate, saleRates, queueSize, waitBudget,
        difficulty, saleDifficulty, disabled, reset, admitRates, maxActive);
  }

  private static final Set<String> KNOWN = Set.of("pauseAll", "readOnly", "pausedSales", "disabledFeatures", "nodeRatePerSecond",
      "queueSize", "waitBudgetMillis", "challengeDifficulty", "saleRatePerSecond", "saleChallengeDifficulty",
      "saleAdmitPerSecond", "saleMaxActive");

  private static IllegalArgumentException unknown(String name) {
    return new IllegalArgumentException("unknown switch \"" + name + "\"; known: "
        + String.join(", ", KNOWN.stream().sorted().toList()) + " (and \"by\")");
  }

  private static boolean bool(String name, JsonNode v) {
    if (!v.isBoolean()) throw new IllegalArgumentException(name + " must be true or false");
    return v.booleanValue();
  }

  private static long number(String name, JsonNode v, long min, long max) {
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < min || v.longValue() > max)
      throw new IllegalArgumentException(name + " must be a whole number from " + min + " to " + max + ", or null to reset");
    return v.longValue();
  }

  private static String saleId(String value, Limits limits) {
    if (!limits.isSaleId().test(value)) throw new IllegalArgumentException("\"" + value + "\" is not a sale id");
    return value;
  }

  private static String feature(String value) {
    if (!SwitchValues.FEATURES.contains(value))
      throw new IllegalArgumentException("\"" + value + "\" is not a feature that can be turned off; those are "
          + String.join(", ", SwitchValues.FEATURES));
    return value;
  }

  private static Set<String> names(String name, JsonNode v, int max, Function<String, String> check) {
    if (!v.isArray()) throw new IllegalArgumentException(name + " must be an array of strings");
    if (v.size() > max) throw new IllegalArgumentException(name + " holds at most " + max + " entries");
    Set<String> out = new HashSet<>();
    for (JsonNode item : v) {
      if (!item.isTextual()) throw new IllegalArgumentException(name + " must be an array of strings");
      out.add(check.apply(item.textValue()));
    }
    return out;
  }

  private static Map<String, Integer> perSale(String name, JsonNode v, Limits limits, int min, int max) {
    if (!v.isObject()) throw new IllegalArgumentException(name + " must be an object of sale id to number");
    if (v.size() > limits.maxSales()) throw new IllegalArgumentException(name + " holds at most " + limits.maxSales() + " sales");
    Map<String, Integer> out = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      saleId(e.getKey(), limits);
      out.put(e.getKey(), e.getValue().isNull() ? null : (int) number(name + "." + e.getKey(), e.getValue(), min, max));
    }
    return out;
  }

  /** The values after this change; never more sales in a list or map than {@code maxSales}. */
  public SwitchValues applyTo(SwitchValues v, int maxSales) {
    Set<String> paused = new HashSet<>(reset.contains("pausedSales") ? Set.of() : pausedSales != null ? pausedSales : v.pausedSales());
    if (pause != null) paused.addAll(pause);
    if (resume != null) paused.removeAll(resume);
    if (paused.size() > maxSales) throw new IllegalArgumentException("at most " + maxSales + " sales can be paused one by one; pause all instead");
    return new SwitchValues(
        pauseAll != null ? pauseAll : !reset.contains("pauseAll") && v.pauseAll(),
        paused,
        readOnly != null ? readOnly : !reset.contains("readOnly") && v.readOnly(),
        reset.contains("nodeRatePerSecond") ? null : nodeRatePerSecond != null ? nodeRatePerSecond : v.nodeRatePerSecond(),
        merged("saleRatePerSecond", saleRatePerSecond, v.saleRatePerSecond(), maxSales),
        reset.contains("queueSize") ? null : queueSize != null ? queueSize : v.queueSize(),
        reset.contains("waitBudgetMillis") ? null : waitBudgetMillis != null ? waitBudgetMillis : v.waitBudgetMillis(),
        reset.contains("challengeDifficulty") ? 0 : challengeDifficulty != null ? challengeDifficulty : v.challengeDifficulty(),
        merged("saleChallengeDifficulty", saleChallengeDifficulty, v.saleChallengeDifficulty(), maxSales),
        reset.contains("disabledFeatures") ? Set.of() : disabledFeatures != null ? disabledFeatures : v.disabledFeatures(),
        merged("saleAdmitPerSecond", saleAdmitPerSecond, v.saleAdmitPerSecond(), maxSales),
        merged("saleMaxActive", saleMaxActive, v.saleMaxActive(), maxSales));
  }

  private Map<String, Integer> merged(String name, Map<String, Integer> change, Map<String, Integer> current, int maxSales) {
    if (reset.contains(name)) return Map.of();
    if (change == null) return current;
    Map<String, Integer> out = new LinkedHashMap<>(current);
    change.forEach((sale, value) -> {
      if (value == null) out.remove(sale);
      else out.put(sale, value);
    });
    if (out.size() > maxSales) throw new IllegalArgumentException(name + " would hold more than " + maxSales + " sales");
    return out;
  }
}
