#!/usr/bin/env bash
# Capture cost of the node engine against craw.sh (jcmd, jstack) and Arthas on the same JVM, in one run.
# Prints medians per engine and ratios against craw.sh -e jcmd measured in the same run.
#   bench/node-engine.sh [RUNS] [INTERVAL_MS]        (defaults 10 and 2000; run as root, from the repository)
# Arthas: ARTHAS_HOME=<unzipped arthas-bin> or the arthas-packaging bin zip in ~/.m2 (mvn fetches it when
# JDD_BENCH_FETCH_ARTHAS=1); without either, or with ARTHAS_HOME=-, Arthas is left out.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
interval=${2:-2000}

mvn -B -q -pl agent -am test-compile -Dmaven.test.skip.exec=true
# A JDK 21+ (the target runs on it too, and craw.sh finds jcmd/jstack beside the target's java).
java=${JAVA:-$(scripts/find-java.sh 2>/dev/null || echo /usr/lib/jvm/temurin-25-jdk-amd64/bin/java)}
case $java in /*) ;; *) java=$(command -v "$java") ;; esac
craw_src=${CRAW:-scripts/craw.sh}

work=$(mktemp -d /tmp/jdd-node-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
# craw.sh in a folder of its own, so that its Arthas engine finds arthas/ beside it.
mkdir -p "$work/craw"
cp "$craw_src" "$work/craw/craw.sh"
craw=$work/craw/craw.sh
arthas_home=-
if [ -n "${ARTHAS_HOME:-}" ]; then
  arthas_home=$ARTHAS_HOME
else
  version=4.1.5
  zip=~/.m2/repository/com/taobao/arthas/arthas-packaging/$version/arthas-packaging-$version-bin.zip
  if [ ! -f "$zip" ] && [ "${JDD_BENCH_FETCH_ARTHAS:-0}" = 1 ]; then
    mvn -B -q dependency:get -Dartifact=com.taobao.arthas:arthas-packaging:$version:zip:bin
  fi
  if [ -f "$zip" ]; then
    mkdir -p "$work/arthas" && (cd "$work/arthas" && unzip -q "$zip")
    arthas_home=$work/arthas
  fi
fi
[ "$arthas_home" = - ] || ln -s "$arthas_home" "$work/craw/arthas"

# From the temporary folder: the target inherits it as its working directory, and Arthas writes there.
repo=$(pwd)
cd "$work"
"$java" -XX:+UseSerialGC -Xmx128m \
  -cp "$repo/agent/target/classes:$repo/common/target/classes:$repo/common/target/test-classes" \
  "$repo/bench/NodeEngineBench.java" "$craw" "$interval" "$runs" "$arthas_home"
