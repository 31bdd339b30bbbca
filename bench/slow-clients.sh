#!/bin/sh
# Slow clients: /health p99 latency and RSS of the agent and of the router (each its packaged jar with the image's
# JVM flags) before, during and after 200 slowloris connections and one chunked body that never ends, in one run
# against one process each; ratios against the "before" figures of the same run. Goals: p99 during/before <= 5,
# RSS after/before <= 1.2. Loopback only; the agent uses --runtime=local and captures nothing.
#   bench/slow-clients.sh        # builds the jars (mvn package -DskipTests) and common's test classes
set -eu
cd "$(dirname "$0")/.."
JAVA=$(scripts/find-java.sh)
FLAGS="-XX:+UseSerialGC -Xms8m -Xmx64m -Xmn2m -Xss256k -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=16m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:CompileThresholdScaling=10 -Xshare:auto -XX:TrimNativeHeapInterval=2000 -XX:+ExitOnOutOfMemoryError"
mvn -B -q -pl agent,router -am package -DskipTests
OUT=bench/out
mkdir -p "$OUT"
DUMPS=$(mktemp -d)
pids=
cleanup() {
  # shellcheck disable=SC2086
  [ -z "$pids" ] || kill $pids 2>/dev/null || true
  rm -rf "$DUMPS"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

await_health() {
  i=0
  until curl -fs "http://127.0.0.1:$1/health" >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -lt 300 ] || { echo "no /health on port $1" >&2; exit 1; }
    sleep 0.1
  done
}

agent_port=$(free_port)
# shellcheck disable=SC2086
"$JAVA" $FLAGS -jar agent/target/jdd-agent.jar --bind=127.0.0.1 --port="$agent_port" --runtime=local \
  --token=bench-token --dump-dir="$DUMPS" >"$OUT/slow-clients-agent.log" 2>&1 &
agent_pid=$!
pids="$agent_pid"
router_port=$(free_port)
# shellcheck disable=SC2086
"$JAVA" $FLAGS -jar router/target/jdd-router.jar --bind=127.0.0.1 --port="$router_port" \
  --agents="node-1=http://127.0.0.1:$agent_port" --token=bench-token >"$OUT/slow-clients-router.log" 2>&1 &
router_pid=$!
pids="$pids $router_pid"
await_health "$agent_port"
await_health "$router_port"
sleep 10 # past start-up: the JVM gives back its compiler's start-up memory

"$JAVA" -cp common/target/test-classes bench/SlowClientsBench.java agent "$agent_port" "$agent_pid" /v1/captures
"$JAVA" -cp common/target/test-classes bench/SlowClientsBench.java router "$router_port" "$router_pid" /hooks
