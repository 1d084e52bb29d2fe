package seckill.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ContainerPort;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1EnvFromSource;
import io.kubernetes.client.openapi.models.V1Ingress;
import io.kubernetes.client.openapi.models.V1IngressRule;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.kubernetes.client.openapi.models.V1NetworkPolicyIngressRule;
import io.kubernetes.client.openapi.models.V1NetworkPolicyPeer;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1PodTemplateSpec;
import io.kubernetes.client.openapi.models.V1Probe;
import io.kubernetes.client.openapi.models.V1Role;
import io.kubernetes.client.openapi.models.V1RoleBinding;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import io.kubernetes.client.openapi.models.V1TopologySpreadConstraint;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import seckill.auth.Secrets;

/**
 * The rules a rendered overlay keeps, each with the changes to the rendered YAML that must break it
 * ({@link ManifestsTest#eachRuleFailsOnAManifestBrokenForIt}).
 */
final class Manifests {

  static final String SERVICE_MONITOR = "ServiceMonitor";
  private static final String NAMESPACE = "seckill";
  private static final List<String> SECRET_KEYS = List.of("SECKILL_JWT_SECRET", "SECKILL_ADMIN_TOKEN",
      "SECKILL_SALE_KEY_SECRET", "SECKILL_CHALLENGE_SECRET", "SECKILL_WAITING_ROOM_SECRET");

  /** An object the client has no model of, as a plain map. */
  record Custom(Map<String, Object> yaml) {
    String kind() {
      return (String) yaml.get("kind");
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> map(String key) {
      return (Map<String, Object>) yaml.get(key);
    }
  }

  /** A rule: its name, its check, and changes (text in the rendered YAML → its replacement) that it must catch. */
  record Rule(String name, Consumer<Manifests> check, Map<String, String> breakings) {}

  private final List<Object> objects;
  private final Config app;

  Manifests(List<Object> objects, Config app) {
    this.objects = objects;
    this.app = app;
  }

  // ------------------------------------------------------------------ the rules

  private static List<Rule> common() {
    return List.of(
        new Rule("everything in the seckill namespace", Manifests::namespaced, Map.of(
            "namespace: seckill\n", "namespace: default\n")),
        new Rule("container ports are the configured ports", Manifests::ports, Map.of(
            "containerPort: 25520", "containerPort: 2552")),
        new Rule("startup, readiness and liveness probes on the management port", Manifests::probes, Map.of(
            "port: management\n          periodSeconds: 5", "port: http\n          periodSeconds: 5",
            "path: /ready", "path: /health")),
        new Rule("pods run as non-root on a read-only root, no escalation, no capabilities", Manifests::podSecurity, Map.of(
            "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false",
            "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true",
            "runAsNonRoot: true", "runAsNonRoot: false",
            "- ALL", "- NET_RAW",
            "type: RuntimeDefault", "type: Unconfined")),
        new Rule("the JVM writes only to an emptyDir at /tmp", Manifests::writableTmp, Map.of(
            "mountPath: /tmp", "mountPath: /scratch")),
        new Rule("memory request = limit, a CPU request, no CPU limit", Manifests::resources, Map.of(
            "limits:\n            memory:", "limits:\n            cpu: \"2\"\n            memory:")),
        new Rule("termination grace above the coordinated-shutdown phases", Manifests::terminationGrace, Map.of(
            "terminationGracePeriodSeconds: 90", "terminationGracePeriodSeconds: 30")),
        new Rule("bootstrap finds the pods by the configured label with the RBAC it needs", Manifests::bootstrap, Map.of(
            "  - watch\n", "  - update\n",
            "serviceAccountName: seckill", "serviceAccountName: default",
            "SECKILL_CLUSTER_BOOTSTRAP: \"on\"", "SECKILL_CLUSTER_BOOTSTRAP: \"off\"")),
        new Rule("rolling update adds a pod before one leaves", Manifests::rollingUpdate, Map.of(
            "maxUnavailable: 0", "maxUnavailable: 1")),
        new Rule("services and the budget select the pods and their named ports", Manifests::services, Map.of(
            "targetPort: management", "targetPort: metrics")),
        new Rule("remoting and management only from the app's pods", Manifests::networkPolicy, Map.of(
            "- port: 8080", "- port: 25520")),
        new Rule("the pods read the database and the secrets from Secrets", Manifests::secretRefs, Map.of(
            "name: seckill-secrets", "name: seckill-tokens")));
  }

