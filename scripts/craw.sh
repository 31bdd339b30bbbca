#!/bin/sh
# craw.sh: rank a JVM's threads by the CPU they burn over a short interval, with their stacks.
#
#   sh craw.sh [-n COUNT] [-i INTERVAL_MS] [-p PID] [-e auto|jcmd|jstack|arthas] [-a] [-t SECONDS] [-d FRAMES]
#
# -t: the whole run's time limit (default: the interval + 19 s); -d: frames kept per ranked thread (default 256),
# the rest summed up in one "... N more frames" line (the -a full dump is never cut).
#
# POSIX sh (dash, busybox ash); needs only /proc, sleep, sort, head and a thread dump tool:
# jcmd or jstack (on PATH, under JAVA_HOME or beside the target's java), else Arthas in ./arthas/.
# Output format 1 on stdout; diagnostics on stderr, one line each.
# Exit codes: 0 ok, 2 bad usage, 3 no JVM found, 4 no tool that can dump threads, 5 dump failed,
# 6 out of time: the run, or the dump tool in what was left of it, did not end within the time limit (-t).
# Also runs from stdin (sh -s -- -n 50) when it cannot be copied to a file; Arthas is then unavailable.

# shellcheck disable=SC2317 # functions run from traps and from command substitutions

usage() {
  echo "usage: craw.sh [-n COUNT] [-i INTERVAL_MS] [-p PID] [-e auto|jcmd|jstack|arthas] [-a] [-t SECONDS] [-d FRAMES]" >&2
  exit 2
}

say() {
  printf 'craw: %s\n' "$*" >&2
}

# Signals and cleanup come first, so that a signal at any point after this ends every child.
# All processes below this shell, from the parent ids in /proc/*/stat.
descendants() {
  table=
  for st in /proc/[0-9]*/stat; do
    { read -r line <"$st"; } 2>/dev/null || continue
    rest=${line##*) }
    # shellcheck disable=SC2086
    set -- $rest
    table="$table ${line%% *}:$2"
  done
  tree=" $$ "
  grew=1
  while [ "$grew" = 1 ]; do
    grew=0
    for e in $table; do
      case $tree in
        *" ${e#*:} "*) case $tree in *" ${e%%:*} "*) ;; *) tree="$tree${e%%:*} "; grew=1 ;; esac ;;
      esac
    done
  done
  echo "${tree# "$$" }"
}

end_children() {
  kids=$(descendants)
  [ -n "$kids" ] || return 0
  # shellcheck disable=SC2086
  kill -STOP $kids 2>/dev/null
  kids=$(descendants)
  # shellcheck disable=SC2086
  kill -TERM $kids 2>/dev/null
  # shellcheck disable=SC2086
  kill -CONT $kids 2>/dev/null
}

cleanup() {
  [ -z "$tmp_dir" ] || rm -rf "$tmp_dir"
  tmp_dir=
}

on_signal() {
  trap '' INT TERM HUP ALRM
  end_children
  wait
  cleanup
  say "stopped by SIG$2"
  exit "$1"
}

on_deadline() {
  trap '' INT TERM HUP ALRM
  end_children
  cleanup
  wait
  say "gave up: the run did not end within its time limit of $deadline_s s (-t)"
  exit 6
}

tmp_dir=
trap cleanup EXIT
trap 'on_signal 130 INT' INT
trap 'on_signal 143 TERM' TERM
trap 'on_signal 129 HUP' HUP
trap on_deadline ALRM

