package dev.jdd.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import dev.jdd.agent.AgentConfig;
import dev.jdd.common.Flags;
import dev.jdd.router.RouterConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * charts/jdd, rendered by Helm itself (helm-java's native library), against daemonset.yaml: the default values give
 * the same objects (parsed with fabric8, compared field by field) but for the labels Helm adds and the Namespace,
 * which a chart leaves to {@code helm install --create-namespace}; each common values file changes what it should.
 */
class HelmChartTest {
    private static final Path CHART = Path.of("..", "charts", "jdd");
    private static final Path CASES = Path.of("src", "test", "resources", "helm");
    /** The recommended labels a Helm install adds to those of daemonset.yaml. */
    private static final Set<String> HELM_LABELS = Set.of("app.kubernetes.io/instance", "app.kubernetes.io/component",
            "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "helm.sh/chart");
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    @Test
    void lintStrictPasses() {
        LintResult result = new Helm(CHART).lint().strict().call();
        assertFalse(result.isFailed(), String.join("\n", result.getMessages()));
    }

    @Test
    void defaultValuesInstallWhatDaemonsetYamlInstalls() throws IOException {
        List<HasMetadata> chart = render();
        chart.forEach(HelmChartTest::stripHelmLabels);
        assertTrue(chart.stream().allMatch(o -> o.getMetadata().getLabels().containsKey("app.kubernetes.io/part-of")));
        assertEquals(List.of(), differences(manifestWithoutNamespace(), chart));
    }

    @Test
    void everyObjectCarriesTheRecommendedLabels() {
        for (HasMetadata o : render()) {
            Map<String, String> labels = o.getMetadata().getLabels();
            assertTrue(labels.keySet().containsAll(HELM_LABELS), key(o) + " " + labels);
            assertEquals("Helm", labels.get("app.kubernetes.io/managed-by"));
            assertEquals("jdd-0.1.0", labels.get("helm.sh/chart"));
            assertEquals("0.1.0", labels.get("app.kubernetes.io/version"));
        }
        PodTemplateSpec agentPod = only(render(), DaemonSet.class).getSpec().getTemplate();
        assertEquals("agent", agentPod.getMetadata().getLabels().get("app.kubernetes.io/component"));
        assertEquals("jdd-agent", agentPod.getMetadata().getLabels().get("app.kubernetes.io/name"));
    }

    /** The comparison above is only worth something if one added volume, variable, port or capability breaks it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("changes")
    void theComparisonSeesAnyChange(String change, Consumer<List<HasMetadata>> apply) throws IOException {
        List<HasMetadata> chart = render();
        chart.forEach(HelmChartTest::stripHelmLabels);
        List<HasMetadata> manifest = manifestWithoutNamespace();
        apply.accept(manifest);
        assertNotEquals(List.of(), differences(manifest, chart), change);
    }

    static Stream<Arguments> changes() {
        return Stream.of(
                Arguments.of("a volume on the agent", (Consumer<List<HasMetadata>>) objects -> agentPod(objects).getVolumes()
                        .add(new VolumeBuilder().withName("extra").withNewEmptyDir().endEmptyDir().build())),
                Arguments.of("an env var on the router", (Consumer<List<HasMetadata>>) objects -> container(routerPod(objects))
                        .getEnv().add(new EnvVarBuilder().withName("JDD_MAX_TARGETS").withValue("10").build())),
                Arguments.of("a port on the agent", (Consumer<List<HasMetadata>>) objects -> container(agentPod(objects))
                        .getPorts().add(new ContainerPortBuilder().withName("debug").withContainerPort(5005).build())),
                Arguments.of("a capability on the agent", (Consumer<List<HasMetadata>>) objects -> container(agentPod(objects))
                        .getSecurityContext().getCapabilities().getAdd().add("SYS_ADMIN")),
                Arguments.of("a label on the Service", (Consumer<List<HasMetadata>>) objects -> objects.stream()
                        .filter(o -> o.getKind().equals("Service")).findFirst().orElseThrow()
                        .getMetadata().getLabels().put("tier", "edge")),
                Arguments.of("one object less", (Consumer<List<HasMetadata>>) objects -> objects.remove(objects.size() - 1)));
    }

    /** Another release name and namespace: every reference between the objects still meets its object. */
    @Test
    void anotherReleaseKeepsItsReferencesTogether() {
        List<HasMetadata> chart = parse(new Helm(CHART).template().withName("obs").withNamespace("monitoring")
                .set("token.value", "t").call());
        Map<String, HasMetadata> byKey = byKey(chart);
        for (HasMetadata o : chart) {
            assertTrue(o.getMetadata().getName().startsWith("obs-jdd-"), key(o));
            boolean clusterWide = o.getKind().startsWith("Cluster");
            assertEquals(clusterWide ? null : "monitoring", o.getMetadata().getNamespace(), key(o));
        }
        for (PodSpec pod : List.of(agentPod(chart), routerPod(chart))) {
            assertTrue(byKey.containsKey("ServiceAccount/" + pod.getServiceAccountName()), pod.getServiceAccountName());
            String token = env(container(pod), "JDD_TOKEN").getValueFrom().getSecretKeyRef().getName();
            assertTrue(byKey.containsKey("Secret/" + token), token);
        }
        String routerAccount = routerPod(chart).getServiceAccountName();
        for (HasMetadata o : chart) {
            if (o instanceof RoleBinding b) {
                assertTrue(byKey.containsKey("Role/" + b.getRoleRef().getName()));
                assertEquals(routerAccount, b.getSubjects().get(0).getName());
                assertEquals("monitoring", b.getSubjects().get(0).getNamespace());
            } else if (o instanceof ClusterRoleBinding b) {
                assertTrue(byKey.containsKey("ClusterRole/" + b.getRoleRef().getName()));
                assertEquals(routerAccount, b.getSubjects().get(0).getName());
                assertEquals("monitoring", b.getSubjects().get(0).getNamespace());
            }
        }
        assertEquals("app.kubernetes.io/name=jdd-agent", env(container(routerPod(chart)), "JDD_AGENT_SELECTOR").getValue());
    }

    @ParameterizedTest
    @ValueSource(strings = {"containerd.yaml", "crio.yaml"})
    void criNodesTalkToTheirRuntimeThroughItsMountedFolder(String values) {
        List<HasMetadata> chart = render(values);
        PodSpec pod = agentPod(chart);
        Container agent = container(pod);
        assertEquals("cri", envValue(agent, "JDD_RUNTIME"));
        String socket = URI.create(envValue(agent, "JDD_RUNTIME_ENDPOINT")).getPath();
        assertEquals(List.of("dumps", "tmp"), pod.getVolumes().stream().map(Volume::getName)
                .filter(name -> name.equals("dumps") || name.equals("tmp")).toList());
        assertEquals(3, pod.getVolumes().size(), "only this runtime's folder besides dumps and tmp: " + pod.getVolumes());
        Volume runtime = pod.getVolumes().get(0);
        VolumeMount mount = mountOf(agent, runtime.getName());
        assertEquals(runtime.getHostPath().getPath(), mount.getMountPath(), "mounted at the node's own path");
        assertTrue(socket.startsWith(mount.getMountPath() + "/"), socket + " lies in " + mount.getMountPath());
        assertEquals("Directory", runtime.getHostPath().getType());
    }

    @Test
    void anExistingSecretHoldsTheToken() {
        List<HasMetadata> chart = render("existing-secret.yaml");
        assertTrue(chart.stream().noneMatch(Secret.class::isInstance), "the chart creates no Secret");
        for (PodSpec pod : List.of(agentPod(chart), routerPod(chart))) {
            SecretKeySelector token = env(container(pod), "JDD_TOKEN").getValueFrom().getSecretKeyRef();
            assertEquals("team-jdd-token", token.getName());
            assertEquals("jdd", token.getKey());
        }
    }

    @Test
    void aTokenValueBecomesTheSecretBothRolesRead() {
        List<HasMetadata> chart = render("token-value.yaml");
        Secret secret = only(chart, Secret.class);
        assertEquals("jdd-token", secret.getMetadata().getName());
        assertEquals("jdd", secret.getMetadata().getNamespace());
        assertEquals("0123456789abcdef",
                new String(Base64.getDecoder().decode(secret.getData().get("token")), StandardCharsets.UTF_8));
        for (PodSpec pod : List.of(agentPod(chart), routerPod(chart))) {
            SecretKeySelector token = env(container(pod), "JDD_TOKEN").getValueFrom().getSecretKeyRef();
            assertEquals(secret.getMetadata().getName(), token.getName());
            assertTrue(secret.getData().containsKey(token.getKey()));
        }
    }

    @Test
    void theNetworkPolicyCanBeLeftOut() {
        List<HasMetadata> chart = render("no-network-policy.yaml");
        assertTrue(chart.stream().noneMatch(NetworkPolicy.class::isInstance));
        assertEquals(render().size() - 1, chart.size(), "only the NetworkPolicy goes");
    }

    @Test
    void webhookBearerComesFromItsSecretAndIsAFlagTheRouterReads() {
        Container router = container(routerPod(render("webhook-bearer.yaml")));
        SecretKeySelector bearer = env(router, "JDD_WEBHOOK_BEARER").getValueFrom().getSecretKeyRef();
        assertEquals("jdd-webhook", bearer.getName());
        assertEquals("bearer", bearer.getKey());
        Flags flags = Flags.parse(ManifestTest.flagsFrom(router), Map.of());
        RouterConfig config = RouterConfig.from(flags);
        flags.rejectUnknown();
        assertEquals("secret-from-cluster", config.webhookBearer(), "the router reads JDD_WEBHOOK_BEARER");
    }

    @Test
    void agentLimitsAreFlagsTheAgentReads() {
        PodSpec pod = agentPod(render("limits.yaml"));
        AgentConfig config = AgentConfig.from(Flags.parse(ManifestTest.flagsFrom(container(pod)), Map.of()), Map.of());
        assertEquals(4, config.slots());
        assertEquals(20, config.queue());
        assertEquals(Duration.ofMinutes(10), config.cooldown());
        assertEquals(20, config.threads());
        assertEquals(Duration.ofSeconds(1), config.interval());
        assertEquals(Duration.ofSeconds(20), config.execTimeout());
        assertEquals(2L << 30, config.retentionBytes());
        assertEquals(Duration.ofDays(3), config.retentionAge());
        Volume dumps = pod.getVolumes().stream().filter(v -> v.getName().equals("dumps")).findFirst().orElseThrow();
        assertEquals("/data/jdd", dumps.getHostPath().getPath());
        assertEquals(config.dumpDir().toString(), mountOf(container(pod), "dumps").getMountPath());
    }

    @ParameterizedTest
    @ValueSource(strings = {"wrong-type.yaml", "wrong-type-nested.yaml", "unknown-key.yaml", "unknown-key-nested.yaml",
            "unknown-runtime.yaml"})
    void theSchemaRefusesBadValues(String values) {
        TemplateCommand template = new Helm(CHART).template().withName("jdd").withNamespace("jdd")
                .withValuesFile(CASES.resolve("refused").resolve(values));
        Exception refused = assertThrows(Exception.class, template::call);
        assertTrue(refused.getMessage().contains("values don't meet the specifications of the schema"), refused.getMessage());
    }

    @Test
    void theSchemaRefusesAWrongTypeGivenWithSet() {
        TemplateCommand template = new Helm(CHART).template().withName("jdd").withNamespace("jdd")
                .set("networkPolicy.enabled", "sometimes");
        Exception refused = assertThrows(Exception.class, template::call);
        assertTrue(refused.getMessage().contains("networkPolicy"), refused.getMessage());
    }

    @Test
    void notesTellHowToPointGrafanaAndAlertmanagerAtTheRouter() {
        String notes = notes();
        String url = "http://jdd-router.jdd.svc:8080/hooks";
        for (String expected : List.of("Grafana, unified alerting", "Grafana, legacy alerting", "Alertmanager",
                "- url: " + url, "?dryRun=true", "create secret generic jdd-token", "Nothing authenticates")) {
            assertTrue(notes.contains(expected), expected + " in\n" + notes);
        }
        String withBearer = notes("webhook-bearer.yaml");
        assertTrue(withBearer.contains("-H \"Authorization: Bearer"), withBearer);
        assertTrue(withBearer.contains("credentials_file: /etc/alertmanager/secrets/jdd-webhook/bearer"), withBearer);
        assertFalse(withBearer.contains("Nothing authenticates"), withBearer);
        assertFalse(notes("existing-secret.yaml").contains("create secret generic"), "the token Secret exists");
    }

    /** NOTES.txt as {@code helm install} prints it (client only: no cluster). */
    private static String notes(String... valuesFiles) {
        InstallCommand install = new Helm(CHART).install().withName("jdd").withNamespace("jdd").dryRun().clientOnly();
        for (String values : valuesFiles) {
            install = install.withValuesFile(CASES.resolve(values));
        }
        String output = install.call().getOutput();
        assertTrue(output.contains("NOTES:"), output);
        return output.substring(output.indexOf("NOTES:"));
    }

    /** Every key in values.yaml comes after a comment that starts with its name. */
    @Test
    void everyValueIsDocumented() throws IOException {
        List<String> lines = Files.readAllLines(CHART.resolve("values.yaml"));
        Pattern key = Pattern.compile("^ *([A-Za-z][A-Za-z0-9]*):");
        List<String> undocumented = new ArrayList<>();
        int keys = 0;
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = key.matcher(lines.get(i));
            if (!m.find()) {
                continue;
            }
            keys++;
            int first = i;
            while (first > 0 && lines.get(first - 1).trim().startsWith("#")) {
                first--;
            }
            if (first == i || !lines.get(first).trim().startsWith("# " + m.group(1) + ":")) {
                undocumented.add(lines.get(i).trim());
            }
        }
        assertTrue(keys > 40, "read the keys of values.yaml: " + keys);
        assertEquals(List.of(), undocumented);
    }

    private static List<HasMetadata> render(String... valuesFiles) {
        TemplateCommand template = new Helm(CHART).template().withName("jdd").withNamespace("jdd");
        for (String values : valuesFiles) {
            template = template.withValuesFile(CASES.resolve(values));
        }
        return parse(template.call());
    }

    private static List<HasMetadata> manifestWithoutNamespace() throws IOException {
        List<HasMetadata> manifest = new ArrayList<>(parse(Files.readString(Path.of("..", "daemonset.yaml"))));
        assertTrue(manifest.removeIf(Namespace.class::isInstance), "daemonset.yaml creates its namespace");
        return manifest;
    }

    @SuppressWarnings("unchecked")
    private static List<HasMetadata> parse(String yaml) {
        Object parsed = SERIALIZATION.unmarshal(yaml);
        if (parsed instanceof KubernetesList list) {
            return new ArrayList<>(list.getItems());
        }
        if (parsed instanceof List<?> list) {
            return new ArrayList<>((List<HasMetadata>) list);
        }
        return new ArrayList<>(List.of((HasMetadata) parsed));
    }

    /** The objects that differ between the two sets (by kind and name), each with both sides as YAML. */
    private static List<String> differences(List<HasMetadata> expected, List<HasMetadata> actual) {
        Map<String, HasMetadata> want = byKey(expected);
        Map<String, HasMetadata> got = byKey(actual);
        List<String> differences = new ArrayList<>();
        if (!want.keySet().equals(got.keySet())) {
            differences.add("objects: daemonset.yaml " + want.keySet() + ", chart " + got.keySet());
        }
        for (Map.Entry<String, HasMetadata> e : want.entrySet()) {
            HasMetadata other = got.get(e.getKey());
            if (other != null && !e.getValue().equals(other)) {
                differences.add(e.getKey() + "\n--- daemonset.yaml\n" + SERIALIZATION.asYaml(e.getValue())
                        + "--- chart\n" + SERIALIZATION.asYaml(other));
            }
        }
        return differences;
    }

    private static Map<String, HasMetadata> byKey(List<HasMetadata> objects) {
        Map<String, HasMetadata> byKey = new TreeMap<>();
        for (HasMetadata o : objects) {
            assertEquals(null, byKey.put(key(o), o), "one " + key(o));
        }
        return byKey;
    }

    private static String key(HasMetadata o) {
        return o.getKind() + "/" + o.getMetadata().getName();
    }

    private static void stripHelmLabels(HasMetadata o) {
        stripHelmLabels(o.getMetadata());
        if (o instanceof DaemonSet d) {
            stripHelmLabels(d.getSpec().getTemplate().getMetadata());
        } else if (o instanceof Deployment d) {
            stripHelmLabels(d.getSpec().getTemplate().getMetadata());
        }
    }

    private static void stripHelmLabels(ObjectMeta metadata) {
        metadata.getLabels().keySet().removeAll(HELM_LABELS);
    }

    private static <T extends HasMetadata> T only(List<HasMetadata> objects, Class<T> type) {
        List<T> found = objects.stream().filter(type::isInstance).map(type::cast).toList();
        assertEquals(1, found.size(), "one " + type.getSimpleName());
        return found.get(0);
    }

    private static PodSpec agentPod(List<HasMetadata> objects) {
        return only(objects, DaemonSet.class).getSpec().getTemplate().getSpec();
    }

    private static PodSpec routerPod(List<HasMetadata> objects) {
        return only(objects, Deployment.class).getSpec().getTemplate().getSpec();
    }

    private static Container container(PodSpec pod) {
        return ManifestTest.container(pod);
    }

    private static EnvVar env(Container c, String name) {
        return ManifestTest.env(c, name);
    }

    private static String envValue(Container c, String name) {
        return env(c, name).getValue();
    }

    private static VolumeMount mountOf(Container c, String volume) {
        return c.getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + " does not mount " + volume));
    }
}
