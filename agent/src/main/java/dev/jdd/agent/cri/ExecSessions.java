package dev.jdd.agent.cri;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;
import dev.jdd.agent.runtime.Execs;
import dev.jdd.agent.runtime.Target;

/**
 * Ends what an exec started, from the node: a CRI runtime's ExecSync timeout kills only the process it started,
 * not what that process started (a jcmd, a sleep). The runtime starts each exec as a new session (runc calls
 * setsid), whose leader carries the exec's random token in its command line. This finds the sessions whose leader
 * or members carry the token in the node's {@code /proc} and signals every process of them: TERM, a grace period,
 * then KILL, until none is left. Needs the node's PID namespace (the DaemonSet runs with {@code hostPID}).
 */
final class ExecSessions {
    private static final Logger LOG = Logger.getLogger(ExecSessions.class.getName());

    private final Path proc;

    ExecSessions(Path proc) {
        this.proc = proc;
    }

    /**
     * Ends every process of the sessions that carry {@code token}; runs to the end even when the calling thread is
     * interrupted (the flag is kept).
     *
     * @return null when none is left (or the exec had ended already), else why they could not be ended
     */
    String end(String token, Target target) {
        String what = target.name();
        boolean interrupted = Thread.interrupted();
        try {
            Set<Long> sessions = sessionsOf(token);
            // Never the session of the container's own processes: were an exec not its own session, that would end
            // the container. Then only the token's processes and what they started go.
            Optional<Long> containers = target.hostPid() > 0 ? session(pid(target.hostPid())) : Optional.empty();
            if (containers.isPresent() && sessions.remove(containers.get())) {
                endTokenProcesses(token, what);
            }
            if (sessions.isEmpty()) {
                if (target.hostPid() > 0 && !Files.isDirectory(pid(target.hostPid()))) {
                    return "its processes are not visible in " + proc + " (the agent needs the node's PID namespace: hostPID)";
                }
                return null;
            }
            List<ProcessHandle> left = Execs.termThenKill(kind -> switch (kind) {
                case TERM -> signal(sessions, false);
                case KILL -> signal(sessions, true);
                case NONE -> members(sessions);
            });
            if (!left.isEmpty()) {
                List<Long> pids = left.stream().map(ProcessHandle::pid).toList();
                LOG.severe(() -> "processes " + pids + " of an exec in " + what + " survived KILL");
                return "processes " + pids + " survived KILL";
            }
            LOG.info(() -> "ended the processes of an exec in " + what + " (sessions " + sessions + ")");
            return null;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Kills the processes whose command line holds the token, and their descendants. */
    private void endTokenProcesses(String token, String what) {
        byte[] needle = token.getBytes(StandardCharsets.US_ASCII);
        List<ProcessHandle> doomed = new java.util.ArrayList<>();
        forEachProcess((pid, dir) -> {
            byte[] cmdline = read(dir.resolve("cmdline"));
            if (cmdline != null && contains(cmdline, needle)) {
                ProcessHandle.of(pid).ifPresent(p -> {
                    doomed.add(p);
                    p.descendants().forEach(doomed::add);
                });
            }
        });
        doomed.forEach(ProcessHandle::destroyForcibly);
        LOG.warning(() -> "an exec in " + what + " shared the container's session; killed its " + doomed.size() + " processes");
    }

    private Path pid(long pid) {
        return proc.resolve(Long.toString(pid));
    }

    /** The session ids of live processes whose command line holds {@code token}. */
    Set<Long> sessionsOf(String token) {
        byte[] needle = token.getBytes(StandardCharsets.US_ASCII);
        Set<Long> sessions = new HashSet<>();
        forEachProcess((pid, dir) -> {
            byte[] cmdline = read(dir.resolve("cmdline"));
            if (cmdline != null && contains(cmdline, needle)) {
                session(dir).ifPresent(sessions::add);
            }
        });
        return sessions;
    }

    private List<ProcessHandle> members(Set<Long> sessions) {
        List<ProcessHandle> members = new java.util.ArrayList<>();
        forEachProcess((pid, dir) -> {
            if (session(dir).filter(sessions::contains).isPresent()) {
                ProcessHandle.of(pid).ifPresent(members::add);
            }
        });
        return members;
    }

    /** Signals the live members (ProcessHandle checks the start time, so a reused PID is never hit). */
    private List<ProcessHandle> signal(Set<Long> sessions, boolean kill) {
        List<ProcessHandle> members = members(sessions);
        for (ProcessHandle p : members) {
            if (kill) {
                p.destroyForcibly();
            } else {
                p.destroy();
            }
        }
        return members;
    }

    @FunctionalInterface
    private interface ProcessVisitor {
        void visit(long pid, Path dir);
    }

    private void forEachProcess(ProcessVisitor visitor) {
        try (DirectoryStream<Path> all = Files.newDirectoryStream(proc)) {
            for (Path dir : all) {
                String name = dir.getFileName().toString();
                if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
                    visitor.visit(Long.parseLong(name), dir);
                }
            }
        } catch (IOException e) {
            LOG.warning(() -> "cannot list " + proc + ": " + e.getMessage());
        }
    }

    /**
     * The session id from {@code stat} (after the last ')': state, ppid, pgrp, session), for a live process; empty
     * for zombies (they run nothing) and processes that went away.
     */
    static Optional<Long> session(Path dir) {
        byte[] stat = read(dir.resolve("stat"));
        if (stat == null) {
            return Optional.empty();
        }
        return sessionFromStat(new String(stat, StandardCharsets.ISO_8859_1));
    }

    static Optional<Long> sessionFromStat(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0 || close + 2 >= stat.length()) {
            return Optional.empty();
        }
        String[] f = stat.substring(close + 2).trim().split(" ");
        if (f.length < 4 || f[0].equals("Z") || f[0].equals("X")) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(f[3]));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            return null; // gone meanwhile, or not ours to read
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
