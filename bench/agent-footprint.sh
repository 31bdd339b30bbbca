#!/usr/bin/env bash
# Agent footprint: idle resident memory (RSS) and time from start to ready (until /health answers 200),
# with the JVM flags the image uses, as ratios against a baseline measured here with the same flags: a
# trivial JVM (bench/Idle.java) that only listens and answers HTTP 200. Goals: idle RSS <= 80 MiB,
# ready <= 1.0 s (with the AppCDS archive the image ships). Each figure is the median of RUNS runs (default 5); the machine may be shared, so
# medians, not best runs. RSS is read after IDLE_SECONDS (default 10) idle: about 5 s after start the JVM gives back
# the compiler's start-up memory (its arena chunks are freed every 5 s, then the native heap is trimmed), which drops
# RSS by about 6 MiB; reading earlier would measure start-up, not idle. RSS is read twice: idle after start, and idle
# again after the agent has done one whole capture (POST /v1/captures, waited for until it is listed with its
# outcome), since what it loads for a capture stays loaded; the goal holds for both.
#
# Rows: the agent with --runtime=local, and with --runtime=docker (what daemonset.yaml ships) against the
# engine at DOCKER_SOCK (default /var/run/docker.sock), each also with an AppCDS archive of its own classes made
# by the image build's training run (dist/train-agent.sh). For the docker rows the script runs one idle kubelet-labelled
# container (busybox from /bin/busybox, imported locally, no network), so the agent's start-up warm-up lists and
# inspects a pod container as it does on a node, and the capture goes through every engine call (list, inspect,
# archive upload, exec with its streams, exec inspect, removal; craw.sh then finds no JVM in busybox and the capture
# ends failed). The local rows capture a JVM (bench/Idle.java) the script starts on this host.
# The auto rows are the image as shipped on a Docker node: no --runtime and no --profile flag, so --runtime=auto
# (no CRI socket answers here, so Docker after looking for each candidate socket) and --profile=cpu; they capture a
# second pod container that runs a JVM (bench/Idle.java on this host's JDK, mounted read-only with /usr/lib), so the
# capture is a whole successful one: craw.sh with the JDK's jcmd, and the JFR CPU profile recorded, read and folded.
# The containers and image are removed at the end. Without an engine (or without busybox) the docker and auto rows
# are skipped with the reason.
#
#   bench/agent-footprint.sh            # builds agent/target/jdd-agent.jar first if it is missing
#   RUNS=9 bench/agent-footprint.sh
#   ROWS="auto" bench/agent-footprint.sh   # only some of the rows local, docker, auto (the baseline always runs)
#   SKIP_PLAIN=1 bench/agent-footprint.sh  # only the +AppCDS rows (the image's configuration)
#
# Needs a JDK 21+ (found under /usr/lib/jvm by its release file; no JAVA_HOME needed), curl, Linux /proc;
# for the docker rows the docker CLI, an engine and /bin/busybox (busybox-static).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
ROWS=${ROWS:-local docker auto}
IDLE_SECONDS=${IDLE_SECONDS:-10}
DOCKER_SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
OUT=bench/out
mkdir -p "$OUT"

# The flags the image should use (Dockerfile JDD_DEFAULT_JAVA_OPTS): serial GC, small heap with a 2 MiB young
# generation, small stacks, C1 only with one compiler thread and compile thresholds 10 times the default (here -1.3
# MiB idle and -2.6 MiB after a capture, no loss in time to ready), the JDK's CDS archive, and the native heap trimmed
# every 2 s (glibc keeps freed malloc memory otherwise; -6 MiB idle RSS here). Override with FLAGS=... to try others.
IMAGE_FLAGS="-XX:+UseSerialGC -Xms8m -Xmx64m -Xmn2m -Xss256k -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=16m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:CompileThresholdScaling=10 -Xshare:auto -XX:TrimNativeHeapInterval=2000 -XX:+ExitOnOutOfMemoryError"
FLAGS=${FLAGS:-$IMAGE_FLAGS}

