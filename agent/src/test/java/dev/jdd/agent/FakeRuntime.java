package dev.jdd.agent;

import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.agent.runtime.CopyRefusedException;
import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.agent.runtime.RuntimeUnavailableException;
import dev.jdd.agent.runtime.Target;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hand-written runtime for tests: containers exist unless told otherwise, exec can be held at a gate, and it
 * measures how many execs run at once (the peak is what the slot limit must bound).
 */
final class FakeRuntime implements ContainerRuntime {
    final AtomicInteger execsNow = new AtomicInteger();
    final AtomicInteger peakExecs = new AtomicInteger();
    final AtomicInteger execsStarted = new AtomicInteger();
    final AtomicInteger finds = new AtomicInteger();
    final List<List<String>> commands = new CopyOnWriteArrayList<>();
    final List<byte[]> stdins = new CopyOnWriteArrayList<>();
    final List<String> copied = new CopyOnWriteArrayList<>();
    final List<String> removed = new CopyOnWriteArrayList<>();
    final Set<String> missing = ConcurrentHashMap.newKeySet();
    /** Containers that vanish after admission: found once, then gone. */
    final Set<String> vanishing = ConcurrentHashMap.newKeySet();
    volatile String unavailable;
    /** Thrown by find: a runtime bug rather than an unreachable engine. */
    volatile RuntimeException bug;
    volatile boolean refuseCopy;
    volatile boolean timeOut;
    volatile int exitCode;
    volatile String stdout = "# jdd-capture: 1\n# pid: 4242\n# engine: jcmd\n#\n#1 cpu=99.0% tid=7 \"hot-spinner\" RUNNABLE\n";
    volatile String stderr = "";
    volatile CountDownLatch gate = new CountDownLatch(0);
    private final AtomicInteger folders = new AtomicInteger();

    @Override
    public Optional<Target> find(String namespace, String pod, String container) {
        finds.incrementAndGet();
        if (unavailable != null) {
            throw new RuntimeUnavailableException(unavailable);
        }
        if (bug != null) {
            throw bug;
        }
        String key = namespace + "/" + pod + "/" + container;
        if (missing.contains(key)) {
            return Optional.empty();
        }
        if (vanishing.remove(key)) {
            missing.add(key);
        }
        return Optional.of(new Target("c0ffee" + Math.abs(key.hashCode()), key, 4242));
    }

    @Override
    public String copy(Target target, Map<String, byte[]> files) {
        if (refuseCopy) {
            throw new CopyRefusedException("read-only file system", null);
        }
        String folder = "/tmp/jdd-fake-" + folders.incrementAndGet();
        copied.add(folder);
        return folder;
    }

    @Override
    public ExecResult exec(Target target, List<String> command, byte[] stdin, Duration timeout) throws InterruptedException {
        commands.add(List.copyOf(command));
        if (stdin != null) {
            stdins.add(stdin);
        }
        execsStarted.incrementAndGet();
        int now = execsNow.incrementAndGet();
        peakExecs.accumulateAndGet(now, Math::max);
        try {
            if (!gate.await(timeOut ? 0 : 60, TimeUnit.SECONDS)) {
                return new ExecResult(-1, stdout.getBytes(StandardCharsets.UTF_8), new byte[0], true);
            }
            if (unavailable != null) {
                throw new RuntimeUnavailableException(unavailable);
            }
            return new ExecResult(exitCode, stdout.getBytes(StandardCharsets.UTF_8), stderr.getBytes(StandardCharsets.UTF_8),
                    timeOut);
        } finally {
            execsNow.decrementAndGet();
        }
    }

    @Override
    public boolean removeFolder(Target target, String folder) {
        removed.add(folder);
        return true;
    }

    @Override
    public String name() {
        return "fake";
    }

    void hold() {
        gate = new CountDownLatch(1);
    }

    void release() {
        gate.countDown();
    }
}
