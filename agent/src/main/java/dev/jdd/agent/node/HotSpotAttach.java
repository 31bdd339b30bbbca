package dev.jdd.agent.node;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The HotSpot dynamic attach protocol (Linux, protocol version 1), spoken from outside the target's
 * container: no tool, agent or file of ours runs inside it. Reaches the target's attach socket through
 * {@code /proc/P/root}, so it works across mount namespaces, and names it by the target's own pid
 * ({@code NSpid}), so it works across pid namespaces.
 *
 * <p>Handshake, as the JDK's own client does it: when {@code <root>/tmp/.java_pid<N>} is absent, create
 * {@code .attach_pid<N>} in the target's working directory (else its {@code /tmp}), owned by the target's
 * user, and send SIGQUIT; HotSpot's signal thread sees the file and starts its attach listener instead of
 * printing a dump. The listener stays up for the life of the JVM, so later captures skip the signal.
 * Request: {@code "1\0<command>\0<arg0>\0<arg1>\0<arg2>\0"}; reply: the decimal status, a newline, the
 * command's output until the listener closes the connection.
 */
public final class HotSpotAttach {
    static final int SIGQUIT = 3;
    private static final int MAX_REPLY_BYTES = 64 << 20;
    private static final long FIRST_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /** Sends a signal to a host pid. */
    @FunctionalInterface
    public interface Signaller {
        void send(long hostPid, int signal, Duration timeout) throws IOException, InterruptedException;
    }

    private final ProcFs proc;
    private final Signaller signaller;

    HotSpotAttach(ProcFs proc, Signaller signaller) {
        this.proc = proc;
        this.signaller = signaller;
    }

    /** Attaches through the node's {@code /proc}, signalling with {@link ShellKill}. */
    public static HotSpotAttach onThisNode() {
        return new HotSpotAttach(new ProcFs(Path.of("/proc")), new ShellKill());
    }

    /** {@code threaddump} with no options: the same text as {@code jstack} or {@code jcmd Thread.print}. */
    public String threadDump(long hostPid, Duration timeout) throws AttachException, InterruptedException {
        return execute(hostPid, timeout, "threaddump", "", "", "");
    }