is_uint() {
  case $1 in
    '' | *[!0-9]*) return 1 ;;
  esac
  [ ${#1} -le 9 ]
}

# Is $1 a whole number from $2 to $3?
in_range() {
  is_uint "$1" || return 1
  [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

count=50
interval_ms=2000
pid=
engine=auto
engine_chosen=
append_dump=0
deadline_s=
max_frames=256
while getopts n:i:p:e:at:d:h opt; do
  case $opt in
    n) in_range "$OPTARG" 1 100000 || { say "-n wants a count from 1 to 100000, not '$OPTARG'"; usage; }
       count=$OPTARG ;;
    i) in_range "$OPTARG" 1 600000 || { say "-i wants milliseconds from 1 to 600000, not '$OPTARG'"; usage; }
       interval_ms=$OPTARG ;;
    p) in_range "$OPTARG" 1 999999999 || { say "-p wants a process id, not '$OPTARG'"; usage; }
       pid=$OPTARG ;;
    e) case $OPTARG in
         auto | jcmd | jstack | arthas) engine=$OPTARG ;;
         *) say "-e wants auto, jcmd, jstack or arthas, not '$OPTARG'"; usage ;;
       esac ;;
    a) append_dump=1 ;;
    t) in_range "$OPTARG" 1 86400 || { say "-t wants seconds from 1 to 86400, not '$OPTARG'"; usage; }
       deadline_s=$OPTARG ;;
    d) in_range "$OPTARG" 1 100000 || { say "-d wants a frame count from 1 to 100000, not '$OPTARG'"; usage; }
       max_frames=$OPTARG ;;
    h) echo "usage: craw.sh [-n COUNT] [-i INTERVAL_MS] [-p PID] [-e auto|jcmd|jstack|arthas] [-a] [-t SECONDS] [-d FRAMES]"; exit 0 ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { say "unexpected argument '$1'"; usage; }

# Where an Arthas home may sit: beside the script, when the script is a file (not when read from stdin).
script_dir=
case $0 in
  */*.sh) [ -f "$0" ] && script_dir=$(cd "${0%/*}" 2>/dev/null && pwd) ;;
  *.sh) [ -f "$0" ] && script_dir=$(pwd) ;;
esac

# Real time in centiseconds since boot (date +%N is not in every sh toolbox).
now_cs() {
  read -r up _ </proc/uptime
  echo $((${up%.*} * 100 + 1${up#*.} - 100))
}

# The newline, for IFS.
nl='
'
have_cat=$(command -v cat 2>/dev/null)

# Reads utime + stime of every thread of process $1 into variables $2_TID, and the thread ids into $2_tids.
# One cat for all threads, then only shell builtins: this stays cheap with thousands of threads.
sample_threads() {
  sample_var=$2
  if [ -n "$have_cat" ]; then
    sample_all=$(cat /proc/"$1"/task/[0-9]*/stat 2>/dev/null)
  else
    sample_all=
    for st in /proc/"$1"/task/[0-9]*/stat; do
      { read -r line <"$st"; } 2>/dev/null && sample_all="$sample_all$line$nl"
    done
  fi
  sample_tids=
  set -f
  IFS=$nl
  for line in $sample_all; do
    IFS=' '
    tid=${line%% *}
    # shellcheck disable=SC2086 # field splitting is the point
    set -- ${line##*) }
    case $tid in '' | *[!0-9]*) continue ;; esac
    eval "${sample_var}_$tid=$((${12} + ${13}))"
    sample_tids="$sample_tids $tid"
  done
  IFS=' 	'"$nl"
  set +f
  eval "${sample_var}_tids=\$sample_tids"
}

