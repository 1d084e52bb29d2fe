package seckill.switches;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import seckill.serialization.CborSerializable;

/**
 * Every operator switch at one moment. A null number or an empty collection means "not switched":
 * the node uses its startup config. Collections are kept sorted so the JSON reads the same on every node.
 */
public record SwitchValues(
    boolean pauseAll,
    Set<String> pausedSales,
    boolean readOnly,
    Integer nodeRatePerSecond,
    Map<String, Integer> saleRatePerSecond,
    Integer queueSize,
    Long waitBudgetMillis,
    int challengeDifficulty,
    Map<String, Integer> saleChallengeDifficulty,
    Set<String> disabledFeatures,
    Map<String, Integer> saleAdmitPerSecond,
    Map<String, Integer> saleMaxActive)
    implements CborSerializable {

  /** Values without waiting-room switches (as written before the room existed). */
  public SwitchValues(boolean pauseAll, Set<String> pausedSales, boolean readOnly, Integer nodeRatePerSecond,
      Map<String, Integer> saleRatePerSecond, Integer queueSize, Long waitBudgetMillis, int challengeDifficulty,
      Map<String, Integer> saleChallengeDifficulty, Set<String> disabledFeatures) {
    this(pauseAll, pausedSales, readOnly, nodeRatePerSecond, saleRatePerSecond, queueSize, waitBudgetMillis,
        challengeDifficulty, saleChallengeDifficulty, disabledFeatures, Map.of(), Map.of());
  }

  /** Non-essential endpoints an operator may turn off; reserve and status are never among them. */
  public static final SortedSet<String> FEATURES = Collections.unmodifiableSortedSet(
      new TreeSet<>(List.of("sale-page", "buyer-reservations", "reservation-lookup")));

  /** Nothing switched: every node runs on its startup config. */
  public static final SwitchValues NONE =
      new SwitchValues(false, Set.of(), false, null, Map.of(), null, null, 0, Map.of(), Set.of());

  public SwitchValues {
    pausedSales = sorted(pausedSales);
    saleRatePerSecond = sorted(saleRatePerSecond);
    saleChallengeDifficulty = sorted(saleChallengeDifficulty);
    disabledFeatures = sorted(disabledFeatures);
    saleAdmitPerSecond = sorted(saleAdmitPerSecond);
    saleMaxActive = sorted(saleMaxActive);
  }

  private static SortedSet<String> sorted(Set<String> set) {
    return Collections.unmodifiableSortedSet(set == null ? new TreeSet<>() : new TreeSet<>(set));
  }

  private static SortedMap<String, Integer> sorted(Map<String, Integer> map) {
    return Collections.unmodifiableSortedMap(map == null ? new TreeMap<>() : new TreeMap<>(map));
  }

  public boolean paused(String saleId) {
    return pauseAll || pausedSales.contains(saleId);
  }

  public boolean featureOff(String feature) {
    return disabledFeatures.contains(feature);
  }

  /**
   * The proof-of-work difficulty a sale's challenge asks for, over the node's {@code configured}
   * one: an operator's per-sale value wins (0 turns that sale's challenge off), else the higher of
   * the operator's global value and the configured one. 0 means no challenge.
   */
  public int difficultyFor(String saleId, int configured) {
    Integer perSale = saleChallengeDifficulty.get(saleId);
    return perSale != null ? perSale : Math.max(challengeDifficulty, configured);
  }

  /** The names of the switches whose value differs in {@code other}, in declaration order. */
  public List<String> differencesTo(SwitchValues other) {
    List<String> fields = new ArrayList<>();
    if (pauseAll != other.pauseAll) fields.add("pauseAll");
    if (!pausedSales.equals(other.pausedSales)) fields.add("pausedSales");
    if (readOnly != other.readOnly) fields.add("readOnly");
    if (!Objects.equals(nodeRatePerSecond, other.nodeRatePerSecond)) fields.add("nodeRatePerSecond");
    if (!saleRatePerSecond.equals(other.saleRatePerSecond)) fields.add("saleRatePerSecond");
    if (!Objects.equals(queueSize, other.queueSize)) fields.add("queueSize");
    if (!Objects.equals(waitBudgetMillis, other.waitBudgetMillis)) fields.add("waitBudgetMillis");
    if (challengeDifficulty != other.challengeDifficulty) fields.add("challengeDifficulty");
    if (!saleChallengeDifficulty.equals(other.saleChallengeDifficulty)) fields.add("saleChallengeDifficulty");
    if (!disabledFeatures.equals(other.disabledFeatures)) fields.add("disabledFeatures");
    if (!saleAdmitPerSecond.equals(other.saleAdmitPerSecond)) fields.add("saleAdmitPerSecond");
    if (!saleMaxActive.equals(other.saleMaxActive)) fields.add("saleMaxActive");
    return fields;
  }
}
