#!/bin/sh
# Agent storm benchmark on the real Docker engine (loopback only, bounded): 1,000 capture requests in one burst
# for 25 kubelet-labelled JVM containers. Prints the peak of craw.sh runs seen from the host's /proc (must equal
# --slots), outcome counts (must add up to the requests), admission latency p50/p99 against a GET /health burst
# of the same shape on the same agent, and agent RSS during the storm against before it. Exits 1 on a wrong peak
# or count. Needs root (host /proc of the containers), a Docker engine and busybox-static; removes its containers.
# Usage: bench/agent-storm.sh [requests] [containers] [slots] [client-threads]     (defaults 1000 25 10 100)
set -eu
cd "$(dirname "$0")/.."

JAVA=$(scripts/find-java.sh) || { echo "agent-storm.sh: no JDK 21 or newer found" >&2; exit 1; }
[ -x "$(dirname "$JAVA")/jlink" ] || { echo "agent-storm.sh: $JAVA has no jlink next to it (a JDK is needed)" >&2; exit 1; }

# Builds the agent jar and the test classes (the container images are built from them), and writes the test classpath.
mvn -B -q -pl agent -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec "$JAVA" -cp "agent/target/test-classes:agent/target/jdd-agent.jar:$(cat agent/target/bench.classpath)" \
  dev.jdd.agent.docker.AgentStorm "$@"