# CPU ticks of the whole process $1 (threads that ended included), or nothing when it is gone.
process_ticks() {
  { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 0
  rest=${line##*) }
  # shellcheck disable=SC2086
  set -- $rest
  echo $((${12} + ${13}))
}

# Does process $1 run a JVM? When its memory map cannot be read, let the dump tool decide.
is_jvm() {
  { read -r comm <"/proc/$1/comm"; } 2>/dev/null || return 1
  [ "$comm" = java ] && return 0
  grep -q 'libjvm\.so' "/proc/$1/maps" 2>/dev/null
  [ $? -ne 1 ]
}

# Processes that run a JVM: their command is java, or they map libjvm (custom launchers).
find_jvms() {
  found=
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" = "$$" ] && continue
    { read -r comm <"$d/comm"; } 2>/dev/null || continue
    [ "$comm" = java ] && found="$found $p"
  done
  if [ -z "$found" ]; then
    maps=$(grep -l 'libjvm\.so' /proc/[0-9]*/maps 2>/dev/null)
    for m in $maps; do
      p=${m#/proc/}
      p=${p%/maps}
      [ "$p" = "$$" ] || found="$found $p"
    done
  fi
  echo "${found# }"
}

# Sleeps for $1 milliseconds.
sleep_ms() {
  s=$(($1 / 1000))
  f=$(($1 % 1000))
  f=$((f + 1000))
  # In the background, so that a TERM does not make the shell report the foreground job's death.
  sleep "$s.${f#1}" 2>/dev/null &
  nap=$!
  wait "$nap" 2>/dev/null && return 0
  # A sleep that takes whole seconds only.
  sleep $((s + 1)) &
  nap=$!
  wait "$nap" 2>/dev/null
}

# Start time of process $1 (field 22 of its stat; with the pid, it names the process), or nothing when it has
# ended (gone or a zombie).
started_at() {
  { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
  rest=${line##*) }
  # shellcheck disable=SC2086
  set -- $rest
  [ "$1" != Z ] && echo "${20}"
}

# In a subshell: after $1 seconds sends signal $2 to process $3, as long as process $4 (started at $5) runs.
# It looks every second, so it ends by itself soon after $4 does even if the USR2 (or TERM) meant to end it
# early was lost; ended so, it ends its sleep too.
alarm() {
  trap 'kill "$nap" 2>/dev/null; wait "$nap" 2>/dev/null; exit 1' TERM USR2
  left=$1
  while [ "$left" -gt 0 ]; do
    [ "$(started_at "$4")" = "$5" ] || return 1
    sleep 1 &
    nap=$!
    wait "$nap" 2>/dev/null || return 1
    left=$((left - 1))
  done
  [ "$(started_at "$4")" = "$5" ] || return 1
  # The target too must still be the process it was: a pid reused by another process is never signalled.
  [ "$(started_at "$3")" = "$6" ] || return 1
  kill "-$2" "$3" 2>/dev/null
  return 0
}

# Starts a watcher (pid in $watcher) for process $4: after $1 s it sends $2 to process $3, and with $5 = KILL,
# KILL 2 s later.
start_watcher() {
  guarded=$(started_at "$4") || guarded=gone
  target_start=$(started_at "$3") || target_start=gone
  if [ "$5" = KILL ]; then
    (alarm "$1" "$2" "$3" "$4" "$guarded" "$target_start" && alarm 2 KILL "$3" "$4" "$guarded" "$target_start") </dev/null >/dev/null 2>&1 &
  else
    (alarm "$1" "$2" "$3" "$4" "$guarded" "$target_start") </dev/null >/dev/null 2>&1 &
  fi
  watcher=$!
}

# Stops a watcher: USR2, which no shell here traps before the watcher does (a shell just forked can lose a
# signal its parent traps), and in any case it ends within a second once what it guards has ended.
stop_watcher() {
  kill -USR2 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}

# Waits for child $1 to end, through signals that only interrupt the wait; its status goes to $waited.
wait_for() {
  while :; do
    wait "$1"
    waited=$?
    kill -0 "$1" 2>/dev/null || return 0
  done
}

# Runs "$@" with stdin from /dev/null for at most $1 seconds: TERM at the deadline, KILL 2 s later.
# Its stdout and stderr pass through; the watcher writes nowhere, so $(limited ...) ends with the command.
limited() {
  secs=$1
  shift
  "$@" </dev/null &
  lim_pid=$!
  start_watcher "$secs" TERM "$lim_pid" "$lim_pid" KILL
  lim_watch=$watcher
  wait_for "$lim_pid"
  lim_rc=$waited
  stop_watcher "$lim_watch"
  return "$lim_rc"
}

# The folder holding the target's java binary, if it can be seen.
java_bin_dir() {
  exe=$(readlink "/proc/$1/exe" 2>/dev/null)
  if [ -z "$exe" ]; then
    exe=$(ls -l "/proc/$1/exe" 2>/dev/null)
    case $exe in
      *' -> '/*) exe=${exe##* -> } ;;
      *) exe= ;;
    esac
  fi
  [ -n "$exe" ] && printf '%s\n' "${exe%/*}"
}

# Path of tool $1 (jcmd, jstack, java): beside the target's java, under JAVA_HOME, on PATH.
find_tool() {
  for cand in ${bin_dir:+"$bin_dir/$1" "$bin_dir/../../bin/$1"} ${JAVA_HOME:+"$JAVA_HOME/bin/$1"}; do
    [ -x "$cand" ] && [ -f "$cand" ] && { printf '%s\n' "$cand"; return 0; }
  done
  cand=$(command -v "$1" 2>/dev/null) || return 1
  case $cand in
    /*) [ -x "$cand" ] && printf '%s\n' "$cand" ;;
    *) return 1 ;;
  esac
}

# Options for a dump tool's own JVM: small, quick to start, writes no hsperfdata file.
tool_jvm_opts="-J-XX:-UsePerfData -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC -J-Xss512k -J-Xmx64m"

# Dumps the threads of $pid with $engine into $dump, or sets $fail (one line) and returns 1.
take_dump() {
  case $engine in
    jcmd)
      # shellcheck disable=SC2086 # tool_jvm_opts is a list
      dump=$(trap 'wait 2>/dev/null; exit 143' TERM && cd "$work_dir" && limited "$dump_secs" "$tool" $tool_jvm_opts "$pid" Thread.print 2>&1)
      rc=$? ;;
    jstack)
      # shellcheck disable=SC2086
      dump=$(trap 'wait 2>/dev/null; exit 143' TERM && cd "$work_dir" && limited "$dump_secs" "$tool" $tool_jvm_opts "$pid" 2>&1)
      rc=$? ;;
    arthas)
      dump=$(trap 'wait 2>/dev/null; exit 143' TERM && arthas_dump)
      rc=$? ;;
  esac
  case $dump in
    *'Full thread dump'*) [ "$rc" -eq 0 ] && return 0 ;;
  esac
  fail_code=5
  if [ "$rc" -gt 128 ]; then
    fail="$engine did not answer within $dump_secs s (what was left of the time limit of $deadline_s s, -t)"
    fail_code=6
  else
    fail=$(trap 'wait 2>/dev/null; exit 143' TERM && printf '%s\n' "$dump" | grep -i -m 1 -e exception -e error -e denied -e 'not found' -e unable)
    [ -n "$fail" ] || fail=$(trap 'wait 2>/dev/null; exit 143' TERM && printf '%s\n' "$dump" | grep -v '^[[:space:]]*$' | tail -n 1)
    fail="$engine failed (exit $rc): ${fail:-no output}"
  fi
  return 1
}

# Local TCP ports something listens on (from /proc/net/tcp*), as " port port ... ".
listening_ports() {
  ports=" "
  for table in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$table" ] || continue
    while read -r _ local _ st _; do
      [ "$st" = 0A ] || continue
      hex=${local##*:}
      case $hex in *[!0-9A-Fa-f]* | '') continue ;; esac
      ports="$ports$((0x$hex)) "
    done <"$table"
  done
  echo "$ports"
}

# A loopback port nothing listens on, for Arthas's telnet server in the target.
free_port() {
  taken=$(listening_ports)
  port=$((40000 + $$ % 20000))
  tries=0
  while [ "$tries" -lt 200 ]; do
    case $taken in
      *" $port "*) port=$((port + 1)); tries=$((tries + 1)) ;;
      *) echo "$port"; return 0 ;;
    esac
  done
  return 1
}

# A java that can boot Arthas: it needs the attach module (checked in the runtime's release file).
attach_java() {
  for cand in ${bin_dir:+"$bin_dir/java"} ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java 2>/dev/null)"; do
    if [ -z "$cand" ] || [ ! -x "$cand" ] || [ ! -f "$cand" ]; then continue; fi
    release=${cand%/bin/java}/release
    if [ -r "$release" ] && grep -q '^MODULES=' "$release" && ! grep -q 'jdk\.attach' "$release"; then
      continue
    fi
    printf '%s\n' "$cand"
    return 0
  done
  return 1
}

# Thread.print through Arthas: boot it into the target (telnet on a free loopback port, no http), ask the
# DiagnosticCommand MBean for threadPrint (the same text as jcmd, native ids included), then stop it so
# that no port stays open. Prints the dump as jcmd would.
arthas_dump() {
  java=$(attach_java) || { echo "no java with the attach module to boot Arthas (beside the JVM's java, JAVA_HOME, PATH)"; return 1; }
  port=$(free_port) || { echo "no free loopback port for Arthas"; return 1; }
  home=$script_dir/arthas
  if [ -n "$tmp_dir" ]; then
    # A home of our own, so that Arthas logs into the temporary folder, not the target user's home.
    home=$tmp_dir/arthas-home
    mkdir "$home" "$tmp_dir/arthas-logs" || return 1
    for f in "$script_dir"/arthas/*; do
      [ "${f##*/}" = arthas.properties ] || ln -s "$f" "$home/${f##*/}"
    done
    {
      echo "arthas.ip=127.0.0.1"
      echo "arthas.telnetPort=$port"
      echo "arthas.httpPort=-1"
      echo "arthas.localConnectionNonAuth=true"
      echo "arthas.logging.file.path=$tmp_dir/arthas-logs"
      echo "arthas.outputPath=$tmp_dir/arthas-logs"
    } >"$home/arthas.properties"
    # The target may run as another user than this script (root): let it write its log there.
    owner=$(stat_uid "$pid")
    if [ -n "$owner" ] && [ "$owner" != "$(id -u 2>/dev/null)" ]; then
      chmod 711 "$tmp_dir"
      chmod 755 "$home"
      chown "$owner" "$tmp_dir/arthas-logs" 2>/dev/null || chmod 733 "$tmp_dir/arthas-logs"
    fi
  fi
  threads_print='#m=@java.lang.Class@forName("javax.management.MBeanServerConnection").getMethods().{? #this.getName().equals("invoke")}[0], #m.invoke(@java.lang.management.ManagementFactory@getPlatformMBeanServer(), new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "threadPrint", new Object[]{new String[0]}, new String[]{new String[0].getClass().getName()})'
  # shellcheck disable=SC2016 # Arthas's own syntax, not the shell's
  out=$(trap 'wait 2>/dev/null; exit 143' TERM && cd "$work_dir" && limited "$dump_secs" "$java" -XX:-UsePerfData -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx128m \
    "-Duser.home=$work_dir" -jar "$home/arthas-boot.jar" --arthas-home "$home" --target-ip 127.0.0.1 \
    --telnet-port "$port" --http-port -1 --width 4000 -c "ognl -x 1 '$threads_print'; stop" "$pid" 2>&1)
  rc=$?
  # Arthas closes its port a moment after `stop` answered: wait (up to 3 s) until it has.
  tries=0
  while [ "$tries" -lt 15 ]; do
    case $(listening_ports) in
      *" $port "*) sleep_ms 200; tries=$((tries + 1)) ;;
      *) break ;;
    esac
  done
  [ "$tries" -lt 15 ] || echo "craw: Arthas still listens on 127.0.0.1:$port in the target" >&2
  case $out in
    *'@String['*'Full thread dump'*)
      text=${out#*@String\[}
      text=${text%%"$(printf '\r')"*}
      text=${text%%"
"*}
      text=${text%]}
      # Arthas prints the string with its line breaks as \n; turn them back into lines.
      printf '%s\n' "$text" | sed 's/\\n/\
/g'
      return 0 ;;
  esac
  reason=$(printf '%s\n' "$out" | grep -i -m 1 -e 'error' -e 'exception' -e 'fail')
  printf '%s\n' "${reason:-no thread dump from Arthas (exit $rc)}"
  [ "$rc" -ne 0 ] || rc=1
  return "$rc"
}

# Owner (uid) of process $1.
stat_uid() {
  while read -r key real _; do
    [ "$key" = Uid: ] && { echo "$real"; return 0; }
  done <"/proc/$1/status"
}

# Keeps the dump's blocks of the ranked threads in block_NID and their states in state_NID. A block is a line
# starting with '"' and the indented lines after it; lines are split with IFS (no read loop: the dump can be
# megabytes), so blank lines vanish and a block ends at the next line that is not indented.
index_dump() {
  nid=
  block=
  more=0
  set -f
  IFS=$nl
  for line in $dump; do
    case $line in
      '"'*)
        keep_block
        native_id "$line"
        case $ranked_tids in
          *" $nid "*) block=$line frames=0 more=0 ;;
          *) nid= ;;
        esac ;;
      [[:space:]]*)
        [ -n "$nid" ] || continue
        case ${line#"${line%%[![:space:]]*}"} in
          'at '*) frames=$((frames + 1)) ;;
        esac
        if [ "$frames" -le "$max_frames" ]; then
          block="$block$nl$line"
        else
          case ${line#"${line%%[![:space:]]*}"} in 'at '*) more=$((more + 1)) ;; esac
        fi ;;
      *)
        keep_block
        nid= ;;
    esac
  done
  IFS=' 	'"$nl"
  set +f
  keep_block
}

