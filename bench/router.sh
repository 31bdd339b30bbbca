#!/bin/sh
# Router benchmarks (loopback only, bounded): fan-out ratio against sending to the agents directly, and a sustained
# load of webhooks with 5 targets each (p50/p99 latency, router RSS).
# Usage: bench/router.sh [webhooks-per-second] [seconds] [router -Xmx]      (defaults: 200 30 256m)
# Finds a JDK 21+ itself (scripts/find-java.sh; no JAVA_HOME needed), builds router/target/jdd-router.jar and runs
# bench/RouterBench.java with it. Fake agents listen on 127.0.1.1-50, the router on 127.0.0.1; nothing else is touched.
set -eu
cd "$(dirname "$0")/.."
JAVA=$(scripts/find-java.sh)
mvn -B -q -pl router -am package -DskipTests
exec "$JAVA" -Dbench.heap="${3:-256m}" bench/RouterBench.java router/target/jdd-router.jar "${1:-200}" "${2:-30}"