    /**
     * Runs one attach command in the JVM with host pid {@code hostPid} and returns its output; every step
     * (trigger, connect, write, read) shares the one {@code timeout}.
     */
    public String execute(long hostPid, Duration timeout, String command, String... args)
            throws AttachException, InterruptedException {
        if (args.length > 3) {
            throw new IllegalArgumentException("at most 3 arguments");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Path procPid = proc.pid(hostPid);
        String status;
        try {
            status = ProcFs.read(procPid.resolve("status"));
        } catch (IOException e) {
            throw new AttachException("process " + hostPid + " is gone");
        }
        long nsPid = ProcFs.innermostNsId(status, hostPid);
        int uid = ProcFs.effectiveId(status, "Uid");
        int gid = ProcFs.effectiveId(status, "Gid");
        Path socket = procPid.resolve("root/tmp/.java_pid" + nsPid);
        if (!exists(socket, hostPid)) {
            startListener(hostPid, nsPid, uid, gid, status, socket, deadline);
        }
        byte[] reply = exchange(socket, request(command, args), deadline, hostPid, uid, gid);
        return parseReply(reply, command);
    }

    private boolean exists(Path socket, long hostPid) throws AttachException {
        try {
            Files.readAttributes(socket, "unix:mode");
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (AccessDeniedException e) {
            throw new AttachException("no permission to look into the filesystem of process " + hostPid
                    + " through " + socket.getParent().getParent() + " (the agent needs CAP_SYS_PTRACE for another"
                    + " user's process)");
        } catch (IOException e) {
            throw new AttachException("cannot look for the attach socket " + socket + ": " + e.getMessage());
        } catch (UnsupportedOperationException e) {
            return Files.exists(socket);
        }
    }

    /**
     * Why an attach to {@code hostPid} would be refused, as far as it can be told without signalling the JVM, or null
     * when it may work: its attach listener already runs, or the JVM looks ready to start it.
     */
    public String refusal(long hostPid) {
        Path procPid = proc.pid(hostPid);
        try {
            String status;
            try {
                status = ProcFs.read(procPid.resolve("status"));
            } catch (IOException e) {
                return "process " + hostPid + " is gone";
            }
            long nsPid = ProcFs.innermostNsId(status, hostPid);
            if (!exists(procPid.resolve("root/tmp/.java_pid" + nsPid), hostPid)) {
                checkSignallable(hostPid, ProcFs.effectiveId(status, "Uid"), ProcFs.effectiveId(status, "Gid"), status);
            }
            return null;
        } catch (AttachException e) {
            return e.getMessage();
        }
    }

    /** Throws the reason when SIGQUIT would not (or must not) make this process start its attach listener. */
    private void checkSignallable(long hostPid, int uid, int gid, String status) throws AttachException {
        // SIGQUIT ends a process that does not catch it: only signal what looks like a HotSpot JVM.
        if (!ProcFs.signalInMask(status, "SigCgt", SIGQUIT) || ProcFs.signalInMask(status, "SigIgn", SIGQUIT)) {
            throw new AttachException("process " + hostPid + " does not handle SIGQUIT, so it is not a HotSpot JVM"
                    + " that can start its attach listener (or it runs with -Xrs and has none); not signalled");
        }
        if (attachDisabled(hostPid)) {
            throw new AttachException("the JVM (process " + hostPid + ") runs with -XX:+DisableAttachMechanism;"
                    + " it cannot be attached to; not signalled");
        }
        if (ownUserNamespace(hostPid)) {
            throw new AttachException("process " + hostPid + " runs in its own user namespace (hostUsers: false): there"
                    + " the node's root is an unmapped user, which the JVM does not accept as an attach peer; not"
                    + " signalled");
        }
        int[] self = ownIds();
        int feature = javaFeature(hostPid);
        if ((self[0] != uid || self[1] != gid) && feature > 0 && feature < 10) {
            throw new AttachException(onlyOwnUser(hostPid, uid, gid, self, "Java " + feature + " (process " + hostPid
                    + ") accepts attach only from its own user and group") + "; not signalled");
        }
    }

    private void startListener(long hostPid, long nsPid, int uid, int gid, String status, Path socket, long deadline)
            throws AttachException, InterruptedException {
        checkSignallable(hostPid, uid, gid, status);
        Path trigger = createTrigger(hostPid, nsPid, uid, gid);
        try {
            try {
                signaller.send(hostPid, SIGQUIT, remaining(deadline));
            } catch (IOException e) {
                throw new AttachException("cannot send SIGQUIT to process " + hostPid + ": " + e.getMessage()
                        + " (the agent needs CAP_KILL for another user's process)", e);
            }
            long pause = FIRST_POLL_NANOS;
            while (!exists(socket, hostPid)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AttachException("the JVM (process " + hostPid + ") did not open its attach socket "
                            + socket + " in time after SIGQUIT; it may have attach disabled, or be too busy to"
                            + " answer");
                }
                TimeUnit.NANOSECONDS.sleep(Math.min(pause, left));
                pause = Math.min(pause * 2, MAX_POLL_NANOS);
            }
        } finally {
            if (trigger != null) {
                try {
                    Files.deleteIfExists(trigger);
                } catch (IOException e) {
                    // Best effort: HotSpot ignores a stale trigger once its listener runs.
                }
            }
        }
    }

    /**
     * Creates the trigger file where HotSpot looks (working directory, then /tmp), owned by the target's user
     * when the agent may give files away (CAP_CHOWN): Java 8 and 9 ignore a trigger owned by anyone else, and
     * would print a thread dump to their stdout instead of starting the listener; Java 11+ accept root's.
     * Returns null when the file was already there (someone else is attaching): it is not ours to remove.
     */
    private Path createTrigger(long hostPid, long nsPid, int uid, int gid) throws AttachException {
        String name = ".attach_pid" + nsPid;
        IOException first = null;
        for (Path dir : new Path[] {proc.pid(hostPid).resolve("cwd"), proc.pid(hostPid).resolve("root/tmp")}) {
            Path trigger = dir.resolve(name);
            try {
                Files.createFile(trigger);
            } catch (FileAlreadyExistsException e) {
                return null;
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
                continue;
            }
            try {
                Files.setAttribute(trigger, "unix:gid", gid);
                Files.setAttribute(trigger, "unix:uid", uid);
            } catch (IOException | UnsupportedOperationException e) {
                // Without CAP_CHOWN the file stays root's, which HotSpot 11+ accepts.
            }
            return trigger;
        }
        throw new AttachException("cannot create the attach trigger file " + name + " in the working directory or"
                + " /tmp of process " + hostPid + ": " + first);
    }

    /** Whether the target's user namespace differs from the agent's (unreadable links count as the same). */
    private boolean ownUserNamespace(long hostPid) {
        try {
            return !Files.readSymbolicLink(proc.pid(hostPid).resolve("ns/user"))
                    .equals(Files.readSymbolicLink(proc.proc().resolve("self/ns/user")));
        } catch (IOException e) {
            return false;
        }
    }

    private boolean attachDisabled(long hostPid) {
        for (String file : new String[] {"cmdline", "environ"}) {
            try {
                if (ProcFs.read(proc.pid(hostPid).resolve(file)).contains("-XX:+DisableAttachMechanism")) {
                    return true;
                }
            } catch (IOException e) {
                // Unreadable: let the handshake find out.
            }
        }
        return false;
    }

    static byte[] request(String command, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("1".getBytes(StandardCharsets.UTF_8));
        out.write(0);
        out.writeBytes(command.getBytes(StandardCharsets.UTF_8));
        out.write(0);
        for (int i = 0; i < 3; i++) {
            if (i < args.length && args[i] != null) {
                out.writeBytes(args[i].getBytes(StandardCharsets.UTF_8));
            }
            out.write(0);
        }
        return out.toByteArray();
    }

    private byte[] exchange(Path socket, byte[] request, long deadline, long hostPid, int uid, int gid)
            throws AttachException, InterruptedException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
             Selector selector = Selector.open()) {
            channel.configureBlocking(false);
            try {
                if (!channel.connect(UnixDomainSocketAddress.of(socket))) {
                    await(channel, selector, SelectionKey.OP_CONNECT, deadline, "connect");
                    channel.finishConnect();
                }
            } catch (IOException e) {
                throw connectFailure(socket, hostPid, e);
            }
            ByteBuffer out = ByteBuffer.wrap(request);
            ByteArrayOutputStream reply = new ByteArrayOutputStream(64 * 1024);
            try {
                while (out.hasRemaining()) {
                    if (channel.write(out) == 0) {
                        await(channel, selector, SelectionKey.OP_WRITE, deadline, "send the request");
                    }
                }
                ByteBuffer in = ByteBuffer.allocate(64 * 1024);
                while (true) {
                    int n = channel.read(in);
                    if (n < 0) {
                        break;
                    }
                    if (n == 0) {
                        await(channel, selector, SelectionKey.OP_READ, deadline, "read the reply");
                        continue;
                    }
                    reply.write(in.array(), 0, in.position());
                    in.clear();
                    if (reply.size() > MAX_REPLY_BYTES) {
                        throw new AttachException("the JVM's reply is larger than " + (MAX_REPLY_BYTES >> 20)
                                + " MiB; cut off");
                    }
                }
            } catch (IOException e) {
                if (reply.size() == 0) {
                    throw closedWithoutAnswer(hostPid, uid, gid, e.getMessage());
                }
                throw new AttachException("the attach connection to process " + hostPid + " broke: " + e.getMessage(), e);
            }
            if (reply.size() == 0) {
                throw closedWithoutAnswer(hostPid, uid, gid, null);
            }
            return reply.toByteArray();
        } catch (IOException e) {
            throw new AttachException("cannot open a unix socket: " + e.getMessage(), e);
        }
    }

    private static void await(SocketChannel channel, Selector selector, int op, long deadline, String step)
            throws IOException, AttachException, InterruptedException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new AttachException("timed out waiting to " + step + " on the attach socket");
        }
        SelectionKey key = channel.register(selector, op);
        selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        selector.selectedKeys().clear();
        key.interestOps(0);
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    private AttachException connectFailure(Path socket, long hostPid, IOException e) {
        String why = String.valueOf(e.getMessage());
        if (why.contains("ermission denied")) {
            return new AttachException("no permission to connect to the attach socket " + socket + " (it is mode 0600"
                    + " and another user's: the agent needs CAP_DAC_OVERRIDE)", e);
        }
        if (why.contains("onnection refused")) {
            return new AttachException("the attach socket " + socket + " of process " + hostPid + " refuses"
                    + " connections: its listener is gone (stale socket)", e);
        }
        return new AttachException("cannot connect to the attach socket " + socket + ": " + why, e);
    }

    private AttachException closedWithoutAnswer(long hostPid, int uid, int gid, String detail) {
        int[] self = ownIds();
        String suffix = detail == null ? "" : " (" + detail + ")";
        if (self[0] != uid || self[1] != gid) {
            return new AttachException(onlyOwnUser(hostPid, uid, gid, self, "the JVM (process " + hostPid
                    + ") closed the attach connection without answering: it accepts only its own user and group as a"
                    + " peer, as older HotSpot does (Java 8 and 9; Java 11 and newer also accept root)") + suffix);
        }
        return new AttachException("the JVM (process " + hostPid + ") closed the attach connection without answering"
                + suffix);
    }

    private static String onlyOwnUser(long hostPid, int uid, int gid, int[] self, String what) {
        return what + "; it runs as uid " + uid + " gid " + gid + " and the agent as uid " + self[0] + " gid " + self[1]
                + ", so the node engine cannot capture it (the script engine can, where the image has jstack or jcmd)";
    }

    /**
     * The target's Java feature version from the {@code release} file of its runtime, seen through its root
     * ({@code <home>/bin/java}, or {@code <jdk>/jre/bin/java} on Java 8), or -1 when unknown.
     */
    public int javaFeature(long hostPid) {
        Path procPid = proc.pid(hostPid);
        try {
            String exe = Files.readSymbolicLink(procPid.resolve("exe")).toString().replace(" (deleted)", "");
            Path bin = Path.of(exe).getParent();
            if (bin == null || bin.getParent() == null) {
                return -1;
            }
            for (Path home = bin.getParent(); home != null; home = home.getParent()) {
                Path release = procPid.resolve("root").resolve(home.toString().replaceFirst("^/+", "")).resolve("release");
                if (Files.isRegularFile(release)) {
                    return releaseFeature(ProcFs.read(release));
                }
                if (!home.getFileName().toString().equals("jre")) {
                    break;
                }
            }
            return exe.endsWith("/jre/bin/java") ? 8 : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static int releaseFeature(String release) {
        for (String line : release.split("\n")) {
            if (line.startsWith("JAVA_VERSION=")) {
                String v = line.substring("JAVA_VERSION=".length()).replace("\"", "").trim();
                String[] parts = v.split("[._+-]");
                return Integer.parseInt(parts[0].equals("1") && parts.length > 1 ? parts[1] : parts[0]);
            }
        }
        return -1;
    }

    private int[] ownIds() {
        try {
            String status = ProcFs.read(Path.of("/proc/self/status"));
            return new int[] {ProcFs.effectiveId(status, "Uid"), ProcFs.effectiveId(status, "Gid")};
        } catch (IOException | RuntimeException e) {
            return new int[] {-1, -1};
        }
    }

    /** Splits {@code "<status>\n<output>"}; a non-zero status is the command's failure with its output as reason. */
    static String parseReply(byte[] reply, String command) throws AttachException {
        int newline = -1;
        for (int i = 0; i < Math.min(reply.length, 16); i++) {
            if (reply[i] == '\n') {
                newline = i;
                break;
            }
        }
        String head = new String(reply, 0, newline < 0 ? Math.min(reply.length, 16) : newline, StandardCharsets.US_ASCII);
        int code;
        try {
            code = Integer.parseInt(head.trim());
        } catch (NumberFormatException e) {
            throw new AttachException("the JVM answered something that is not the attach protocol: " + head.trim());
        }
        String body = newline < 0 ? "" : new String(reply, newline + 1, reply.length - newline - 1, StandardCharsets.UTF_8);
        if (code == 101) {
            throw new AttachException("the JVM does not speak attach protocol version 1 (status 101)");
        }
        if (code != 0) {
            throw new AttachException("the JVM refused '" + command + "' with status " + code
                    + (body.isBlank() ? "" : ": " + body.strip()));
        }
        return body;
    }

    static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }
}