# Sets nid to the native thread id of dump header line $1, in decimal: nid=0x10a4 (JDK <= 20) or nid=4260
# (JDK 21+); empty when there is none.
native_id() {
  nid=${1##* nid=}
  [ "$nid" != "$1" ] || { nid=; return 0; }
  nid=${nid%% *}
  case $nid in
    0x | 0x*[!0-9a-fA-F]*) nid= ;;
    0x*) nid=$((nid)) ;;
    *[!0-9]* | '') nid= ;;
  esac
}

keep_block() {
  [ -n "$nid" ] || return 0
  [ "$more" -eq 0 ] || block="$block$nl	... $more more frames"
  eval "block_$nid=\$block"
  state=${block#*java.lang.Thread.State: }
  if [ "$state" = "$block" ]; then
    state=
  else
    state=${state%%[!A-Z_]*}
  fi
  eval "state_$nid=\$state"
  nid=
}

# Everything that samples and dumps. Runs as a child of the main shell, which handles signals.
# Picks the dump tool for $pid (sets engine, tool and bin_dir) or exits 4. Called before sampling whenever the
# JVM is already known, so that a container without a tool costs no interval (the agent then turns to the node
# engine at once).
choose_engine() {
  bin_dir=$(java_bin_dir "$pid")
  case $engine in
    auto)
      if tool=$(find_tool jcmd); then
        engine=jcmd
      elif tool=$(find_tool jstack); then
        engine=jstack
      elif [ -n "$script_dir" ] && [ -f "$script_dir/arthas/arthas-boot.jar" ]; then
        engine=arthas
      else
        say "no jcmd or jstack (looked beside the JVM's java${bin_dir:+ in $bin_dir}, under JAVA_HOME, on PATH) and no arthas/ beside the script"
        exit 4
      fi ;;
    jcmd | jstack)
      tool=$(find_tool "$engine") || { say "no $engine beside the JVM's java, under JAVA_HOME or on PATH"; exit 4; } ;;
    arthas)
      if [ -z "$script_dir" ] || [ ! -f "$script_dir/arthas/arthas-boot.jar" ]; then
        say "no arthas/arthas-boot.jar beside the script${script_dir:+ ($script_dir)}"
        exit 4
      fi ;;
  esac
  engine_chosen=1
}

