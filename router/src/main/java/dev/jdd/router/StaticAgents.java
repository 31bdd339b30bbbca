package dev.jdd.router;

import java.net.URI;
import java.util.Map;
import java.util.Optional;

/** Agents from {@code --agents=node1=http://10.0.0.5:8081,...}: no cluster needed. */
public final class StaticAgents implements AgentDirectory {
    private final Map<String, URI> agents;

    public StaticAgents(Map<String, URI> agents) {
        this.agents = Map.copyOf(agents);
    }

    @Override
    public Optional<URI> agentFor(String node) {
        return Optional.ofNullable(agents.get(node));
    }

    @Override
    public Map<String, URI> all() {
        return agents;
    }

    @Override
    public boolean ready() {
        return true;
    }
}
