#!/usr/bin/env bash
# craw.sh against Arthas 4.1.5 `thread -n 50 -i 2000`, alternately, on one idle JVM, in one run.
#
#   mvn -B package -pl agent -am -DskipTests     # unpacks Arthas into agent/target/arthas, compiles Spinner
#   bench/craw-vs-arthas.sh [ROUNDS]              # default 3 rounds of each tool
#
# Prints per round and on average, as ratios craw.sh/Arthas:
#   - wall time beyond the 2 s sample;
#   - CPU seconds of the tool's processes (user+sys of the tool and all its children) plus the target JVM's
#     own CPU over the same time (utime+stime from /proc/PID/stat before and after).
# Goal: both ratios at or below 0.25. Needs a JDK 21+ under /usr/lib/jvm (found by itself), Linux /proc.
set -euo pipefail

rounds=${1:-3}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [ROUNDS]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
arthas_home=$root/agent/target/arthas
spinner_cp=$root/common/target/test-classes
build_hint="build first: mvn -B package -pl agent -am -DskipTests"
[[ -f $arthas_home/arthas-boot.jar ]] || { echo "no Arthas in $arthas_home; $build_hint" >&2; exit 1; }
[[ -f $spinner_cp/dev/jdd/testing/Spinner.class ]] || { echo "no Spinner class in $spinner_cp; $build_hint" >&2; exit 1; }

# The newest JDK 21+ with jcmd, from the release files under /usr/lib/jvm.
jdk=
best=0
for home in /usr/lib/jvm/*/; do
  home=${home%/}
  [[ -x $home/bin/java && -x $home/bin/jcmd && -r $home/release ]] || continue
  version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
  [[ -n $version && $version -ge 21 && $version -gt $best ]] || continue
  best=$version
  jdk=$home
done
[[ -n $jdk ]] || { echo "no JDK 21+ with jcmd under /usr/lib/jvm" >&2; exit 1; }

hz=$(getconf CLK_TCK)
work=$(mktemp -d "${TMPDIR:-/tmp}/craw-bench.XXXXXX")
target=
cleanup() {
  set +e
  if [[ -n $target ]]; then
    kill "$target" 2>/dev/null
    wait "$target" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The script as the agent ships it: copied into a fresh folder and run with sh.
mkdir "$work/craw"
cp "$root/scripts/craw.sh" "$work/craw/craw.sh"

# The idle JVM: Spinner with 20 parked threads and no hot one.
"$jdk/bin/java" -Xmx128m "-Duser.home=$work" -cp "$spinner_cp" dev.jdd.testing.Spinner 20 0 >"$work/target.out" 2>&1 &
target=$!
for _ in $(seq 1 100); do
  grep -q '^ready' "$work/target.out" && break
  sleep 0.1
done
grep -q '^ready' "$work/target.out" || { echo "the target JVM did not start" >&2; exit 1; }
sleep 2

# utime+stime of a process, in ticks.
proc_ticks() {
  local rest
  read -r rest <"/proc/$1/stat"
  rest=${rest##*) }
  # shellcheck disable=SC2086 # split the stat fields
  set -- $rest
  echo $((${12} + ${13}))
}

# A loopback port nothing listens on.
free_port() {
  local port=$((45000 + RANDOM % 10000))
  while grep -qi ":$(printf '%04X' "$port") [0-9A-F:]* 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null; do
    port=$((port + 1))
  done
  echo "$port"
}

# Runs a tool under a wrapper shell; prints "wall_ms tool_ticks target_ticks exit".
measure() {
  local before after start end stat
  before=$(proc_ticks "$target")
  start=$(date +%s%N)
  # The wrapper waits for the tool, so its cutime/cstime (fields 16, 17) hold the tool's whole process tree.
  stat=$(sh -c '"$@" >"$OUT" 2>"$ERR"; echo "exit=$?"; read -r s </proc/$$/stat; echo "${s##*) }"' wrapper "$@")
  end=$(date +%s%N)
  after=$(proc_ticks "$target")
  local code=${stat%%$'\n'*}
  local rest=${stat#*$'\n'}
  # shellcheck disable=SC2086 # split the stat fields
  set -- $rest
  echo "$(((end - start) / 1000000)) $((${14} + ${15})) $((after - before)) ${code#exit=}"
}

run_craw() {
  OUT=$work/craw.out ERR=$work/craw.err measure sh "$work/craw/craw.sh" -n 50 -i 2000 -p "$target"
}

run_arthas() {
  local port
  port=$(free_port)
  OUT=$work/arthas.out ERR=$work/arthas.err measure "$jdk/bin/java" "-Duser.home=$work" -jar "$arthas_home/arthas-boot.jar" \
    --arthas-home "$arthas_home" --target-ip 127.0.0.1 --telnet-port "$port" --http-port -1 \
    -c 'thread -n 50 -i 2000; stop' "$target"
}

secs() { awk -v t="$1" -v d="$2" 'BEGIN { printf "%.3f", t / d }'; }

echo "JDK: $jdk ($(sed -n 's/^JAVA_VERSION=//p' "$jdk/release")), Arthas: $arthas_home, $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %5s %12s %14s %14s %14s\n' tool round "beyond-2s(s)" "tool-cpu(s)" "target-cpu(s)" "total-cpu(s)"
craw_wall=0 craw_cpu=0 arthas_wall=0 arthas_cpu=0
for round in $(seq 1 "$rounds"); do
  for tool in craw arthas; do
    read -r wall tool_ticks target_ticks code < <("run_$tool")
    out=$work/$tool.out
    if [[ $code != 0 ]] || ! grep -q -e '^#1 cpu=' -e 'cpuUsage=' "$out"; then
      echo "$tool round $round failed (exit $code):" >&2
      tail -5 "$work/$tool.err" "$out" >&2
      exit 1
    fi
    beyond=$((wall - 2000))
    total=$((tool_ticks + target_ticks))
    printf '%-6s %5d %12s %14s %14s %14s\n' "$tool" "$round" "$(secs "$beyond" 1000)" \
      "$(secs "$tool_ticks" "$hz")" "$(secs "$target_ticks" "$hz")" "$(secs "$total" "$hz")"
    if [[ $tool == craw ]]; then
      craw_wall=$((craw_wall + beyond)) craw_cpu=$((craw_cpu + total))
    else
      arthas_wall=$((arthas_wall + beyond)) arthas_cpu=$((arthas_cpu + total))
    fi
    sleep 1
  done
done
echo
echo "mean over $rounds rounds: craw.sh wall beyond 2 s $(secs "$craw_wall" $((1000 * rounds))) s, cpu $(secs "$craw_cpu" $((hz * rounds))) s;" \
  "Arthas wall beyond 2 s $(secs "$arthas_wall" $((1000 * rounds))) s, cpu $(secs "$arthas_cpu" $((hz * rounds))) s"
echo "ratio craw.sh/Arthas: wall beyond 2 s $(secs "$craw_wall" "$arthas_wall"), cpu $(secs "$craw_cpu" "$arthas_cpu") (goal <= 0.25 each)"
