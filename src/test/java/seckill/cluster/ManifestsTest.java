package seckill.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.util.Yaml;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import seckill.cluster.Manifests.Rule;

/**
 * The kustomize overlays as {@code kubectl apply -k} would send them: each renders, every object
 * loads with the official Kubernetes client's models (known kinds and fields, right types), and the
 * rules of {@link Manifests} hold. Each rule is also shown to fail on a manifest broken for it.
 */
class ManifestsTest {

  private static final Path LOCAL = Path.of("k8s/overlays/local");
  private static final Path PRODUCTION = Path.of("k8s/overlays/production");
  private static final Config APP = ConfigFactory.load();

  /**
   * Every document of a YAML stream as the client's typed model (which throws on unknown fields and
   * wrong types; a kind it has no model of is a rejection), but for the one custom resource we ship,
   * the Prometheus operator's ServiceMonitor, which is read as a plain map.
   */
  static List<Object> load(String yaml) {
    List<Object> loaded = new ArrayList<>();
    for (String document : yaml.split("(?m)^---\\s*$")) {
      if (document.isBlank()) continue;
      Map<String, Object> plain = new org.yaml.snakeyaml.Yaml().load(document);
      if (plain == null || !(plain.get("kind") instanceof String kind)) {
        throw new IllegalArgumentException("not a Kubernetes object:\n" + document);
      }
      if (Manifests.SERVICE_MONITOR.equals(kind)) {
        loaded.add(new Manifests.Custom(plain));
        continue;
      }
      Object typed;
      try {
        typed = Yaml.load(document);
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException(kind + " does not load: " + e.getMessage(), e);
      }
      if (typed == null || typed instanceof Map || typed instanceof DynamicKubernetesObject) {
        throw new IllegalArgumentException(kind + ": not a known Kubernetes kind");
      }
      loaded.add(typed);
    }
    return loaded;
  }

  private static String render(Path overlay) {
    return Kubectl.kustomize(overlay);
  }

  private static void holds(Path overlay, List<Rule> rules) {
    List<Object> objects = load(render(overlay));
    for (Rule rule : rules) rule.check().accept(new Manifests(objects, APP));
  }

  @Test
  void theLocalOverlayRendersAndKeepsItsRules() {
    holds(LOCAL, Manifests.local());
  }

  @Test
  void theProductionOverlayRendersAndKeepsItsRules() {
    holds(PRODUCTION, Manifests.production());
  }

  @Test
  void nothingAtTheTopOfK8sForApplyF() throws IOException {
    // `kubectl apply -f k8s/` must not take anything, least of all a Secret: only base/ and overlays/
    try (Stream<Path> top = Files.list(Path.of("k8s"))) {
      assertEquals(List.of("base", "overlays"), top.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void brokenManifestsAreRejectedByTheLoader() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("src/test/resources/k8s-broken"))) {
      List<Path> broken = files.sorted().toList();
      assertEquals(3, broken.size());
      for (Path file : broken) {
        String yaml = Files.readString(file);
        assertThrows(Exception.class, () -> load(yaml), file + " should be rejected");
      }
    }
  }

  /** Each rule fails on the rendered overlay with one line changed for it: no rule passes whatever the manifests say. */
  @Test
  void eachRuleFailsOnAManifestBrokenForIt() {
    String local = render(LOCAL);
    String production = render(PRODUCTION);
    for (Rule rule : Manifests.local()) breaks(rule, local);
    for (Rule rule : Manifests.production()) breaks(rule, production);
  }

  private static void breaks(Rule rule, String rendered) {
    assertFalse(rule.breakings().isEmpty(), rule.name() + " has no breaking change");
    for (Map.Entry<String, String> breaking : rule.breakings().entrySet()) {
      assertTrue(rendered.contains(breaking.getKey()), rule.name() + ": '" + breaking.getKey() + "' not in the manifests");
      String broken = rendered.replace(breaking.getKey(), breaking.getValue());
      Consumer<Manifests> check = rule.check();
      assertThrows(AssertionError.class, () -> check.accept(new Manifests(load(broken), APP)),
          rule.name() + " passed with '" + breaking.getKey() + "' changed to '" + breaking.getValue() + "'");
    }
  }

  static String kind(Object o) {
    return ((KubernetesObject) o).getKind();
  }
}
