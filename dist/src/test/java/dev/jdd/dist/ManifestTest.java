package dev.jdd.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.AgentConfig;
import dev.jdd.agent.cri.CriEndpoint;
import dev.jdd.agent.docker.AgentProcess;
import dev.jdd.common.Flags;
import dev.jdd.router.KubernetesAgents;
import dev.jdd.router.KubernetesPods;
import dev.jdd.router.RouterConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * daemonset.yaml, parsed with fabric8, must agree with the code: the environment variables are flags the roles
 * really read, ports, labels and selectors line up, mounted paths are where the flags point, and every Kubernetes
 * API call the router makes is allowed by the RBAC the manifest grants it.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class ManifestTest {
    static KubernetesClient client;
    static KubernetesMockServer server;

    private static List<HasMetadata> items;
    private static DaemonSet agents;
    private static Deployment routers;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = Files.newInputStream(Path.of("..", "daemonset.yaml"))) {
            items = client.load(in).items();
        }
        agents = only(DaemonSet.class);
        routers = only(Deployment.class);
    }

    @Test
    void environmentVariablesAreFlagsTheRolesRead() {
        AgentConfig agent = agentConfig();
        assertEquals("/var/log/jdd", agent.dumpDir().toString());
        assertEquals("auto", agent.runtime());
        RouterConfig router = routerConfig();
        assertFalse(router.hasStaticAgents(), "the cluster install discovers agents through the API");
        assertEquals(8080, router.port());
    }

    @Test
    void portsAgree() {
        Container agent = container(agents.getSpec().getTemplate().getSpec());
        Container router = container(routers.getSpec().getTemplate().getSpec());
        int agentPort = agentConfig().port();
        assertEquals(agentPort, agent.getPorts().get(0).getContainerPort());
        assertEquals(agentPort, routerConfig().agentPort(), "the router calls agents on the agents' port");
        NetworkPolicy policy = only(NetworkPolicy.class);
        assertEquals(agentPort, policy.getSpec().getIngress().get(0).getPorts().get(0).getPort().getIntVal());

        int routerPort = routerConfig().port();
        assertEquals(routerPort, router.getPorts().get(0).getContainerPort());
        Service service = only(Service.class);
        String targetPort = service.getSpec().getPorts().get(0).getTargetPort().getStrVal();
        assertEquals(router.getPorts().get(0).getName(), targetPort);
        for (Container c : List.of(agent, router)) {
            assertEquals("/health", c.getReadinessProbe().getHttpGet().getPath());
            assertEquals(c.getPorts().get(0).getName(), c.getReadinessProbe().getHttpGet().getPort().getStrVal());
            assertEquals(c.getPorts().get(0).getName(), c.getLivenessProbe().getHttpGet().getPort().getStrVal());
        }
        assertEquals("/health", agent.getLivenessProbe().getHttpGet().getPath());
        assertEquals("/health/live", router.getLivenessProbe().getHttpGet().getPath(),
                "an API outage (readiness) must not restart routers");
    }

    @Test
    void labelsAndSelectorsLineUp() {
        Map<String, String> agentLabels = agents.getSpec().getTemplate().getMetadata().getLabels();
        Map<String, String> routerLabels = routers.getSpec().getTemplate().getMetadata().getLabels();
        assertTrue(matches(agents.getSpec().getSelector(), agentLabels));
        assertTrue(matches(routers.getSpec().getSelector(), routerLabels));
        assertTrue(routerLabels.entrySet().containsAll(only(Service.class).getSpec().getSelector().entrySet()));
        assertFalse(agentLabels.entrySet().containsAll(only(Service.class).getSpec().getSelector().entrySet()),
                "the router Service must not select agents");

        NetworkPolicy policy = only(NetworkPolicy.class);
        assertTrue(matches(policy.getSpec().getPodSelector(), agentLabels));
        assertTrue(matches(policy.getSpec().getIngress().get(0).getFrom().get(0).getPodSelector(), routerLabels));

        // The router finds agents with its --agent-selector in its own namespace.
        RouterConfig router = routerConfig();
        for (String term : router.agentSelector().split(",")) {
            String[] kv = term.split("=", 2);
            assertEquals(kv[1], agentLabels.get(kv[0]), "agent pods carry the router's selector " + term);
        }
        assertEquals(agents.getMetadata().getNamespace(), routers.getMetadata().getNamespace());
        EnvVar ns = env(container(routers.getSpec().getTemplate().getSpec()), "JDD_AGENT_NAMESPACE");
        assertEquals("metadata.namespace", ns.getValueFrom().getFieldRef().getFieldPath());
    }

    @Test
    void mountedPathsAreWhereTheFlagsPoint() {
        PodSpec pod = agents.getSpec().getTemplate().getSpec();
        Container agent = container(pod);
        AgentConfig config = agentConfig();
        Volume dumps = volumeMountedAt(pod, agent, config.dumpDir().toString());
        assertEquals("/var/log/jdd", dumps.getHostPath().getPath(), "dumps go to the node, for log shippers");
        String socket = URI.create(config.dockerHost()).getPath();
        Volume dockerSocket = volumeMountedAt(pod, agent, socket);
        assertEquals("", dockerSocket.getHostPath().getType(), "no type check: most nodes have no Docker");
        assertEquals(socket, dockerSocket.getHostPath().getPath());
        // --runtime=auto's candidates: each CRI socket's folder is mounted at the same path (a restarted runtime
        // makes a new socket file, which only a folder mount follows); cri-dockerd's socket sits in /var/run itself.
        for (String candidate : CriEndpoint.USUAL_ENDPOINTS) {
            Path path = Path.of(URI.create(candidate).getPath());
            Path folder = path.getParent();
            boolean inOwnFolder = !folder.toString().equals("/var/run");
            Volume v = volumeMountedAt(pod, agent, (inOwnFolder ? folder : path).toString());
            assertEquals((inOwnFolder ? folder : path).toString(), v.getHostPath().getPath(), candidate);
            assertEquals(inOwnFolder ? "DirectoryOrCreate" : "", v.getHostPath().getType(), candidate);
        }
        for (PodSpec spec : List.of(pod, routers.getSpec().getTemplate().getSpec())) {
            Container c = container(spec);
            assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem());
            assertNotNull(volumeMountedAt(spec, c, "/tmp").getEmptyDir(), "a read-only root needs a writable /tmp");
        }
    }

    @Test
    void agentPodIsANodeCitizenButNotPrivileged() {
        PodSpec pod = agents.getSpec().getTemplate().getSpec();
        Container agent = container(pod);
        assertFalse(pod.getAutomountServiceAccountToken(), "the agent never talks to the API server");
        assertFalse(agent.getSecurityContext().getPrivileged());
        assertFalse(agent.getSecurityContext().getAllowPrivilegeEscalation());
        assertTrue(pod.getTolerations().stream().anyMatch(t -> "Exists".equals(t.getOperator()) && t.getKey() == null),
                "runs on every node, tainted or not");
        Map<String, Quantity> requests = agent.getResources().getRequests();
        assertEquals(requests, agent.getResources().getLimits(), "requests equal limits");
        assertEquals("spec.nodeName", env(agent, "JDD_NODE").getValueFrom().getFieldRef().getFieldPath());
        assertEquals("token", env(agent, "JDD_TOKEN").getValueFrom().getSecretKeyRef().getKey());
        assertEquals(env(agent, "JDD_TOKEN").getValueFrom().getSecretKeyRef().getName(),
                env(container(routers.getSpec().getTemplate().getSpec()), "JDD_TOKEN").getValueFrom().getSecretKeyRef().getName(),
                "router and agents share one token");
        String agentAccount = pod.getServiceAccountName();
        for (RoleBinding b : all(RoleBinding.class)) {
            assertFalse(b.getSubjects().stream().anyMatch(s -> agentAccount.equals(s.getName())), "no RBAC for the agent");
        }
        for (ClusterRoleBinding b : all(ClusterRoleBinding.class)) {
            assertFalse(b.getSubjects().stream().anyMatch(s -> agentAccount.equals(s.getName())), "no RBAC for the agent");
        }
    }

    @Test
    void routerRunsLockedDown() {
        PodSpec pod = routers.getSpec().getTemplate().getSpec();
        assertEquals(2, routers.getSpec().getReplicas());
        assertTrue(pod.getSecurityContext().getRunAsNonRoot());
        Container router = container(pod);
        assertEquals(List.of("ALL"), router.getSecurityContext().getCapabilities().getDrop());
        assertTrue(only(ServiceAccount.class, a -> a.getMetadata().getName().equals(pod.getServiceAccountName())).isPresent());
    }

    /** The footprint and storm figures are only the image's if they are measured with its JVM flags. */
    @Test
    void theAgentIsMeasuredWithTheImagesJvmFlags() throws IOException {
        List<String> image = quoted(Files.readString(Path.of("..", "Dockerfile")), "JDD_DEFAULT_JAVA_OPTS=\"").stream()
                .filter(flag -> !flag.equals("-XX:+IgnoreUnrecognizedVMOptions")) // lets older JVMs start; not a setting
                .toList();
        assertTrue(image.contains("-Xmx64m"), image.toString());
        assertEquals(image, AgentProcess.JVM_FLAGS);
        assertEquals(image, quoted(Files.readString(Path.of("..", "bench", "agent-footprint.sh")), "IMAGE_FLAGS=\""));
    }

    /** The space-separated words between {@code start} and the next double quote. */
    private static List<String> quoted(String text, String start) {
        int from = text.indexOf(start);
        assertTrue(from >= 0, "no " + start);
        from += start.length();
        return List.of(text.substring(from, text.indexOf('"', from)).trim().split("\\s+"));
    }

    /** Runs the router's real Kubernetes code against the mock API and checks each call against the manifest's RBAC. */
    @Test
    void everyApiCallOfTheRouterIsAllowedByItsRbac() throws Exception {
        RouterConfig config = routerConfig();
        String namespace = routers.getMetadata().getNamespace();
        client.resource(new PodBuilder().withNewMetadata().withName("shop-1").withNamespace("shop").endMetadata()
                .withNewSpec().withNodeName("node-a").addNewContainer().withName("app").endContainer().endSpec().build())
                .create();
        while (server.takeRequest(100, TimeUnit.MILLISECONDS) != null) {
            // drop the set-up's own requests
        }
        try (KubernetesAgents discovery = new KubernetesAgents(client, namespace, config.agentSelector(), config.agentPort())) {
            for (int i = 0; i < 100 && !discovery.ready(); i++) {
                Thread.sleep(50);
            }
            assertTrue(discovery.ready(), "the informer synced against the mock API");
            assertTrue(new KubernetesPods(client).find("shop", "shop-1").isPresent());
        }
        List<String> denied = new ArrayList<>();
        int calls = 0;
        RecordedRequest request;
        while ((request = server.takeRequest(200, TimeUnit.MILLISECONDS)) != null) {
            calls++;
            ApiCall call = ApiCall.of(request.getMethod(), request.getPath());
            if (!allowed(call, routers.getSpec().getTemplate().getSpec().getServiceAccountName(), namespace)) {
                denied.add(call + " (" + request.getMethod() + " " + request.getPath() + ")");
            }
        }
        assertTrue(calls >= 3, "list, watch and get were observed, saw " + calls);
        assertEquals(List.of(), denied, "API calls the router makes that its RBAC does not allow");
    }

    /** A Kubernetes API call as RBAC sees it. */
    record ApiCall(String verb, String resource, String namespace) {
        static ApiCall of(String method, String path) {
            URI uri = URI.create(path);
            String[] parts = uri.getPath().split("/");
            // /api/v1/namespaces/{ns}/pods[/{name}]  or  /api/v1/pods
            String namespace = null;
            String resource;
            boolean named;
            if (parts.length > 4 && parts[3].equals("namespaces")) {
                namespace = parts[4];
                resource = parts.length > 5 ? parts[5] : "namespaces";
                named = parts.length > 6;
            } else {
                resource = parts[3];
                named = parts.length > 4;
            }
            String query = uri.getQuery() == null ? "" : uri.getQuery();
            String verb = switch (method) {
                case "GET" -> query.contains("watch=true") ? "watch" : named ? "get" : "list";
                case "POST" -> "create";
                case "PUT" -> "update";
                case "PATCH" -> "patch";
                case "DELETE" -> "delete";
                default -> method.toLowerCase();
            };
            return new ApiCall(verb, resource, namespace);
        }
    }

    private static boolean allowed(ApiCall call, String account, String accountNamespace) {
        for (RoleBinding b : all(RoleBinding.class)) {
            if (boundTo(b.getSubjects(), account, accountNamespace) && b.getMetadata().getNamespace().equals(call.namespace())) {
                Role role = only(Role.class, r -> r.getMetadata().getName().equals(b.getRoleRef().getName())
                        && r.getMetadata().getNamespace().equals(b.getMetadata().getNamespace())).orElseThrow();
                if (role.getRules().stream().anyMatch(r -> grants(r, call))) {
                    return true;
                }
            }
        }
        for (ClusterRoleBinding b : all(ClusterRoleBinding.class)) {
            if (boundTo(b.getSubjects(), account, accountNamespace)) {
                ClusterRole role = only(ClusterRole.class, r -> r.getMetadata().getName().equals(b.getRoleRef().getName()))
                        .orElseThrow();
                if (role.getRules().stream().anyMatch(r -> grants(r, call))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean boundTo(List<Subject> subjects, String account, String namespace) {
        return subjects.stream().anyMatch(s -> "ServiceAccount".equals(s.getKind()) && account.equals(s.getName())
                && namespace.equals(s.getNamespace()));
    }

    private static boolean grants(PolicyRule rule, ApiCall call) {
        return rule.getApiGroups().contains("") && rule.getResources().contains(call.resource())
                && (rule.getVerbs().contains(call.verb()) || rule.getVerbs().contains("*"));
    }

    private static AgentConfig agentConfig() {
        return AgentConfig.from(Flags.parse(flagsFrom(container(agents.getSpec().getTemplate().getSpec())), Map.of()), Map.of());
    }

    private static RouterConfig routerConfig() {
        Flags flags = Flags.parse(flagsFrom(container(routers.getSpec().getTemplate().getSpec())), Map.of());
        RouterConfig config = RouterConfig.from(flags);
        flags.rejectUnknown();
        return config;
    }

    /** Each {@code JDD_X_Y} of the container as {@code --x-y=value}; values from the cluster get a stand-in. */
    static String[] flagsFrom(Container c) {
        return c.getEnv().stream()
                .filter(e -> e.getName().startsWith("JDD_"))
                .map(e -> "--" + e.getName().substring(4).toLowerCase().replace('_', '-') + "="
                        + (e.getValue() != null ? e.getValue() : standIn(e)))
                .toArray(String[]::new);
    }

    private static String standIn(EnvVar e) {
        String field = e.getValueFrom().getFieldRef() == null ? "" : e.getValueFrom().getFieldRef().getFieldPath();
        return switch (field) {
            case "metadata.namespace" -> "jdd";
            case "spec.nodeName" -> "node-a";
            default -> "secret-from-cluster";
        };
    }

    static Container container(PodSpec spec) {
        assertEquals(1, spec.getContainers().size());
        return spec.getContainers().get(0);
    }

    static EnvVar env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + " has no " + name));
    }

    private static Volume volumeMountedAt(PodSpec pod, Container c, String path) {
        VolumeMount mount = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + " mounts nothing at " + path));
        return pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
    }

    private static boolean matches(LabelSelector selector, Map<String, String> labels) {
        return selector.getMatchLabels() != null && !selector.getMatchLabels().isEmpty()
                && labels.entrySet().containsAll(selector.getMatchLabels().entrySet());
    }

    private static <T extends HasMetadata> List<T> all(Class<T> type) {
        return items.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
    }

    private static <T extends HasMetadata> T only(Class<T> type) {
        List<T> found = all(type);
        assertEquals(1, found.size(), "one " + type.getSimpleName() + " in daemonset.yaml");
        return found.get(0);
    }

    private static <T extends HasMetadata> Optional<T> only(Class<T> type, java.util.function.Predicate<T> which) {
        return all(type).stream().filter(which).findFirst();
    }
}
