#!/usr/bin/env bash
# Profile overhead: capture wall time and the target's CPU with --profile=cpu against --profile=off, two agents
# with the image's JVM flags capturing the same JVM in turns, in one run; medians and ratios cpu/off (goals: wall
# <= 1.05, target CPU <= 1.10), then each agent's RSS after its captures. See bench/ProfileOverheadBench.java.
#   bench/profile-overhead.sh [RUNS] [INTERVAL_MS]        (defaults 10 and 2000; run as root, from the repository)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
interval=${2:-2000}

# The image's flags (Dockerfile JDD_DEFAULT_JAVA_OPTS; ManifestTest keeps bench/agent-footprint.sh equal to it).
flags=$(sed -n 's/^ENV JDD_DEFAULT_JAVA_OPTS="\(.*\)"$/\1/p' Dockerfile)
[ -n "$flags" ] || { echo "no JDD_DEFAULT_JAVA_OPTS in Dockerfile" >&2; exit 1; }
mvn -B -q -pl agent -am package -DskipTests
java=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}

work=$(mktemp -d /tmp/jdd-profile-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$java" -XX:+UseSerialGC -Xmx128m \
  -cp "agent/target/libs/*:common/target/classes:common/target/test-classes" \
  bench/ProfileOverheadBench.java "$java" agent/target/jdd-agent.jar "$flags" "$runs" "$interval" "$work"