  static List<Rule> local() {
    List<Rule> rules = new ArrayList<>(common());
    rules.add(new Rule("1 to 3 replicas, one contact point", m -> m.replicas(1, 3), Map.of(
        "replicas: 1\n  selector:\n    matchLabels:\n      app: seckill", "replicas: 5\n  selector:\n    matchLabels:\n      app: seckill")));
    rules.add(new Rule("generated secrets say they are local, differ and are refused outside dev mode", Manifests::localSecrets,
        Map.of(b64("local-only-admin-token-not-for-production-0002"), b64("local-only-jwt-secret-not-for-production-0001"),
            b64("local-only-sale-key-secret-not-for-production-0003"), b64("a-sale-key-secret-of-40-bytes-0123456789"))));
    rules.add(new Rule("Kafka off, so readiness does not wait for it", Manifests::kafkaOff, Map.of(
        "SECKILL_DEMO: \"on\"\n", "SECKILL_DEMO: \"on\"\n  SECKILL_KAFKA_BOOTSTRAP: kafka:9092\n")));
    rules.add(new Rule("PostgreSQL in the overlay, reached at the URL the pods get, from them only", Manifests::localPostgres, Map.of(
        b64("jdbc:postgresql://postgres:5432/seckill"), b64("jdbc:postgresql://db:5432/seckill"),
        "app: postgres\n  policyTypes", "app: postgresql\n  policyTypes")));
    rules.add(new Rule("dev mode and the demo sale on, the image built locally", m -> m.devMode(true, "seckill:local"), Map.of(
        "SECKILL_DEV_MODE: \"on\"", "SECKILL_DEV_MODE: \"off\"")));
    return rules;
  }

  static List<Rule> production() {
    List<Rule> rules = new ArrayList<>(common());
    rules.add(new Rule("3 or more replicas", m -> m.replicas(3, Integer.MAX_VALUE), Map.of(
        "replicas: 3", "replicas: 2", "minReplicas: 3", "minReplicas: 2")));
    rules.add(new Rule("the overlay ships no Secret", Manifests::noSecrets, Map.of(
        "kind: Namespace\nmetadata:\n  name: seckill\n", "kind: Namespace\nmetadata:\n  name: seckill\n---\napiVersion: v1\n"
            + "kind: Secret\nmetadata:\n  name: seckill-secrets\n  namespace: seckill\nstringData:\n"
            + "  SECKILL_JWT_SECRET: change-me-to-at-least-32-random-bytes-0000\n")));
    rules.add(new Rule("Kafka on through the operator's seckill-kafka Secret", Manifests::kafkaOn, Map.of(
        "name: seckill-kafka", "name: kafka", "SECKILL_KAFKA_REPLICATION: \"3\"", "SECKILL_KAFKA_REPLICATION: \"1\"")));
    rules.add(new Rule("pods spread over nodes (strictly) and zones", Manifests::spread, Map.of(
        "whenUnsatisfiable: DoNotSchedule", "whenUnsatisfiable: ScheduleAnyway",
        "topology.kubernetes.io/zone", "example.com/rack")));
    rules.add(new Rule("the API behind an Ingress with TLS for its host", Manifests::ingress, Map.of(
        "  tls:\n  - hosts:\n    - seckill.example.com", "  tls:\n  - hosts:\n    - www.example.com",
        "port:\n              name: http", "port:\n              name: web")));
    rules.add(new Rule("a ServiceMonitor scrapes the management service's /metrics", Manifests::serviceMonitor, Map.of(
        "path: /metrics", "path: /prometheus", "path: /metrics\n    port: management", "path: /metrics\n    port: mgmt")));
    rules.add(new Rule("the API only from the ingress controller; Prometheus on management", Manifests::productionNetworkPolicy, Map.of(
        "kubernetes.io/metadata.name: ingress-nginx", "kubernetes.io/metadata.name: default")));
    rules.add(new Rule("dev mode off, the image pinned to a version", m -> m.devMode(false, "registry.example.com/seckill:0.1.0"), Map.of(
        "SECKILL_DEV_MODE: \"off\"", "SECKILL_DEV_MODE: \"on\"",
        "registry.example.com/seckill:0.1.0", "registry.example.com/seckill:latest")));
    return rules;
  }

