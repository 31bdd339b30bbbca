#!/usr/bin/env bash
# Agent footprint: idle resident memory (RSS) and time from start to ready (until /health answers 200),
# with the JVM flags the image uses, as ratios against a baseline measured here with the same flags: a
# trivial JVM (bench/Idle.java) that only listens and answers HTTP 200. Goals: idle RSS <= 64 MiB,
# ready <= 1.5 s. Each figure is the median of RUNS runs (default 5); the machine may be shared, so
# medians, not best runs.
#
#   bench/agent-footprint.sh            # builds agent/target/jdd-agent.jar first if it is missing
#   RUNS=9 bench/agent-footprint.sh
#
# Needs a JDK 21+ (found under /usr/lib/jvm by its release file; no JAVA_HOME needed), curl, Linux /proc.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
IDLE_SECONDS=${IDLE_SECONDS:-5}
OUT=bench/out
mkdir -p "$OUT"

# The flags the image should use (Dockerfile JDD_DEFAULT_JAVA_OPTS): serial GC, small heap with a 2 MiB young
# generation, small stacks, C1 only with one compiler thread, the JDK's CDS archive, and the native heap trimmed
# every 2 s (glibc keeps freed malloc memory otherwise; -6 MiB idle RSS here). Override with FLAGS=... to try others.
IMAGE_FLAGS="-XX:+UseSerialGC -Xms8m -Xmx64m -Xmn2m -Xss256k -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=16m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Xshare:auto -XX:TrimNativeHeapInterval=2000 -XX:+ExitOnOutOfMemoryError"
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

# measure COMMAND... (PORT in it stands for a free port): prints "<ms to ready> <idle RSS KiB>"
measure() {
  local port start end rss
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
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(( (end - start) / 1000000 )) $rss"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }

# shellcheck disable=SC2086 # FLAGS is a list of flags
run_series() {
  local label=$1; shift
  local ready=() rss=() r _run
  for _run in $(seq 1 "$RUNS"); do
    r=$(measure "$@")
    ready+=("${r% *}"); rss+=("${r#* }")
  done
  printf '%s %s %s\n' "$label" "$(printf '%s\n' "${ready[@]}" | median)" "$(printf '%s\n' "${rss[@]}" | median)"
}

dumps=$(mktemp -d)

echo "JDK: $JDK ($("$JAVA" -version 2>&1 | head -1))"
echo "JVM flags: $FLAGS"
echo "runs: $RUNS (median), idle ${IDLE_SECONDS}s before RSS is read; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# shellcheck disable=SC2086
read -r _ base_ms base_kib < <(run_series baseline $JAVA $FLAGS -cp "$OUT" Idle PORT)
# shellcheck disable=SC2086
read -r _ agent_ms agent_kib < <(run_series agent $JAVA $FLAGS -jar agent/target/jdd-agent.jar --insecure --runtime=local --bind=127.0.0.1 --dump-dir="$dumps" --port=PORT)

# The same agent with an AppCDS archive of its own classes (made by one training run, as the image build would).
jsa="$OUT/agent.jsa"
rm -f "$jsa"
# shellcheck disable=SC2086
IDLE_SECONDS=1 measure $JAVA $FLAGS -XX:ArchiveClassesAtExit="$jsa" -jar agent/target/jdd-agent.jar --insecure --runtime=local --bind=127.0.0.1 --dump-dir="$dumps" --port=PORT >/dev/null
cds_ms=-; cds_kib=-
if [ -f "$jsa" ]; then
  # shellcheck disable=SC2086
  read -r _ cds_ms cds_kib < <(run_series agent-appcds $JAVA $FLAGS -XX:SharedArchiveFile="$jsa" -jar agent/target/jdd-agent.jar --insecure --runtime=local --bind=127.0.0.1 --dump-dir="$dumps" --port=PORT)
fi
rm -rf "$dumps"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "-") printf "%.2f", a / b; else print "-" }'; }
mib() { awk -v k="$1" 'BEGIN { if (k == "-") print "-"; else printf "%.1f", k / 1024 }'; }

printf '%-14s %10s %10s %12s %12s\n' "" "ready ms" "RSS MiB" "ready/base" "RSS/base"
printf '%-14s %10s %10s %12s %12s\n' baseline "$base_ms" "$(mib "$base_kib")" 1.00 1.00
printf '%-14s %10s %10s %12s %12s\n' agent "$agent_ms" "$(mib "$agent_kib")" "$(ratio "$agent_ms" "$base_ms")" "$(ratio "$agent_kib" "$base_kib")"
printf '%-14s %10s %10s %12s %12s\n' agent+AppCDS "$cds_ms" "$(mib "$cds_kib")" "$(ratio "$cds_ms" "$base_ms")" "$(ratio "$cds_kib" "$base_kib")"
echo
awk -v ms="$agent_ms" -v kib="$agent_kib" 'BEGIN {
  printf "goal ready <= 1500 ms: %s (%d ms)\n", (ms <= 1500 ? "met" : "NOT met"), ms
  printf "goal idle RSS <= 64 MiB: %s (%.1f MiB)\n", (kib <= 65536 ? "met" : "NOT met"), kib / 1024 }'