find_jdk() {
  local home version major
  for home in /usr/lib/jvm/* "${JAVA_HOME:-/nonexistent}"; do
    if [ ! -x "$home/bin/java" ] || [ ! -x "$home/bin/javac" ] || [ ! -f "$home/release" ]; then
      continue
    fi
    version=$(sed -n 's/^JAVA_VERSION="\([^"]*\)"/\1/p' "$home/release")
    major=${version%%[.+-]*}
    if [ "${major:-0}" -ge 21 ] 2>/dev/null; then
      echo "$home"
      return 0
    fi
  done
  return 1
}
JDK=$(find_jdk) || { echo "no JDK 21+ under /usr/lib/jvm" >&2; exit 1; }
JAVA=$JDK/bin/java

if [ ! -f agent/target/jdd-agent.jar ]; then
  mvn -B -q -pl agent -am package -DskipTests
fi
"$JDK/bin/javac" -d "$OUT" bench/Idle.java

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

# measure COMMAND... (PORT in it stands for a free port): prints "<ms to ready> <idle RSS KiB> <RSS KiB after work>".
# The work is one capture (POST /v1/captures with the JSON in CAPTURE, waited for until the agent lists its outcome)
# followed by the same idle time: what an agent holds after it has done its job once, for good. Without CAPTURE (the
# baseline) the second figure is the first.
measure() {
  local port start end rss after id
  port=$(free_port)
  start=$(date +%s%N)
  "${@//PORT/$port}" >"$OUT/last.log" 2>&1 &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true' EXIT
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health" 2>/dev/null)" = 200 ]; do
    kill -0 "$pid" 2>/dev/null || { echo "did not start:" >&2; cat "$OUT/last.log" >&2; exit 1; }
    sleep 0.01
  done
  end=$(date +%s%N)
  sleep "$IDLE_SECONDS"
  curl -s -o /dev/null "http://127.0.0.1:$port/health"
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  after=$rss
  if [ -n "${CAPTURE:-}" ]; then
    # Only "accepted" starts a capture: a cooldown or in-progress answer names an earlier capture, and measuring
    # after it would measure no capture at all.
    answer=$(curl -s -X POST -H 'Content-Type: application/json' -d "$CAPTURE" "http://127.0.0.1:$port/v1/captures")
    id=$(sed -n 's/.*"outcome":"accepted","captureId":"\([^"]*\)".*/\1/p' <<<"$answer")
    [ -n "$id" ] || { echo "the capture was not accepted: $answer" >&2; cat "$OUT/last.log" >&2; exit 1; }
    for _ in $(seq 1 600); do
      curl -s "http://127.0.0.1:$port/v1/captures" | grep -q "\"captureId\":\"$id\"[^}]*\"outcome\"" && break
      sleep 0.1
    done
    sleep "$IDLE_SECONDS"
    curl -s -o /dev/null "http://127.0.0.1:$port/health"
    after=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(( (end - start) / 1000000 )) $rss $after"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }

# shellcheck disable=SC2086 # FLAGS is a list of flags
run_series() {
  local label=$1; shift
  local ready=() rss=() after=() r _run
  for _run in $(seq 1 "$RUNS"); do
    read -r -a r <<<"$(measure "$@")"
    ready+=("${r[0]}"); rss+=("${r[1]}"); after+=("${r[2]}")
  done
  printf '%s %s %s %s\n' "$label" "$(printf '%s\n' "${ready[@]}" | median)" "$(printf '%s\n' "${rss[@]}" | median)" \
    "$(printf '%s\n' "${after[@]}" | median)"
}

dumps=$(mktemp -d)
bench_id=jdd-bench-footprint-$$
cleanup() {
  [ -z "${target_pid:-}" ] || kill "$target_pid" 2>/dev/null || true
  rm -rf "$dumps" "$OUT/bb-$$"
  if [ -n "${docker_ok:-}" ]; then
    docker rm -f "$bench_id" "$bench_id-jvm" >/dev/null 2>&1 || true
    docker rmi "$bench_id:1" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

echo "JDK: $JDK ($("$JAVA" -version 2>&1 | head -1))"
echo "JVM flags: $FLAGS"
echo "runs: $RUNS (median), idle ${IDLE_SECONDS}s before RSS is read; load: $(cut -d' ' -f1-3 /proc/loadavg)"

# One idle kubelet-labelled container for the docker rows (the agent's warm-up inspects a pod container).
docker_why=
if ! command -v docker >/dev/null; then
  docker_why="no docker CLI"
elif [ ! -S "$DOCKER_SOCK" ] || ! docker -H "unix://$DOCKER_SOCK" version >/dev/null 2>&1; then
  docker_why="no Docker engine answers at $DOCKER_SOCK"
elif [ ! -x /bin/busybox ]; then
  docker_why="no /bin/busybox (busybox-static) for the idle pod container"
else
  # busybox with its applet links (sh, rm, ...) and a /tmp: the capture then takes the copy-and-exec path (craw.sh),
  # not the node engine that --engine=auto would use for a container without a shell.
  mkdir -p "$OUT/bb-$$/bin" "$OUT/bb-$$/tmp" "$OUT/bb-$$/usr/lib" "$OUT/bb-$$/usr/lib64"
  ln -s usr/lib "$OUT/bb-$$/lib"
  ln -s usr/lib64 "$OUT/bb-$$/lib64"
  cp /bin/busybox "$OUT/bb-$$/bin/"
  for applet in $(/bin/busybox --list); do
    [ -e "$OUT/bb-$$/bin/$applet" ] || ln -s busybox "$OUT/bb-$$/bin/$applet"
  done
  docker_ok=1
  tar -C "$OUT/bb-$$" -c . | docker -H "unix://$DOCKER_SOCK" import - "$bench_id:1" >/dev/null
  docker -H "unix://$DOCKER_SOCK" run -d --name "$bench_id" --network none --label "$bench_id=1" \
    --label io.kubernetes.pod.namespace=bench --label io.kubernetes.pod.name=footprint \
    --label io.kubernetes.container.name=idle "$bench_id:1" /bin/busybox sleep 3600 >/dev/null
  # The JVM pod container of the auto rows: the same image, with this host's /usr/lib (the JDK and its C libraries)
  # and the Idle class mounted read-only.
  # shellcheck disable=SC2086 # FLAGS is a list of flags
  docker -H "unix://$DOCKER_SOCK" run -d --name "$bench_id-jvm" --network none --label "$bench_id=1" \
    --label io.kubernetes.pod.namespace=bench --label io.kubernetes.pod.name=footprint-jvm \
    --label io.kubernetes.container.name=jvm -v /usr/lib:/usr/lib:ro -v /usr/lib64:/usr/lib64:ro \
    -v "$PWD/$OUT:/app:ro" "$bench_id:1" "$JAVA" $FLAGS -cp /app Idle 8080 >/dev/null
fi
echo "docker runtime: ${docker_why:-engine at $DOCKER_SOCK, one idle pod container and one JVM pod container}"
echo

# A dump folder of its own for each run (PORT stands for the run's port): an agent reads the captures of its folder at
# start, and one that found the previous run's capture of the same container would refuse this one (cooldown).
AGENT=(-jar agent/target/jdd-agent.jar --insecure --bind=127.0.0.1 --dump-dir="$dumps/PORT" --port=PORT)

# series LABEL RUNTIME-FLAGS...: the agent plain, then with an AppCDS archive of its classes made by the image
# build's training run (dist/train-agent.sh with the row's flags: start, one /health, stop); prints two
# "label ms kib kib" lines. SKIP_PLAIN=1 measures only the +AppCDS rows.
series() {
  local label=$1; shift
  local jsa="$OUT/agent-$label.jsa"
  # shellcheck disable=SC2086
  [ -n "${SKIP_PLAIN:-}" ] || run_series "agent-$label" $JAVA $FLAGS "${AGENT[@]}" "$@"
  JAVA_FLAGS=$FLAGS timeout 60 dist/train-agent.sh "$JAVA" agent/target/jdd-agent.jar "$jsa" "$@" >&2 || true
  if [ -f "$jsa" ]; then
    # shellcheck disable=SC2086
    run_series "agent-$label+AppCDS" $JAVA $FLAGS -XX:SharedArchiveFile="$jsa" "${AGENT[@]}" "$@"
  else
    echo "agent-$label+AppCDS - - -"
  fi
}

# The capture target of the local rows: a JVM on this host whose main class is Idle (container name "idle").
# shellcheck disable=SC2086
$JAVA $FLAGS -cp "$OUT" Idle "$(free_port)" >/dev/null 2>&1 &
target_pid=$!
CAPTURE='{"namespace":"bench","pod":"footprint","container":"idle"}'

rows=()
# shellcheck disable=SC2086
rows+=("$(CAPTURE='' run_series baseline $JAVA $FLAGS -cp "$OUT" Idle PORT)")
if [[ " $ROWS " == *" local "* ]]; then
  while read -r row; do rows+=("$row"); done < <(CAPTURE=$CAPTURE series local --runtime=local)
fi
if [ -z "$docker_why" ] && [[ " $ROWS " == *" docker "* ]]; then
  while read -r row; do rows+=("$row"); done < <(CAPTURE=$CAPTURE series docker --runtime=docker --docker-host="unix://$DOCKER_SOCK")
fi
if [ -z "$docker_why" ] && [[ " $ROWS " == *" auto "* ]]; then
  # As shipped: no --runtime, no --profile (--docker-host only names the engine this script uses).
  while read -r row; do rows+=("$row"); done < <(CAPTURE='{"namespace":"bench","pod":"footprint-jvm","container":"jvm"}' \
    series auto --docker-host="unix://$DOCKER_SOCK")
fi
read -r _ base_ms base_kib _ <<<"${rows[0]}"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "-") printf "%.2f", a / b; else print "-" }'; }
mib() { awk -v k="$1" 'BEGIN { if (k == "-") print "-"; else printf "%.1f", k / 1024 }'; }

