package seckill.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ContainerPort;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1EnvVar;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Role;
import io.kubernetes.client.openapi.models.V1RoleBinding;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.util.Yaml;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every file in k8s/ loads with the official Kubernetes client's YAML loader (known kinds, known
 * fields, right types) and agrees with the application's config: ports, probes, bootstrap labels, RBAC.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ManifestsTest {

  private final List<Object> objects = new ArrayList<>();
  private Config app;

  @BeforeAll
  void load() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("k8s"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        objects.addAll(loadTyped(file));
      }
    }
    app = ConfigFactory.load();
  }

  /**
   * The client's loader throws on unknown fields and wrong types; for a kind it has no model of it
   * returns an untyped DynamicKubernetesObject, which counts as a rejection here too.
   */
  private static List<Object> loadTyped(Path file) throws IOException {
    List<Object> loaded = Yaml.loadAll(file.toFile());
    for (Object o : loaded) {
      if (o == null || o instanceof Map || o instanceof DynamicKubernetesObject) {
        throw new IllegalArgumentException(file + ": not a known Kubernetes kind");
      }
    }
    return loaded;
  }

  private <T> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private <T> T one(Class<T> type) {
    List<T> found = all(type);
    assertEquals(1, found.size(), type.getSimpleName());
    return found.get(0);
  }

  private V1Container container() {
    return one(V1Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  private int port(String name) {
    return container().getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
        .map(V1ContainerPort::getContainerPort).orElseThrow(() -> new AssertionError("no port " + name));
  }

  @Test
  void everyManifestLoadsAsAKnownKind() {
    assertFalse(objects.isEmpty());
    assertEquals(1, all(V1Deployment.class).size());
    assertEquals(2, all(V1Service.class).size());
    assertNotNull(one(V1PodDisruptionBudget.class));
    assertNotNull(one(V1ConfigMap.class));
  }

  @Test
  void brokenManifestsAreRejected() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("src/test/resources/k8s-broken"))) {
      List<Path> broken = files.sorted().toList();
      assertEquals(3, broken.size());
      for (Path file : broken) {
        assertThrows(Exception.class, () -> loadTyped(file), file + " should be rejected");
      }
    }
  }

  @Test
  void containerPortsMatchTheConfiguredPorts() {
    assertEquals(app.getInt("seckill.http.port"), port("http"));
    assertEquals(app.getInt("pekko.management.http.port"), port("management"));
    assertEquals(app.getInt("pekko.remote.artery.canonical.port"), port("remoting"));
  }

  @Test
  void probesUseTheManagementHealthChecks() {
    V1Container c = container();
    assertEquals("/" + app.getString("pekko.management.health-checks.readiness-path"), c.getReadinessProbe().getHttpGet().getPath());
    assertEquals("/" + app.getString("pekko.management.health-checks.liveness-path"), c.getLivenessProbe().getHttpGet().getPath());
    assertEquals(new IntOrString("management"), c.getReadinessProbe().getHttpGet().getPort());
    assertEquals(new IntOrString("management"), c.getLivenessProbe().getHttpGet().getPort());
  }

  @Test
  void bootstrapFindsThePodsByTheirLabelsWithThePermissionsItNeeds() {
    String selector = String.format(app.getString("pekko.discovery.kubernetes-api.pod-label-selector"),
        app.getString("pekko.management.cluster.bootstrap.contact-point-discovery.service-name"));
    String[] kv = selector.split("=");
    V1Deployment d = one(V1Deployment.class);
    assertEquals(kv[1], d.getSpec().getTemplate().getMetadata().getLabels().get(kv[0]), "pod label for " + selector);
    assertEquals(d.getSpec().getSelector().getMatchLabels(), d.getSpec().getTemplate().getMetadata().getLabels());

    V1ConfigMap cm = one(V1ConfigMap.class);
    assertEquals("on", cm.getData().get("SECKILL_CLUSTER_BOOTSTRAP"));
    assertEquals("off", cm.getData().get("SECKILL_DEV_MODE"), "dev mode is never on in a cluster");
    assertTrue(Integer.parseInt(cm.getData().get("REQUIRED_CONTACT_POINT_NR")) >= 2);
    assertTrue(cm.getData().get("SECKILL_DB_URL").startsWith("jdbc:postgresql:"));
    assertTrue(cm.getData().get("SECKILL_KAFKA_BOOTSTRAP").matches("[\\w.-]+:\\d+(,[\\w.-]+:\\d+)*"),
        "Kafka bootstrap is host:port[,host:port]");

    String account = d.getSpec().getTemplate().getSpec().getServiceAccountName();
    assertEquals(account, one(V1ServiceAccount.class).getMetadata().getName());
    V1Role role = one(V1Role.class);
    assertTrue(role.getRules().stream().anyMatch(r -> r.getResources().contains("pods")
        && r.getVerbs().containsAll(List.of("get", "watch", "list"))), "pods get/watch/list");
    V1RoleBinding binding = one(V1RoleBinding.class);
    assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName());
    assertTrue(binding.getSubjects().stream().anyMatch(s -> s.getName().equals(account)));
  }

  @Test
  void deploymentFollowsTheOperatingRules() {
    V1Deployment d = one(V1Deployment.class);
    assertEquals(new IntOrString(1), d.getSpec().getStrategy().getRollingUpdate().getMaxSurge());
    assertEquals(new IntOrString(0), d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable());
    V1Container c = container();
    assertTrue(c.getImage().matches(".+:[0-9][\\w.-]*"), "image tag pinned: " + c.getImage());
    assertEquals(c.getResources().getRequests().get("memory"), c.getResources().getLimits().get("memory"));
    assertNull(c.getResources().getLimits().get("cpu"), "no CPU limit");
    assertTrue(one(V1ConfigMap.class).getData().get("JAVA_TOOL_OPTIONS").contains("MaxRAMPercentage"));
    Map<String, V1EnvVar> env = c.getEnv().stream().collect(Collectors.toMap(V1EnvVar::getName, e -> e));
    assertEquals("seckill-db", env.get("SECKILL_DB_PASSWORD").getValueFrom().getSecretKeyRef().getName());
    assertEquals("status.podIP", env.get("SECKILL_REMOTE_HOST").getValueFrom().getFieldRef().getFieldPath());
  }

  @Test
  void servicesAndBudgetSelectThePodsAndNamedPorts() {
    Map<String, String> podLabels = one(V1Deployment.class).getSpec().getTemplate().getMetadata().getLabels();
    for (V1Service s : all(V1Service.class)) {
      assertEquals(podLabels, s.getSpec().getSelector(), s.getMetadata().getName());
      s.getSpec().getPorts().forEach(p -> port(p.getTargetPort().getStrValue()));
    }
    assertEquals(podLabels, one(V1PodDisruptionBudget.class).getSpec().getSelector().getMatchLabels());
  }

  @Test
  void everythingLivesInTheSeckillNamespace() {
    for (Object o : objects) {
      if (o instanceof io.kubernetes.client.common.KubernetesObject k && !(o instanceof io.kubernetes.client.openapi.models.V1Namespace)) {
        assertEquals("seckill", k.getMetadata().getNamespace(), k.getKind() + " " + k.getMetadata().getName());
      }
    }
  }
}