work() {
  run_start_cs=$(now_cs)
  budget_cs=$(((deadline_s - 1) * 100))
  # Temporary folder: the tools' working directory and HOME. Without one, data stays in memory.
  work_dir=/
  if [ -n "$tmp_dir" ]; then
    work_dir=$tmp_dir
    HOME=$tmp_dir
    export HOME
  fi

  hz=$(getconf CLK_TCK 2>/dev/null) || hz=100
  is_uint "$hz" && [ "$hz" -gt 0 ] || hz=100

  if [ -n "$pid" ]; then
    [ -d "/proc/$pid/task" ] || { say "no process $pid"; exit 3; }
    is_jvm "$pid" || { say "process $pid is not a JVM"; exit 3; }
    jvms=$pid
  else
    jvms=$(find_jvms)
    [ -n "$jvms" ] || { say "no JVM found in /proc"; exit 3; }
  fi
  case $jvms in
    *' '* | *"$nl"*) ;;
    *) pid=$jvms && choose_engine ;;
  esac

  start_cs=$(now_cs)
  for j in $jvms; do
    sample_threads "$j" "before_$j"
    eval "pbefore_$j=\$(process_ticks $j)"
  done
  sleep_ms "$interval_ms"
  end_cs=$(now_cs)
  for j in $jvms; do
    sample_threads "$j" "after_$j"
    eval "pafter_$j=\$(process_ticks $j)"
  done
  elapsed_cs=$((end_cs - start_cs))
  [ "$elapsed_cs" -gt 0 ] || elapsed_cs=1

  # shellcheck disable=SC2086 # a list of pids
  set -- $jvms
  if [ $# -gt 1 ]; then
    best=
    best_ticks=-1
    for j in $jvms; do
      eval "b=\$pbefore_$j a=\$pafter_$j"
      if [ -z "$a" ] || [ -z "$b" ]; then continue; fi
      if [ $((a - b)) -gt "$best_ticks" ]; then
        best=$j
        best_ticks=$((a - b))
      fi
    done
    [ -n "$best" ] || { say "the JVMs found ($jvms) all ended during the interval"; exit 3; }
    say "$# JVMs found (pids $jvms); taking $best, the busiest over the interval"
    pid=$best
  else
    pid=$1
  fi
  tids=''
  eval "tids=\$after_${pid}_tids"
  [ -n "$tids" ] || { say "process $pid ended during the interval"; exit 3; }

  # Ranking: ticks over the interval per thread, busiest first, ties by thread id. A thread born during the
  # interval counts from zero.
  lines=
  threads=0
  for tid in $tids; do
    t1=0 t2=0
    eval "t2=\$after_${pid}_$tid t1=\${before_${pid}_$tid:-0}"
    # A thread id reused by a new thread during the interval: count the new thread from zero.
    [ "$t2" -ge "$t1" ] || t1=0
    threads=$((threads + 1))
    lines="$lines$((t2 - t1)) $tid$nl"
  done
  ranked=$(trap 'wait 2>/dev/null; exit 143' TERM && printf '%s' "$lines" | sort -k1,1nr -k2,2n | head -n "$count")
  ranked_tids=" "
  # shellcheck disable=SC2086 # pairs of ticks and thread id
  set -- $ranked
  while [ $# -ge 2 ]; do
    ranked_tids="$ranked_tids$2 "
    shift 2
  done

  # The dump gets what is left of the time limit less 1 s (the main shell gives up at the limit).
  dump_secs=$(((run_start_cs + budget_cs - $(now_cs)) / 100))
  [ "$dump_secs" -ge 1 ] || dump_secs=1
  [ -n "$engine_chosen" ] || choose_engine
  take_dump || { say "$fail"; exit "$fail_code"; }
  index_dump

  echo "# jdd-capture: 1"
  echo "# pid: $pid"
  echo "# engine: $engine"
  echo "# interval-ms: $interval_ms"
  echo "# threads: $threads"
  echo "#"
  rank=0
  divisor=$((hz * elapsed_cs))
  printf '%s\n' "$ranked" | while read -r ticks tid; do
    [ -n "$tid" ] || continue
    rank=$((rank + 1))
    tenths=$(((ticks * 200000 + divisor) / (2 * divisor)))
    eval "block=\${block_$tid-} state=\${state_$tid-}"
    if [ -n "$block" ]; then
      name=${block%%"$nl"*}
      name=${name#\"}
      name=${name%\"*}
    else
      { read -r name <"/proc/$pid/task/$tid/comm"; } 2>/dev/null || name=
    fi
    # printf, not echo: dash's echo would interpret backslashes in the thread's name.
    printf '#%s cpu=%s.%s%% tid=%s "%s"%s\n' "$rank" "$((tenths / 10))" "$((tenths % 10))" "$tid" "$name" "${state:+ $state}"
    [ -z "$block" ] || printf '%s\n' "$block"
    echo
  done
  if [ "$append_dump" = 1 ]; then
    echo "# full-dump"
    printf '%s\n' "$dump"
  fi
  exit 0
}

# Main shell: owns the temporary folder, the overall deadline and the signals; the work runs in a child
# so that a signal is handled at once, even while a dump tool runs.


# Named before it is made, so that a signal during mkdir still removes it; a name that exists is skipped.
umask 077
for base in "${TMPDIR:-/tmp}" /tmp /dev/shm /var/tmp; do
  if [ ! -d "$base" ] || [ -e "$base/craw.$$" ] || [ -L "$base/craw.$$" ]; then continue; fi
  tmp_dir=$base/craw.$$
  mkdir "$tmp_dir" 2>/dev/null && break
  tmp_dir=
done
[ -n "$tmp_dir" ] || say "no writable temporary folder; keeping everything in memory"

[ -n "$deadline_s" ] || deadline_s=$(((interval_ms + 999) / 1000 + 19))
# A TERM from end_children: reap the children (TERMed too) so that none is left a zombie, then end.
(trap 'wait 2>/dev/null; exit 143' TERM && work) &
worker=$!
start_watcher "$deadline_s" ALRM $$ "$worker"
watchdog=$watcher
wait_for "$worker"
stop_watcher "$watchdog"
exit "$waited"