  // ------------------------------------------------------------------ checks

  private void namespaced() {
    for (Object o : objects) {
      if (o instanceof V1Namespace ns) {
        assertEquals(NAMESPACE, ns.getMetadata().getName());
      } else if (o instanceof Custom c) {
        assertEquals(NAMESPACE, c.map("metadata").get("namespace"), c.kind());
      } else {
        KubernetesObject k = (KubernetesObject) o;
        assertEquals(NAMESPACE, k.getMetadata().getNamespace(), k.getKind() + " " + k.getMetadata().getName());
      }
    }
  }

  private void ports() {
    assertEquals(app.getInt("seckill.http.port"), port("http"));
    assertEquals(app.getInt("pekko.management.http.port"), port("management"));
    assertEquals(app.getInt("pekko.remote.artery.canonical.port"), port("remoting"));
  }

  private void probes() {
    V1Container c = container();
    String alive = "/" + app.getString("pekko.management.health-checks.liveness-path");
    String ready = "/" + app.getString("pekko.management.health-checks.readiness-path");
    onManagement(c.getStartupProbe(), alive, "startup");
    onManagement(c.getReadinessProbe(), ready, "readiness");
    onManagement(c.getLivenessProbe(), alive, "liveness");
  }

  private static void onManagement(V1Probe probe, String path, String which) {
    assertNotNull(probe, which + " probe");
    assertEquals(path, probe.getHttpGet().getPath(), which + " path");
    assertEquals(new IntOrString("management"), probe.getHttpGet().getPort(), which + " port");
  }

