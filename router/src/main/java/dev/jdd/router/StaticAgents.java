package dev.jdd.router;

import java.net.URI;
import java.util.List;
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

    /** The node is not in {@code --agents}: names the nodes that are (at most ten), since a typo is the usual cause. */
    @Override
    public String whyNone(String node) {
        List<String> known = agents.keySet().stream().sorted().toList();
        return "node " + node + " is not in --agents (known: " + String.join(", ", known.subList(0, Math.min(10, known.size())))
                + (known.size() > 10 ? " and " + (known.size() - 10) + " more" : "") + ")";
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