printf '%-22s %9s %13s %13s %11s %11s %11s\n' "" "ready ms" "idle MiB" "after MiB" "ready/base" "idle/base" "after/base"
for row in "${rows[@]}"; do
  read -r label ms kib after <<<"$row"
  printf '%-22s %9s %13s %13s %11s %11s %11s\n' "$label" "$ms" "$(mib "$kib")" "$(mib "$after")" \
    "$(ratio "$ms" "$base_ms")" "$(ratio "$kib" "$base_kib")" "$(ratio "$after" "$base_kib")"
done
echo "(idle: ${IDLE_SECONDS}s after start; after: ${IDLE_SECONDS}s after one capture of the idle target ended)"
[ -z "$docker_why" ] || echo "agent-docker, agent-auto: skipped ($docker_why)"
echo
for row in "${rows[@]:1}"; do
  read -r label ms kib after <<<"$row"
  [ "$ms" != - ] || continue
  awk -v l="$label" -v ms="$ms" -v kib="$kib" -v after="$after" 'BEGIN {
    max = (after > kib ? after : kib)
    printf "%-22s ready <= 1000 ms: %-7s (%d ms)   idle RSS <= 80 MiB: %-7s (%.1f MiB idle, %.1f MiB after a capture)\n", l,
      (ms <= 1000 ? "met" : "NOT met"), ms, (max <= 81920 ? "met" : "NOT met"), kib / 1024, after / 1024 }'
done
