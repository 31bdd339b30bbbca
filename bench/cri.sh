#!/bin/sh
# CRI against Docker on this machine, same JVM image (one hot thread), one agent process per runtime with the image's
# JVM flags, and one router process with both as static agents: capture overhead beyond the sample (dump header end
# minus start, minus --interval; goal CRI/Docker <= 1.0), webhook-to-file latency through router and agent beyond
# the interval (goal <= 0.3 s at p50, both runtimes), agent RSS idle and after the captures, CRI beside Docker; each for
# the agents as shipped (--engine=auto: the node engine dumps from the node) and, as the baseline, two agents with
# --engine=script (craw.sh and jcmd in the container through the runtime's exec).
# Starts a private containerd of its own (never /run/containerd/containerd.sock); needs root, containerd, ctr, runc,
# a Docker engine (the images are built with it) and busybox-static. Removes its pods and containers.
# Usage: bench/cri.sh [rounds]     (default 10)
set -eu
cd "$(dirname "$0")/.."

JAVA=$(scripts/find-java.sh) || { echo "cri.sh: no JDK 21 or newer found" >&2; exit 1; }

mvn -B -q -pl agent,router -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec "$JAVA" -cp "agent/target/test-classes:agent/target/jdd-agent.jar:$(cat agent/target/bench.classpath)" \
  dev.jdd.agent.cri.CriBench "$@"
