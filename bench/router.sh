#!/bin/sh
# Router benchmarks (loopback only, bounded): fan-out ratio vs direct-to-agents, and sustained 200 webhooks/s.
# Usage: bench/router.sh [rate-per-second] [seconds]     (defaults 200 30)
# Finds a JDK 21+ itself (no JAVA_HOME needed), builds router/target/jdd-router.jar, runs bench/RouterBench.java.
set -eu
cd "$(dirname "$0")/.."

feature() { # JDK home -> feature version, or 0
  v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null || true)
  echo "${v:-0}"
}

JAVA=""
for home in $(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")") /usr/lib/jvm/*; do
  if [ -x "$home/bin/java" ] && [ "$(feature "$home")" -ge 21 ]; then
    JAVA="$home/bin/java"
    break
  fi
done
if [ -z "$JAVA" ]; then
  echo "router.sh: no JDK 21 or newer found (looked at java on PATH and /usr/lib/jvm/*)" >&2
  exit 1
fi

mvn -B -q -pl router -am package -DskipTests
exec "$JAVA" bench/RouterBench.java router/target/jdd-router.jar "$@"
