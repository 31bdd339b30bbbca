package dev.jdd.agent.runtime;

/**
 * A container (or, for the local runtime, a host process) that a capture runs against.
 *
 * @param id      the runtime's id (Docker's container id; {@code pid-N} for the local runtime)
 * @param name    a readable name for logs
 * @param hostPid the container's main process as the node sees it, or 0 when unknown
 */
public record Target(String id, String name, long hostPid) {
}
