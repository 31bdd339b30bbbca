#!/bin/sh
# AppCDS training of the agent: one run of the agent with -XX:ArchiveClassesAtExit writes ARCHIVE, a dynamic CDS
# archive of the classes it loads to start and to answer /health, which `jdd agent` maps (-XX:SharedArchiveFile)
# instead of loading them from the jars again. The image build (Dockerfile) runs it offline, where the agent finds no
# CRI socket and no engine but creates its Docker client all the same; bench/agent-footprint.sh runs the same script
# for its +AppCDS rows.
#
#   JAVA_FLAGS="<the JVM flags the agent runs with>" train-agent.sh JAVA AGENT_JAR ARCHIVE [agent flags ...]
#
# The run: start (--port=0), wait until the agent logs that it is ready, one GET /health (as the kubelet's probes do;
# by curl or wget, whichever there is), 1 s idle, SIGTERM (as at a pod's end): the JVM writes the archive on exit.
# It does not capture: classes that only a capture loads cost more resident memory archived than loaded from the
# jars when the first capture needs them (measured: docs/agent.md, "Footprint"). The archive is made against
# AGENT_JAR's path, so the agent must be started as `java -jar AGENT_JAR` from the same place.
# Prints one line saying what it made; exit 0 with an archive, 1 without (the agent then runs without one). Every
# wait is bounded; run it under `timeout` all the same.
set -u
java=$1
jar=$2
archive=$3
shift 3
work=$(mktemp -d "${TMPDIR:-/tmp}/jdd-train.XXXXXX")
agent=
stopped=
# shellcheck disable=SC2317 # run by the traps below
cleanup() {
  if [ -n "$agent" ]; then
    kill "$agent" 2>/dev/null
    wait "$agent" 2>/dev/null
  fi
  rm -rf "$work"
  if [ -n "$stopped" ]; then
    # what a stopped run wrote on its way out is not the archive of a whole start
    rm -f "$archive"
    echo "no AppCDS archive: the training was stopped"
  fi
}
trap cleanup EXIT
trap 'stopped=1; exit 1' INT TERM

rm -f "$archive"
# shellcheck disable=SC2086 # JAVA_FLAGS is a list of flags
"$java" ${JAVA_FLAGS:-} -XX:ArchiveClassesAtExit="$archive" -jar "$jar" --insecure --bind=127.0.0.1 --port=0 \
  --dump-dir="$work/dumps" "$@" >"$work/agent.log" 2>&1 &
agent=$!
port=
i=0
while [ -z "$port" ] && [ $i -lt 300 ] && kill -0 "$agent" 2>/dev/null; do
  sleep 0.1
  port=$(sed -n 's/.* agent ready on [^ ]*:\([0-9][0-9]*\),.*/\1/p' "$work/agent.log")
  i=$((i + 1))
done
if [ -n "$port" ]; then
  if command -v curl >/dev/null 2>&1; then
    curl -s -m 5 -o /dev/null "http://127.0.0.1:$port/health"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -T 5 -O /dev/null "http://127.0.0.1:$port/health"
  fi
  sleep 1
fi
kill "$agent" 2>/dev/null
wait "$agent" 2>/dev/null
agent=
if [ -n "$port" ] && [ -f "$archive" ]; then
  echo "AppCDS archive: $archive"
  exit 0
fi
rm -f "$archive"
echo "no AppCDS archive: the training run $([ -n "$port" ] && echo "wrote none" || echo "did not get ready"): $(tail -n 1 "$work/agent.log")"
exit 1
