package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.common.ConfigException;
import java.io.File;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choices that need no runtime; the CRI ones against a real containerd are in CriRuntimeIT. */
class RuntimeChoiceTest {
    @TempDir
    Path dir;

    @Test
    void criWithoutAnAnsweringSocketNamesEverySocketTried() throws Exception {
        String missing = "unix://" + dir.resolve("missing.sock");
        Path notASocket = Files.writeString(dir.resolve("plain.sock"), "");
        ConfigException e = assertThrows(ConfigException.class,
                () -> RuntimeChoice.open("cri", null, "unix:///var/run/docker.sock", List.of(missing, notASocket.toString())));
        assertTrue(e.getMessage().startsWith("--runtime=cri: no CRI runtime answers at " + missing + ", " + notASocket), e.getMessage());
        assertTrue(e.getMessage().contains("set --runtime-endpoint"), e.getMessage());
    }

    @Test
    void autoFallsBackToDockerAndTheOthersAreWhatTheyName() {
        String missing = "unix://" + dir.resolve("missing.sock");
        try (ContainerRuntime r = RuntimeChoice.open("auto", null, "unix://" + dir.resolve("docker.sock"), List.of(missing))) {
            assertEquals("docker", r.name());
        }
        try (ContainerRuntime r = RuntimeChoice.open("local", null, "unix:///var/run/docker.sock", List.of(missing))) {
            assertEquals("local", r.name());
        }
        assertThrows(ConfigException.class, () -> RuntimeChoice.open("docker", null, "not a uri", List.of()));
    }

    @Test
    void autoLoadsNoGrpcClassWhenNoCandidateSocketExists() throws Exception {
        String missing = "unix://" + dir.resolve("missing.sock");
        Set<String> loaded = openInFreshLoader("auto", missing);
        assertTrue(loaded.contains(RuntimeChoice.class.getName()), "the fresh loader ran the choice: " + loaded);
        assertTrue(loaded.stream().noneMatch(c -> c.startsWith("io.grpc.") || c.equals("dev.jdd.agent.cri.CriRuntime")),
                loaded.stream().filter(c -> c.startsWith("io.grpc.") || c.contains(".cri.")).toList().toString());
    }

    @Test
    void aCandidateFileThatExistsIsProbedOverGrpc() throws Exception {
        Path notASocket = Files.writeString(dir.resolve("plain.sock"), "");
        Set<String> loaded = openInFreshLoader("auto", "unix://" + notASocket);
        assertTrue(loaded.contains("dev.jdd.agent.cri.CriRuntime"), loaded.toString());
        assertTrue(loaded.stream().anyMatch(c -> c.startsWith("io.grpc.")), "the probe went through gRPC");
    }

    /**
     * Runs {@code RuntimeChoice.open(runtime, null, <a Docker socket that is not there>, [candidate])} in a class
     * loader of its own over the test class path, and answers the names of the classes that loader defined.
     */
    private Set<String> openInFreshLoader(String runtime, String candidate) throws Exception {
        Set<String> defined = ConcurrentHashMap.newKeySet();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<URL> urls = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            try {
                urls.add(Path.of(entry).toUri().toURL());
            } catch (MalformedURLException e) {
                throw new IllegalStateException(entry, e);
            }
        }
        try (URLClassLoader fresh = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader()) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                Class<?> c = super.findClass(name);
                defined.add(name);
                return c;
            }
        }) {
            Class<?> choice = Class.forName(RuntimeChoice.class.getName(), true, fresh);
            Method open = choice.getMethod("open", String.class, String.class, String.class, List.class);
            try (AutoCloseable r = (AutoCloseable) open.invoke(null, runtime, null, "unix://" + dir.resolve("docker.sock"),
                    List.of(candidate))) {
                assertEquals("docker", fresh.loadClass(ContainerRuntime.class.getName()).getMethod("name").invoke(r));
            }
        }
        return defined;
    }
}