  private void podSecurity() {
    for (V1PodTemplateSpec template : podTemplates()) {
      V1PodSpec pod = template.getSpec();
      assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot(), "runAsNonRoot");
      assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType(), "seccomp");
      for (V1Container c : pod.getContainers()) {
        var sc = c.getSecurityContext();
        assertNotNull(sc, c.getName() + " securityContext");
        assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation(), c.getName() + " allowPrivilegeEscalation");
        assertEquals(Boolean.TRUE, sc.getReadOnlyRootFilesystem(), c.getName() + " readOnlyRootFilesystem");
        assertEquals(List.of("ALL"), sc.getCapabilities().getDrop(), c.getName() + " capabilities dropped");
        assertTrue(sc.getCapabilities().getAdd() == null || sc.getCapabilities().getAdd().isEmpty(),
            c.getName() + " capabilities added");
        assertTrue(sc.getPrivileged() == null || !sc.getPrivileged(), c.getName() + " privileged");
      }
    }
  }

  private void writableTmp() {
    V1PodSpec pod = deployment().getSpec().getTemplate().getSpec();
    String volume = container().getVolumeMounts().stream().filter(m -> "/tmp".equals(m.getMountPath())).findFirst()
        .orElseThrow(() -> new AssertionError("no volume at /tmp")).getName();
    assertTrue(pod.getVolumes().stream().anyMatch(v -> v.getName().equals(volume) && v.getEmptyDir() != null),
        "/tmp is an emptyDir");
  }

  private void resources() {
    var r = container().getResources();
    assertNotNull(r.getRequests().get("cpu"), "a CPU request");
    assertEquals(r.getRequests().get("memory"), r.getLimits().get("memory"), "memory request = limit");
    assertNull(r.getLimits().get("cpu"), "no CPU limit");
  }

  private void terminationGrace() {
    ConfigObject phases = app.getObject("pekko.coordinated-shutdown.phases");
    Duration fallback = app.getDuration("pekko.coordinated-shutdown.default-phase-timeout");
    Duration sum = Duration.ZERO;
    for (String phase : phases.keySet()) {
      Config c = phases.toConfig().getConfig("\"" + phase + "\"");
      sum = sum.plus(c.hasPath("timeout") ? c.getDuration("timeout") : fallback);
    }
    long grace = deployment().getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
    assertTrue(grace > sum.toSeconds(), "terminationGracePeriodSeconds " + grace + " ≤ the phases' " + sum.toSeconds() + " s");
  }

  private void bootstrap() {
    String selector = String.format(app.getString("pekko.discovery.kubernetes-api.pod-label-selector"),
        app.getString("pekko.management.cluster.bootstrap.contact-point-discovery.service-name"));
    String[] kv = selector.split("=");
    V1Deployment d = deployment();
    assertEquals(kv[1], d.getSpec().getTemplate().getMetadata().getLabels().get(kv[0]), "pod label for " + selector);
    assertEquals(d.getSpec().getSelector().getMatchLabels(), d.getSpec().getTemplate().getMetadata().getLabels());
    Map<String, String> config = config();
    assertEquals("on", config.get("SECKILL_CLUSTER_BOOTSTRAP"));
    assertEquals("off", config.get("SECKILL_JOIN_SELF"));
    assertTrue(Integer.parseInt(config.get("REQUIRED_CONTACT_POINT_NR")) >= 1);

    String account = d.getSpec().getTemplate().getSpec().getServiceAccountName();
    assertEquals(account, one(V1ServiceAccount.class).getMetadata().getName(), "the pods' service account");
    V1Role role = one(V1Role.class);
    assertTrue(role.getRules().stream().anyMatch(r -> r.getResources().contains("pods")
        && r.getVerbs().containsAll(List.of("get", "watch", "list"))), "pods get/watch/list");
    V1RoleBinding binding = one(V1RoleBinding.class);
    assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName());
    assertTrue(binding.getSubjects().stream().anyMatch(s -> s.getName().equals(account) && NAMESPACE.equals(s.getNamespace())));
  }

  private void rollingUpdate() {
    V1Deployment d = deployment();
    assertEquals(new IntOrString(1), d.getSpec().getStrategy().getRollingUpdate().getMaxSurge());
    assertEquals(new IntOrString(0), d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable());
  }

  private void services() {
    Map<String, String> podLabels = deployment().getSpec().getTemplate().getMetadata().getLabels();
    List<V1Service> services = all(V1Service.class).stream()
        .filter(s -> s.getSpec().getSelector().equals(podLabels)).toList();
    assertEquals(2, services.size(), "the API and the management Service");
    for (V1Service s : services) s.getSpec().getPorts().forEach(p -> port(p.getTargetPort().getStrValue()));
    assertEquals(podLabels, one(V1PodDisruptionBudget.class).getSpec().getSelector().getMatchLabels());
  }

  private void networkPolicy() {
    V1NetworkPolicy policy = policyFor("app", "seckill");
    assertEquals(List.of("Ingress"), policy.getSpec().getPolicyTypes());
    Map<String, String> pods = Map.of("app", "seckill");
    int remoting = app.getInt("pekko.remote.artery.canonical.port");
    int management = app.getInt("pekko.management.http.port");
    for (V1NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
      List<Integer> ports = ports(rule);
      if (ports.contains(remoting)) {
        assertEquals(List.of(pods), podSelectors(rule), "remoting only from the app's pods");
      }
      if (ports.contains(management)) {
        assertFalse(rule.getFrom() == null || rule.getFrom().isEmpty(), "management open to every source");
        for (V1NetworkPolicyPeer peer : rule.getFrom()) {
          assertNull(peer.getIpBlock(), "management from an address block");
          boolean ownPods = peer.getNamespaceSelector() == null && pods.equals(labels(peer.getPodSelector()));
          boolean prometheus = peer.getPodSelector() == null && peer.getNamespaceSelector() != null
              && "monitoring".equals(peer.getNamespaceSelector().getMatchLabels().get("kubernetes.io/metadata.name"));
          assertTrue(ownPods || prometheus, "management from " + peer);
        }
      }
    }
    assertTrue(policy.getSpec().getIngress().stream().anyMatch(r -> ports(r).contains(remoting)
        && ports(r).contains(management) && podSelectors(r).equals(List.of(pods))), "the pods reach each other");
    assertTrue(policy.getSpec().getIngress().stream().anyMatch(r -> ports(r).contains(app.getInt("seckill.http.port"))),
        "the API is reachable");
  }

  private void productionNetworkPolicy() {
    V1NetworkPolicy policy = policyFor("app", "seckill");
    int http = app.getInt("seckill.http.port");
    for (V1NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
      if (!ports(rule).contains(http)) continue;
      assertFalse(rule.getFrom() == null || rule.getFrom().isEmpty(), "the API open to every source");
      for (V1NetworkPolicyPeer peer : rule.getFrom()) {
        assertEquals("ingress-nginx", peer.getNamespaceSelector().getMatchLabels().get("kubernetes.io/metadata.name"),
            "the API from the ingress controller's namespace");
      }
    }
    int management = app.getInt("pekko.management.http.port");
    assertTrue(policy.getSpec().getIngress().stream().anyMatch(r -> ports(r).contains(management) && r.getFrom().stream()
        .anyMatch(p -> p.getNamespaceSelector() != null)), "Prometheus reaches /metrics");
  }

  private void secretRefs() {
    Set<String> refs = secretRefNames();
    assertTrue(refs.containsAll(List.of("seckill-db", "seckill-secrets")), "envFrom " + refs);
  }

  private void replicas(int min, int max) {
    int replicas = deployment().getSpec().getReplicas();
    assertTrue(replicas >= min && replicas <= max, "replicas " + replicas);
    for (V2HorizontalPodAutoscaler hpa : all(V2HorizontalPodAutoscaler.class)) {
      assertTrue(hpa.getSpec().getMinReplicas() >= min, "HPA minReplicas " + hpa.getSpec().getMinReplicas());
    }
    if (min >= 3) assertTrue(Integer.parseInt(config().get("REQUIRED_CONTACT_POINT_NR")) >= 2, "contact points");
    else assertEquals("1", config().get("REQUIRED_CONTACT_POINT_NR"), "one pod forms the cluster");
  }

  private void localSecrets() {
    Map<String, String> secrets = decoded(generated("seckill-secrets"));
    assertEquals(new HashSet<>(SECRET_KEYS), secrets.keySet());
    assertEquals(secrets.size(), new HashSet<>(secrets.values()).size(), "two secrets are equal");
    Set<String> refused = Secrets.examples();
    for (Map.Entry<String, String> s : secrets.entrySet()) {
      assertTrue(s.getValue().contains("local-only"), s.getKey() + " does not say it is for local use only");
      assertTrue(refused.contains(s.getValue()), s.getKey() + "'s value is not refused outside dev mode");
    }
  }

  private void kafkaOff() {
    assertFalse(config().containsKey("SECKILL_KAFKA_BOOTSTRAP"), "Kafka bootstrap in the ConfigMap");
    for (V1Secret s : all(V1Secret.class)) assertFalse(decoded(s).containsKey("SECKILL_KAFKA_BOOTSTRAP"), "Kafka in a Secret");
    assertFalse(secretRefNames().contains("seckill-kafka"), "the pods wait for a Kafka Secret");
    assertTrue(container().getEnv().stream().noneMatch(e -> e.getName().startsWith("SECKILL_KAFKA")), "Kafka in env");
  }

  private void kafkaOn() {
    assertTrue(secretRefNames().contains("seckill-kafka"), "the pods read SECKILL_KAFKA_BOOTSTRAP from seckill-kafka");
    assertTrue(Integer.parseInt(config().get("SECKILL_KAFKA_REPLICATION")) >= 3, "replication");
  }

  private void localPostgres() {
    Map<String, String> db = decoded(generated("seckill-db"));
    V1StatefulSet postgres = one(V1StatefulSet.class);
    V1Service service = all(V1Service.class).stream()
        .filter(s -> postgres.getSpec().getTemplate().getMetadata().getLabels().equals(s.getSpec().getSelector()))
        .findFirst().orElseThrow(() -> new AssertionError("no Service for PostgreSQL"));
    assertEquals("jdbc:postgresql://" + service.getMetadata().getName() + ":" + service.getSpec().getPorts().get(0).getPort()
        + "/seckill", db.get("SECKILL_DB_URL"));
    var env = postgres.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv();
    String dbSecret = generated("seckill-db").getMetadata().getName();
    assertTrue(env.stream().anyMatch(e -> e.getName().equals("POSTGRES_PASSWORD") && e.getValueFrom() != null
        && dbSecret.equals(e.getValueFrom().getSecretKeyRef().getName())), "PostgreSQL's password is the pods'");
    assertFalse(postgres.getSpec().getVolumeClaimTemplates().isEmpty(), "a volume for the data");
    V1NetworkPolicy policy = policyFor("app", "postgres");
    for (V1NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
      assertEquals(List.of(Map.of("app", "seckill")), podSelectors(rule), "PostgreSQL only from the app's pods");
    }
  }

  private void devMode(boolean on, String image) {
    assertEquals(on ? "on" : "off", config().get("SECKILL_DEV_MODE"));
    assertEquals(on ? "on" : "off", config().get("SECKILL_DEMO"));
    assertEquals(image, container().getImage());
  }

  private void noSecrets() {
    assertTrue(all(V1Secret.class).isEmpty(), "the production overlay ships a Secret");
  }

  private void spread() {
    List<V1TopologySpreadConstraint> spread = deployment().getSpec().getTemplate().getSpec().getTopologySpreadConstraints();
    assertNotNull(spread, "topologySpreadConstraints");
    Map<String, String> pods = deployment().getSpec().getTemplate().getMetadata().getLabels();
    assertTrue(spread.stream().anyMatch(c -> c.getTopologyKey().equals("kubernetes.io/hostname") && c.getMaxSkew() == 1
        && c.getWhenUnsatisfiable().equals("DoNotSchedule") && pods.equals(c.getLabelSelector().getMatchLabels())),
        "one pod per node");
    assertTrue(spread.stream().anyMatch(c -> c.getTopologyKey().equals("topology.kubernetes.io/zone")
        && pods.equals(c.getLabelSelector().getMatchLabels())), "over the zones");
  }

  private void ingress() {
    V1Ingress ingress = one(V1Ingress.class);
    Set<String> tlsHosts = new HashSet<>();
    ingress.getSpec().getTls().forEach(t -> {
      assertNotNull(t.getSecretName(), "TLS secret");
      tlsHosts.addAll(t.getHosts());
    });
    V1Service api = service("seckill");
    for (V1IngressRule rule : ingress.getSpec().getRules()) {
      assertTrue(tlsHosts.contains(rule.getHost()), rule.getHost() + " without TLS");
      rule.getHttp().getPaths().forEach(p -> {
        assertEquals(api.getMetadata().getName(), p.getBackend().getService().getName());
        String port = p.getBackend().getService().getPort().getName();
        assertTrue(api.getSpec().getPorts().stream().anyMatch(sp -> sp.getName().equals(port)), "Service port " + port);
      });
    }
    assertTrue(ingress.getMetadata().getAnnotations().containsKey("cert-manager.io/cluster-issuer"), "certificate issuer");
  }

  @SuppressWarnings("unchecked")
  private void serviceMonitor() {
    Custom monitor = all(Custom.class).stream().filter(c -> SERVICE_MONITOR.equals(c.kind())).findFirst()
        .orElseThrow(() -> new AssertionError("no ServiceMonitor"));
    assertEquals("monitoring.coreos.com/v1", monitor.yaml().get("apiVersion"));
    Map<String, Object> spec = monitor.map("spec");
    Map<String, Object> selector = (Map<String, Object>) ((Map<String, Object>) spec.get("selector")).get("matchLabels");
    V1Service management = service("seckill-management");
    assertEquals(selector, management.getMetadata().getLabels(), "selects the management Service");
    Map<String, Object> endpoint = ((List<Map<String, Object>>) spec.get("endpoints")).get(0);
    String port = (String) endpoint.get("port");
    assertTrue(management.getSpec().getPorts().stream().anyMatch(p -> p.getName().equals(port)), "port " + port);
    assertTrue(app.hasPath("pekko.management.http.routes.metrics"), "the metrics route");
    assertEquals("/metrics", endpoint.get("path"));
  }

  // ------------------------------------------------------------------ lookups

  private <T> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private <T> T one(Class<T> type) {
    List<T> found = all(type);
    assertEquals(1, found.size(), type.getSimpleName());
    return found.get(0);
  }

  private V1Deployment deployment() {
    return one(V1Deployment.class);
  }

  private V1Container container() {
    return deployment().getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  private List<V1PodTemplateSpec> podTemplates() {
    return Stream.concat(all(V1Deployment.class).stream().map(d -> d.getSpec().getTemplate()),
        all(V1StatefulSet.class).stream().map(s -> s.getSpec().getTemplate())).toList();
  }

  private int port(String name) {
    return container().getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
        .map(V1ContainerPort::getContainerPort).orElseThrow(() -> new AssertionError("no port " + name));
  }

  private Map<String, String> config() {
    return one(V1ConfigMap.class).getData();
  }

  private V1Service service(String name) {
    return all(V1Service.class).stream().filter(s -> s.getMetadata().getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no Service " + name));
  }

  private Set<String> secretRefNames() {
    Set<String> names = new HashSet<>();
    for (V1EnvFromSource from : container().getEnvFrom()) {
      if (from.getSecretRef() != null) names.add(baseName(from.getSecretRef().getName()));
    }
    return names;
  }

  /** A generated Secret by the name before kustomize's hash suffix. */
  private V1Secret generated(String name) {
    return all(V1Secret.class).stream().filter(s -> baseName(s.getMetadata().getName()).equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no Secret " + name));
  }

  private static String baseName(String name) {
    return name.replaceFirst("-[a-z0-9]{10}$", "");
  }

  private static Map<String, String> decoded(V1Secret secret) {
    Map<String, String> values = new LinkedHashMap<>();
    if (secret.getData() != null) secret.getData().forEach((k, v) -> values.put(k, new String(v, StandardCharsets.UTF_8)));
    if (secret.getStringData() != null) values.putAll(secret.getStringData());
    return values;
  }

  private V1NetworkPolicy policyFor(String label, String value) {
    return all(V1NetworkPolicy.class).stream()
        .filter(p -> Map.of(label, value).equals(p.getSpec().getPodSelector().getMatchLabels())).findFirst()
        .orElseThrow(() -> new AssertionError("no NetworkPolicy for " + label + "=" + value));
  }

  private static List<Integer> ports(V1NetworkPolicyIngressRule rule) {
    if (rule.getPorts() == null) return List.of();
    return rule.getPorts().stream().map(p -> p.getPort().getIntValue()).filter(Objects::nonNull).toList();
  }

  private static List<Map<String, String>> podSelectors(V1NetworkPolicyIngressRule rule) {
    if (rule.getFrom() == null || rule.getFrom().isEmpty()) return List.of(Map.of());
    return rule.getFrom().stream().map(p -> {
      if (p.getNamespaceSelector() != null || p.getIpBlock() != null || p.getPodSelector() == null) return Map.<String, String>of();
      return labels(p.getPodSelector());
    }).toList();
  }

  private static Map<String, String> labels(io.kubernetes.client.openapi.models.V1LabelSelector selector) {
    return selector == null || selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
  }

  private static String b64(String value) {
    return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
  }
}
