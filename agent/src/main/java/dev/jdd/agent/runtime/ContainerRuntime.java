package dev.jdd.agent.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The node's container runtime, as the agent needs it: find a container, copy files into it, run a
 * command in it. Docker implements it today; a containerd/CRI implementation can sit beside it.
 * Implementations are thread-safe: up to {@code --slots} captures call them at once.
 */
public interface ContainerRuntime extends AutoCloseable {

    /**
     * The running container that kubelet labelled with these names (never the pod's sandbox/pause
     * container), or empty when there is none. Names are already DNS-1123-valid.
     *
     * @throws RuntimeUnavailableException when the runtime cannot be reached or answers with an error
     */
    Optional<Target> find(String namespace, String pod, String container);

    /**
     * Why {@link #find} found nothing, in the words of this runtime's setup, for the {@code not-found} answer and the log.
     * Best effort: never throws.
     */
    default String notFound(String namespace, String pod, String container) {
        return "no running container " + container + " of pod " + namespace + "/" + pod + " on this node (" + name()
                + " runtime): check that the alert's node is where the pod runs";
    }

    /**
     * Copies {@code files} (name to content; all made executable) into a fresh temporary folder inside
     * the target and returns that folder's path as the target sees it.
     *
     * @throws CopyRefusedException when the target cannot take files (read-only root filesystem, no
     *         writable temporary folder); the caller then feeds the script on the exec's stdin
     * @throws RuntimeUnavailableException when the runtime cannot be reached
     */
    String copy(Target target, Map<String, byte[]> files);

    /**
     * Runs {@code command} inside the target, feeding {@code stdin} when not null, and collects stdout and
     * stderr separately (each capped; what is cut is dropped). When {@code timeout} passes, or the calling
     * thread is interrupted, it ends the command and every process the command started before returning:
     * nothing of it keeps running in the target.
     *
     * @throws InterruptedException after ending the command, when the calling thread was interrupted
     * @throws RuntimeUnavailableException when the runtime cannot be reached or the target is gone
     */
    ExecResult exec(Target target, List<String> command, byte[] stdin, Duration timeout) throws InterruptedException;

    /**
     * Removes a folder that {@link #copy} made; never throws (failures are logged). Also when the calling thread is
     * interrupted.
     *
     * @return false when the runtime could not remove it (it stalls, fails, or the removal failed in the target): the
     *         folder may still be there and a later call may remove it; true when it is gone, or is not one that this
     *         runtime made (refused, logged)
     */
    boolean removeFolder(Target target, String folder);

    /**
     * The process craw.sh must be told to capture ({@code -p}), or empty when the script finds the JVM itself (in a
     * container, where the script runs beside it). The local runtime's target is a host process, so it names it.
     */
    default OptionalLong scriptPid(Target target) {
        return OptionalLong.empty();
    }

    /** The name for logs, dump headers and {@code --runtime}: {@code docker}, {@code local}. */
    String name();

    @Override
    default void close() {
    }
}
