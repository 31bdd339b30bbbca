package dev.jdd.router;

import java.net.URI;
import java.util.Map;
import java.util.Optional;

/** Where the agent of a node answers. */
public interface AgentDirectory extends AutoCloseable {

    /** The base URL ({@code http://ip:port}) of a ready agent on that node. */
    Optional<URI> agentFor(String node);

    /** Why {@link #agentFor} found no agent for that node, in the words of this directory's setup. */
    default String whyNone(String node) {
        return "no ready agent on node " + node;
    }

    /** Every node with a ready agent, for {@code GET /captures}. */
    Map<String, URI> all();

    /** True once the directory knows the agents (the watch cache has synced); static ones always are. */
    boolean ready();

    @Override
    default void close() {
    }
}
