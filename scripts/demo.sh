#!/usr/bin/env bash
# jdd in one command, no cluster needed: builds what it needs, starts a JVM with a hot thread, an agent
# (local runtime: the host is the node) and a router with a static agent, posts a Grafana alert webhook
# to the router, waits for the capture and prints the dump. Stops everything it started; exit 0 on success.
#   scripts/demo.sh            ports 18080 (router) and 18081 (agent); JDD_DEMO_PORT_BASE=28080 moves them
#   JDD_DEMO_KEEP=1 scripts/demo.sh   keeps everything running after the capture, to open its page in a browser
set -euo pipefail
cd "$(dirname "$0")/.."

JAVA=$(scripts/find-java.sh)
JAVA_BIN=$(dirname "$JAVA")
base=${JDD_DEMO_PORT_BASE:-18080}
router_port=$base
agent_port=$((base + 1))
work=$(mktemp -d "${TMPDIR:-/tmp}/jdd-demo.XXXXXX")
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
pids=()

if [ -t 1 ]; then
  say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
else
  say() { printf '==> %s\n' "$*"; }
fi
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() { # url, name, log, pid
  for _ in $(seq 1 100); do
    # Checked first: whatever else holds the port may answer the health check.
    if ! kill -0 "$4" 2>/dev/null; then
      echo "$2 stopped at start-up (JDD_DEMO_PORT_BASE=28080 moves the demo's ports); its log:" >&2
      tail -20 "$3" >&2
      exit 1
    fi
    curl -fsS --max-time 2 -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "$2 did not become ready; its log:" >&2
  tail -20 "$3" >&2
  exit 1
}

if [ ! -f agent/target/jdd-agent.jar ] || [ ! -f router/target/jdd-router.jar ]; then
  say "Building jdd (mvn -B -q package -DskipTests)"
  mvn -B -q package -DskipTests
fi

say "Starting a JVM with a hot thread (CheckoutService, thread 'pricing-loop')"
"$JAVA_BIN/javac" -d "$work/app" scripts/demo/CheckoutService.java
"$JAVA" -Xmx32m -cp "$work/app" CheckoutService >"$work/app.log" 2>&1 &
pids+=($!)

say "Starting the agent on 127.0.0.1:$agent_port (local runtime, dumps in $work/stacks)"
JDD_TOKEN="$token" "$JAVA" -jar agent/target/jdd-agent.jar --runtime=local --node=demo-node --bind=127.0.0.1 \
  --port="$agent_port" --dump-dir="$work/stacks" --interval=1s >"$work/agent.log" 2>&1 &
agent_pid=$!
pids+=("$agent_pid")

say "Starting the router on 127.0.0.1:$router_port (static agent map)"
JDD_TOKEN="$token" "$JAVA" -jar router/target/jdd-router.jar --bind=127.0.0.1 --port="$router_port" \
  --agents="demo-node=http://127.0.0.1:$agent_port" >"$work/router.log" 2>&1 &
router_pid=$!
pids+=("$router_pid")

wait_http "http://127.0.0.1:$agent_port/health" agent "$work/agent.log" "$agent_pid"
wait_http "http://127.0.0.1:$router_port/health" router "$work/router.log" "$router_pid"

say "Posting a Grafana alert for pod demo/checkout-7d9f8 (container checkoutservice) to POST /hooks"
payload=$(cat <<'JSON'
{
  "receiver": "jdd",
  "status": "firing",
  "orgId": 1,
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "ContainerCpuHigh", "namespace": "demo", "pod": "checkout-7d9f8",
                 "container": "checkoutservice", "node": "demo-node", "grafana_folder": "jdd"},
      "annotations": {"summary": "checkoutservice uses more than 90% of its CPU limit"},
      "startsAt": "2026-11-27T10:00:00Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://grafana.local/alerting/grafana/cpu-high/view",
      "fingerprint": "c6eadffa33fcdf37",
      "silenceURL": "http://grafana.local/alerting/silence/new",
      "dashboardURL": "",
      "panelURL": "",
      "values": {"B": 97.3, "C": 1},
      "valueString": "[ var='B' labels={container=checkoutservice} value=97.3 ]"
    }
  ],
  "groupLabels": {"alertname": "ContainerCpuHigh"},
  "commonLabels": {"alertname": "ContainerCpuHigh"},
  "commonAnnotations": {},
  "externalURL": "http://grafana.local/",
  "version": "1",
  "groupKey": "{}:{alertname=\"ContainerCpuHigh\"}",
  "truncatedAlerts": 0,
  "title": "[FIRING:1] ContainerCpuHigh",
  "state": "alerting",
  "message": "checkoutservice uses more than 90% of its CPU limit"
}
JSON
)
answer=$(curl -sS -X POST -H 'Content-Type: application/json' --data "$payload" "http://127.0.0.1:$router_port/hooks")
echo "$answer"
id=$(printf '%s' "$answer" | sed -n 's/.*"captureId":"\([^"]*\)".*/\1/p')
if [ -z "$id" ]; then
  echo "the router did not start a capture; router log:" >&2
  tail -20 "$work/router.log" >&2
  exit 1
fi

say "Waiting for capture $id"
for _ in $(seq 1 60); do
  if curl -fsS -o "$work/dump.txt" "http://127.0.0.1:$router_port/captures/demo-node/$id" 2>/dev/null \
      && grep -q '^# outcome:' "$work/dump.txt"; then
    break
  fi
  sleep 0.5
done
if ! grep -q '^# outcome:' "$work/dump.txt" 2>/dev/null; then
  echo "no dump after 30 s; agent log:" >&2
  tail -20 "$work/agent.log" >&2
  exit 1
fi

say "The dump, as the agent stored it under its --dump-dir: $(cd "$work/stacks" && find . -name '*.log' | sed 's|^\./||')"
sed -n '1,40p' "$work/dump.txt"
echo "..."
grep -q '^#1 .*"pricing-loop"' "$work/dump.txt" || { echo "pricing-loop was not ranked #1" >&2; exit 1; }
say "pricing-loop is the busiest thread (#1)."
echo "The capture's page (ranked threads, stacks, flame graph) while the demo runs:"
echo "  http://127.0.0.1:$router_port/captures/demo-node/$id"
echo "All captures: http://127.0.0.1:$router_port/captures"
if [ -n "${JDD_DEMO_KEEP:-}" ]; then
  say "JDD_DEMO_KEEP is set: open the page above; press Ctrl-C to stop everything."
  while true; do sleep 1; done
fi
say "Demo done: everything it started is stopped and its temporary folder, dumps included, removed"
say "(JDD_DEMO_KEEP=1 keeps it running to open the page; to keep dumps, run jdd yourself: README, \"Without a cluster\")."
